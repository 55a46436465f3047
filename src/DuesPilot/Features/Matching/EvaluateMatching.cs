using System.Diagnostics;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>Runs a matcher over a dataset's payments in received order.</summary>
public static class RunMatching
{
    /// <summary>Builds the engine and decides every payment in order; <paramref name="progress"/> gets the count done.</summary>
    public static IReadOnlyList<(Payment Payment, MatchDecision Decision)> Run(GoldenDataset data, MatchOptions options, INameEmbedder? embedder, Action<int>? progress = null)
    {
        var engine = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), options, embedder);
        var result = new List<(Payment, MatchDecision)>(data.Payments.Count);
        foreach (var p in data.PaymentsInOrder())
        {
            result.Add((p, engine.Decide(p)));
            if (result.Count % 100 == 0) progress?.Invoke(result.Count);
        }

        progress?.Invoke(result.Count);
        return result;
    }
}

/// <summary>
/// The rules-only matcher staff know from ERP reconciliation: apply when an invoice number in the
/// memo has a balance equal to the amount, or when the payer's full name equals exactly one member's
/// name and that member has one open balance equal to the amount. Everything else goes to review.
/// Kept as the yardstick the engine is measured against.
/// </summary>
public static class BaselineMatcher
{
    public static IReadOnlyList<(Payment Payment, MatchDecision Decision)> Run(GoldenDataset data)
    {
        var balances = data.Invoices.Where(i => i.IsOpen).ToDictionary(i => i.Id.Value, i => (i.MemberId, Balance: i.Balance), StringComparer.Ordinal);
        var byName = data.Members.GroupBy(m => m.FullName.Trim().ToUpperInvariant(), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var result = new List<(Payment, MatchDecision)>();
        foreach (var p in data.PaymentsInOrder())
        {
            MatchDecision? decision = null;
            foreach (System.Text.RegularExpressions.Match m in PaymentEvidence.AnyNumber.Matches(p.Memo ?? ""))
            {
                var key = m.Groups[1].Value;
                if (balances.TryGetValue(key, out var inv) && inv.Balance == p.Amount)
                {
                    decision = Apply(p, inv.MemberId, new InvoiceId(key), "invoice number found, amount equal");
                    break;
                }
            }

            if (decision is null && p.PayerName is { } name && byName.TryGetValue(name.Trim().ToUpperInvariant(), out var named) && named.Count == 1)
            {
                var open = balances.Where(b => b.Value.MemberId == named[0].Id && b.Value.Balance.IsPositive).ToList();
                if (open.Count == 1 && open[0].Value.Balance == p.Amount) decision = Apply(p, named[0].Id, new InvoiceId(open[0].Key), "full name exact, amount equal");
            }

            decision ??= new MatchDecision(p.Id, MatchAction.Review, 0m, "no invoice number or exact name with equal amount", [], [], "Review by hand.");
            if (decision.Action == MatchAction.Apply)
            {
                var id = decision.Allocations[0].InvoiceId!.Value.Value;
                balances[id] = (balances[id].MemberId, balances[id].Balance - p.Amount);
            }

            result.Add((p, decision));
        }

        return result;
    }

    private static MatchDecision Apply(Payment p, MemberId member, InvoiceId invoice, string reason) =>
        new(p.Id, MatchAction.Apply, 1m, reason, [new ProposedAllocation(member, invoice, p.Amount)], [], "Applied.");
}

/// <summary>Scores of one matcher on one dataset (shared/formats/golden-dataset.md, "Scoring").</summary>
public sealed record EvaluationScore(
    string Matcher,
    int Payments,
    int TruthApply,
    int AutoApplied,
    int Correct,
    int ReviewWithMember,
    int ReviewTop1,
    double Seconds,
    IReadOnlyDictionary<string, EvaluationScore>? ByChannel,
    IReadOnlyList<(decimal Low, decimal High, int Count, double Accuracy)> Calibration,
    IReadOnlyList<string> WrongPostings)
{
    public int Wrong => AutoApplied - Correct;
    public double Precision => AutoApplied == 0 ? 1.0 : (double)Correct / AutoApplied;
    public double Coverage => TruthApply == 0 ? 1.0 : (double)Correct / TruthApply;
    public double Top1 => ReviewWithMember == 0 ? 1.0 : (double)ReviewTop1 / ReviewWithMember;
}

/// <summary>Scores decisions against truth.csv.</summary>
public static class EvaluateMatching
{
    public static EvaluationScore Score(string matcher, GoldenDataset data, IReadOnlyList<(Payment Payment, MatchDecision Decision)> decisions, double seconds, bool perChannel = true)
    {
        var truth = data.Truth ?? throw new InvalidOperationException("The dataset has no truth.csv.");
        var byPayment = truth.GroupBy(t => t.PaymentId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        int truthApply = 0, auto = 0, correct = 0, reviewWithMember = 0, top1 = 0;
        var wrong = new List<string>();
        var bins = new (int Count, int Right)[10];
        foreach (var (p, d) in decisions)
        {
            var rows = byPayment.GetValueOrDefault(p.Id.Value) ?? [];
            var expected = rows.Count > 0 ? rows[0].Expected : MatchAction.Review;
            if (expected == MatchAction.Apply) truthApply++;
            var right = false;
            if (d.Action == MatchAction.Apply)
            {
                auto++;
                right = expected == MatchAction.Apply && SameAllocations(rows, d.Allocations);
                if (right) correct++;
                else wrong.Add($"{p.Id}: applied {string.Join(", ", d.Allocations.Select(a => $"{a.MemberId}/{a.InvoiceId?.Value ?? "credit"}/{a.Amount.ToPlainString()}"))}; truth {(expected == MatchAction.Apply ? string.Join(", ", rows.Select(r => $"{r.MemberId}/{r.InvoiceId ?? "credit"}/{r.Amount?.ToPlainString()}")) : "review " + rows.FirstOrDefault()?.MemberId)} | {d.Reason}");
            }
            else
            {
                var truthMember = rows.Select(r => r.MemberId).FirstOrDefault(m => !string.IsNullOrEmpty(m));
                if (truthMember is not null)
                {
                    reviewWithMember++;
                    if (d.SuggestedMember?.Value == truthMember) top1++;
                }

                right = expected == MatchAction.Review;
            }

            var bin = Math.Min(9, (int)(d.Confidence * 10));
            bins[bin].Count++;
            if (right) bins[bin].Right++;
        }

        Dictionary<string, EvaluationScore>? channels = null;
        if (perChannel)
        {
            channels = decisions.GroupBy(x => Payment.ChannelCode(x.Payment.Channel), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Score(matcher, data, g.ToList(), 0, perChannel: false), StringComparer.Ordinal);
        }

        var calibration = bins.Select((b, i) => (i / 10m, (i + 1) / 10m, b.Count, b.Count == 0 ? 0.0 : (double)b.Right / b.Count)).ToList();
        return new EvaluationScore(matcher, decisions.Count, truthApply, auto, correct, reviewWithMember, top1, seconds, channels, calibration, wrong);
    }

    /// <summary>Runs the engine (and optionally the baseline) on a dataset with truth and scores both.</summary>
    public static IReadOnlyList<EvaluationScore> Evaluate(GoldenDataset data, MatchOptions options, INameEmbedder? embedder, bool baseline, Action<int>? progress = null)
    {
        var scores = new List<EvaluationScore>();
        var sw = Stopwatch.StartNew();
        var decisions = RunMatching.Run(data, options, embedder, progress);
        scores.Add(Score("engine", data, decisions, sw.Elapsed.TotalSeconds));
        if (baseline)
        {
            sw.Restart();
            var rules = BaselineMatcher.Run(data);
            scores.Add(Score("baseline (rules only)", data, rules, sw.Elapsed.TotalSeconds));
        }

        return scores;
    }

    private static bool SameAllocations(List<TruthRow> truth, IReadOnlyList<ProposedAllocation> applied)
    {
        static string Key(string? member, string? invoice, long minor) => $"{member}|{invoice}|{minor}";
        var expected = truth.Select(t => Key(t.MemberId, t.InvoiceId ?? "", t.Amount?.MinorUnits ?? 0)).Order(StringComparer.Ordinal).ToList();
        var actual = applied.Select(a => Key(a.MemberId.Value, a.InvoiceId?.Value ?? "", a.Amount.MinorUnits)).Order(StringComparer.Ordinal).ToList();
        return expected.SequenceEqual(actual, StringComparer.Ordinal);
    }
}
