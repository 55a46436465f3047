using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Tooling.Golden;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot match</c>, <c>duespilot eval</c> and <c>duespilot golden generate</c>: batch matching over golden-dataset folders.</summary>
public static class MatchCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Golden-dataset folder (members.csv, invoices.csv, payments.csv).", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write decisions.csv.", DefaultValueFactory = _ => "decisions.csv" };
        var noEmbeddings = NoEmbeddings();
        var threshold = Threshold();
        var command = new Command("match", "Match every payment to members and open invoices; write decisions.csv.") { data, output, noEmbeddings, threshold };
        command.SetAction((parse, ct) =>
        {
            var dataset = Load(parse.GetValue(data)!, withTruth: false);
            var options = OptionsFrom(parse.GetValue(noEmbeddings), parse.GetValue(threshold));
            var embedder = DuesPilot.Ai.MiniLmEmbedder.Shared;
            var sw = Stopwatch.StartNew();
            var decisions = WithProgress(dataset.Payments.Count, progress => RunMatching.Run(dataset, options, embedder, progress));
            var path = parse.GetValue(output)!;
            GoldenDatasetFiles.WriteDecisions(path, decisions.Select(d => d.Decision));
            var applied = decisions.Count(d => d.Decision.Action == MatchAction.Apply);
            Out.Console.MarkupLine(CultureInfo.InvariantCulture, "{0} payments: [green]{1} applied[/], [yellow]{2} to review[/] in {3:F1} s → {4}", decisions.Count, applied, decisions.Count - applied, sw.Elapsed.TotalSeconds, Markup.Escape(path));
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Eval()
    {
        var data = new Option<string>("--data") { Description = "Golden-dataset folder with truth.csv.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the scores as JSON." };
        var baseline = new Option<bool>("--baseline") { Description = "Also run the rules-only matcher (invoice number or exact name, amount equal) side by side." };
        var wrong = new Option<bool>("--show-wrong") { Description = "List every wrong auto-posting." };
        var noEmbeddings = NoEmbeddings();
        var threshold = Threshold();
        var llm = new Option<bool>("--llm") { Description = "Also run the memo-interpretation and inquiry tasks of the AI golden set (--llm-data) through the configured model, next to the deterministic path." };
        var llmData = new Option<string?>("--llm-data") { Description = "AI golden set folder (association.json, inquiries.json, memos.json). Default: tests/DuesPilot.Ai.Tests/Data." };
        var command = new Command("eval", "Score the matching engine against truth.csv: precision, coverage, wrong postings, top-1, time, per channel.") { data, json, baseline, wrong, noEmbeddings, threshold, llm, llmData };
        command.SetAction(async (parse, ct) =>
        {
            await RunEvalAsync(parse, data, json, baseline, wrong, noEmbeddings, threshold);
            if (parse.GetValue(llm)) await AiCommand.RunEvalAsync(parse.GetValue(llmData), misses: false, ct);
            return 0;
        });
        return command;
    }

    private static Task<int> RunEvalAsync(ParseResult parse, Option<string> data, Option<bool> json, Option<bool> baseline, Option<bool> wrong, Option<bool> noEmbeddings, Option<decimal?> threshold)
    {
        {
            var dataset = Load(parse.GetValue(data)!, withTruth: true);
            var options = OptionsFrom(parse.GetValue(noEmbeddings), parse.GetValue(threshold));
            var embedder = DuesPilot.Ai.MiniLmEmbedder.Shared;
            var asJson = parse.GetValue(json);
            var scores = asJson
                ? EvaluateMatching.Evaluate(dataset, options, embedder, parse.GetValue(baseline))
                : WithProgress(dataset.Payments.Count, progress => EvaluateMatching.Evaluate(dataset, options, embedder, parse.GetValue(baseline), progress));
            if (asJson)
            {
                var doc = scores.Select(s => new
                {
                    matcher = s.Matcher, rule_version = s.Matcher == "engine" ? MatchingEngine.RuleVersionOf(options) : null, payments = s.Payments, truth_apply = s.TruthApply, auto_applied = s.AutoApplied, correct = s.Correct, wrong_postings = s.Wrong,
                    precision = s.Precision, coverage = s.Coverage, top1 = s.Top1, review_with_member = s.ReviewWithMember, seconds = s.Seconds,
                    by_channel = s.ByChannel?.ToDictionary(c => c.Key, c => new { payments = c.Value.Payments, precision = c.Value.Precision, coverage = c.Value.Coverage, top1 = c.Value.Top1, wrong_postings = c.Value.Wrong }),
                    calibration = s.Calibration.Where(b => b.Count > 0).Select(b => new { low = b.Low, high = b.High, count = b.Count, accuracy = b.Accuracy }),
                    by_case = s.ByCase.ToDictionary(c => c.Key, c => new { payments = c.Value.Payments, truth_apply = c.Value.TruthApply, correct = c.Value.Correct, wrong_postings = c.Value.Wrong, coverage = c.Value.Coverage }),
                });
                Out.Console.WriteLine(JsonSerializer.Serialize(doc, Indented));
                return Task.FromResult(0);
            }

            var table = new Table().AddColumns("Matcher", "Channel", "Payments", "Truth apply", "Auto-applied", "Wrong", "Precision", "Coverage", "Top-1 (review)", "Seconds");
            foreach (var s in scores)
            {
                table.AddRow(Row(s.Matcher, "all", s, s.Seconds));
                foreach (var (channel, c) in s.ByChannel ?? new Dictionary<string, EvaluationScore>()) table.AddRow(Row("", channel, c, null));
            }

            Out.Console.Write(table);
            Out.Console.MarkupLine(CultureInfo.InvariantCulture, "Engine rule version: {0}", MatchingEngine.RuleVersionOf(options));
            var engine = scores[0];
            var calibration = new Table().AddColumns("Confidence", "Payments", "Decided right");
            foreach (var b in engine.Calibration.Where(b => b.Count > 0))
                calibration.AddRow($"{b.Low:0.0}–{b.High:0.0}", b.Count.ToString(CultureInfo.InvariantCulture), b.Accuracy.ToString("P1", CultureInfo.InvariantCulture));
            Out.Console.Write(calibration);
            if (engine.ByCase.Count > 0)
            {
                var cases = new Table().AddColumns("Case", "Payments", "Truth apply", "Engine correct", "Engine wrong", "Engine coverage", "Baseline coverage");
                var baselineCases = scores.Count > 1 ? scores[1].ByCase : null;
                foreach (var (name, c) in engine.ByCase)
                {
                    var b = baselineCases?.GetValueOrDefault(name);
                    cases.AddRow(name, c.Payments.ToString(CultureInfo.InvariantCulture), c.TruthApply.ToString(CultureInfo.InvariantCulture), c.Correct.ToString(CultureInfo.InvariantCulture),
                        c.Wrong.ToString(CultureInfo.InvariantCulture), c.TruthApply == 0 ? "–" : c.Coverage.ToString("P1", CultureInfo.InvariantCulture),
                        b is null || b.TruthApply == 0 ? "–" : b.Coverage.ToString("P1", CultureInfo.InvariantCulture));
                }

                Out.Console.Write(cases);
            }

            if (parse.GetValue(wrong))
                foreach (var w in engine.WrongPostings) Out.Console.WriteLine("wrong: " + w);
            return Task.FromResult(0);
        }
    }

    public static Command Golden()
    {
        var members = new Option<int>("--members") { Description = "Parties to create.", DefaultValueFactory = _ => 3000 };
        var payments = new Option<int>("--payments") { Description = "Payments to create.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same data).", DefaultValueFactory = _ => 1 };
        var invoices = new Option<int>("--invoices") { Description = "Top up open invoices to this many (0: about 1.1 per member)." };
        var output = new Option<string>("--out") { Description = "Folder to write members.csv, invoices.csv, payments.csv and truth.csv.", Required = true };
        var generate = new Command("generate", "Make a realistic association and messy payments with the correct outcome in truth.csv.") { members, payments, seed, invoices, output };
        generate.SetAction((parse, ct) =>
        {
            var m = parse.GetValue(members);
            var p = parse.GetValue(payments);
            if (m < 50) throw new UserInputException("--members must be at least 50");
            if (p < 1) throw new UserInputException("--payments must be at least 1");
            var folder = parse.GetValue(output)!;
            GoldenSetGenerator.Generate(folder, m, p, parse.GetValue(seed), parse.GetValue(invoices));
            Out.Console.MarkupLine(CultureInfo.InvariantCulture, "Wrote golden dataset ({0} members, {1} payments, seed {2}) to {3}", m, p, parse.GetValue(seed), Markup.Escape(folder));
            return Task.FromResult(0);
        });
        var golden = new Command("golden", "Golden datasets for evaluation.");
        golden.Subcommands.Add(generate);
        return golden;
    }

    internal static GoldenDataset Load(string folder, bool withTruth)
    {
        if (!Directory.Exists(folder)) throw new UserInputException($"data folder not found: {folder}");
        try
        {
            return GoldenDatasetFiles.Read(folder, withTruth);
        }
        catch (GoldenDataException ex)
        {
            throw new UserInputException(ex.Message);
        }
    }

    internal static Option<bool> NoEmbeddings() => new("--no-embeddings") { Description = "Skip the sentence-embedding stage for the hard remainder." };

    internal static Option<decimal?> Threshold() => new("--threshold") { Description = "Auto-apply confidence threshold (default 0.90)." };

    internal static MatchOptions OptionsFrom(bool noEmbeddings, decimal? threshold)
    {
        var options = MatchOptions.Default with { UseEmbeddings = !noEmbeddings };
        if (threshold is { } t)
        {
            if (t is <= 0m or > 1m) throw new UserInputException("--threshold must be in (0, 1]");
            options = options with { AutoApplyConfidence = t };
        }

        return options;
    }

    /// <summary>Runs the work with a Spectre progress bar when the console is interactive and the run is long enough to need one.</summary>
    internal static T WithProgress<T>(int total, Func<Action<int>, T> work)
    {
        if (total < 2000 || !Out.Console.Profile.Capabilities.Interactive) return work(_ => { });
        T result = default!;
        Out.Console.Progress().Start(ctx =>
        {
            var task = ctx.AddTask("Matching payments", maxValue: total);
            result = work(done => task.Value = done);
        });
        return result;
    }

    private static string[] Row(string matcher, string channel, EvaluationScore s, double? seconds) =>
    [
        matcher, channel, s.Payments.ToString(CultureInfo.InvariantCulture), s.TruthApply.ToString(CultureInfo.InvariantCulture), s.AutoApplied.ToString(CultureInfo.InvariantCulture),
        s.Wrong.ToString(CultureInfo.InvariantCulture), s.Precision.ToString("P2", CultureInfo.InvariantCulture), s.Coverage.ToString("P2", CultureInfo.InvariantCulture),
        s.Top1.ToString("P1", CultureInfo.InvariantCulture) + $" of {s.ReviewWithMember}", seconds?.ToString("F2", CultureInfo.InvariantCulture) ?? "",
    ];
}
