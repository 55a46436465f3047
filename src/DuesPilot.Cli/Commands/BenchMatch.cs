using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Tooling.Golden;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench match</c>: a generated association of the given size matched end to end, with time and peak memory.</summary>
public static class BenchMatch
{
    public static Command Create()
    {
        var members = new Option<int>("--members") { Description = "Parties in the generated association.", DefaultValueFactory = _ => 50_000 };
        var invoices = new Option<int>("--invoices") { Description = "Open invoices wanted (the generator gives about 1.1 per member; extra ones are added up to this).", DefaultValueFactory = _ => 60_000 };
        var payments = new Option<int>("--payments") { Description = "Payments to match.", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 7 };
        var noEmbeddings = MatchCommand.NoEmbeddings();
        var command = new Command("match", "Generate an association and payments, then time building the index and matching every payment.") { members, invoices, payments, seed, noEmbeddings };
        command.SetAction((parse, ct) =>
        {
            var folder = Directory.CreateTempSubdirectory("duespilot-bench-match-").FullName;
            try
            {
                using var self = Process.GetCurrentProcess();
                var sw = Stopwatch.StartNew();
                GoldenSetGenerator.Generate(folder, parse.GetValue(members), parse.GetValue(payments), parse.GetValue(seed), parse.GetValue(invoices));
                var generated = sw.Elapsed.TotalSeconds;
                sw.Restart();
                var data = GoldenDatasetFiles.Read(folder, withTruth: true);
                var read = sw.Elapsed.TotalSeconds;
                var options = MatchCommand.OptionsFrom(parse.GetValue(noEmbeddings), null);
                var embedder = DuesPilot.Ai.MiniLmEmbedder.Shared;
                sw.Restart();
                var engine = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), options, embedder);
                var built = sw.Elapsed.TotalSeconds;
                sw.Restart();
                var ordered = data.PaymentsInOrder();
                self.Refresh();
                var cpuBefore = self.TotalProcessorTime;
                var pausedBefore = GC.GetTotalPauseDuration();
                var collectionsBefore = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
                var allocatedBefore = GC.GetTotalAllocatedBytes();
                var decided = engine.DecideAll(ordered);
                var matched = sw.Elapsed.TotalSeconds;
                var paused = (GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds;
                self.Refresh();
                var matchCpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
                var collections = string.Join(" / ", Enumerable.Range(0, 3).Select(g => (GC.CollectionCount(g) - collectionsBefore[g]).ToString(CultureInfo.InvariantCulture)));
                var allocatedMb = (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1024 / 1024;
                var decisions = ordered.Select((p, i) => (p, decided[i])).ToList();
                var score = EvaluateMatching.Score("engine", data, decisions, built + matched, perChannel: false);
                var table = new Table().AddColumns("Measure", "Value");
                table.AddRow("members / open invoices / payments", $"{data.Members.Count:N0} / {data.Invoices.Count(i => i.IsOpen):N0} / {data.Payments.Count:N0}");
                table.AddRow("embeddings", options.UseEmbeddings ? "on (hard remainder)" : "off");
                table.AddRow("generate + read CSV (s)", $"{generated:F1} + {read:F1}");
                table.AddRow("build index (s)", built.ToString("F2", CultureInfo.InvariantCulture));
                table.AddRow("match all payments (s)", matched.ToString("F2", CultureInfo.InvariantCulture));
                table.AddRow("cores used", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
                table.AddRow("build index + match (s)", (built + matched).ToString("F2", CultureInfo.InvariantCulture));
                table.AddRow("process CPU time (s)", self.TotalProcessorTime.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture));
                table.AddRow("CPU time while matching (s, all cores)", matchCpu.ToString("F1", CultureInfo.InvariantCulture));
                table.AddRow("while matching: GC pauses (s), collections gen 0 / 1 / 2, allocated (MB)", $"{paused.ToString("F2", CultureInfo.InvariantCulture)}; {collections}; {allocatedMb:N0}");
                table.AddRow("payments / s", (data.Payments.Count / Math.Max(matched, 1e-9)).ToString("N0", CultureInfo.InvariantCulture));
                table.AddRow("peak working set (MB)", (self.PeakWorkingSet64 / 1024 / 1024).ToString("N0", CultureInfo.InvariantCulture));
                table.AddRow("precision / coverage / top-1", $"{score.Precision:P2} / {score.Coverage:P2} / {score.Top1:P1}");
                Out.Console.Write(table);
            }
            finally
            {
                Directory.Delete(folder, true);
            }

            return Task.FromResult(0);
        });
        return command;
    }
}
