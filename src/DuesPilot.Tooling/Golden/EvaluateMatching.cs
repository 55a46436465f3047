using System.Diagnostics;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

using DuesPilot.Features.Matching;

namespace DuesPilot.Tooling.Golden;

/// <summary>
/// The rules-only matcher staff know from ERP reconciliation, written without the engine's tables:
/// apply when invoice numbers in the memo belong to one member and their balances (or everything
/// that member owes) equal the amount; else when the payer e-mail is exactly one member's, or the
/// payer name is exactly one member's name, and the amount equals one open balance or everything
/// that member owes. Everything else goes to review. Kept as the yardstick the engine is measured against.
/// </summary>
public static class BaselineMatcher
{
    private static readonly char[] Separators = [' ', ',', ';', '|', '/', '\\', '*', '~', '#', '&', '(', ')', '"', '\'', '+'];

    public static IReadOnlyList<(Payment Payment, MatchDecision Decision)> Run(GoldenDataset data)
    {
        static string Norm(string s) => new(s.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        var open = data.Invoices.Where(i => i.IsOpen).Select(i => new Open(i.Id, i.MemberId, i.DueDate) { Balance = i.Balance }).ToList();
        var byInvoice = open.GroupBy(i => Norm(i.Id.Value), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byMember = open.GroupBy(i => i.Member).ToDictionary(g => g.Key, g => g.OrderBy(i => i.Due).ToList());
        var byEmail = data.Members.Where(m => !string.IsNullOrWhiteSpace(m.Email)).GroupBy(m => m.Email!.Trim().ToUpperInvariant(), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var byName = data.Members.SelectMany(m => new[] { m.FullName, $"{m.FirstName} {m.LastName}" }.Select(n => (Name: Norm(n), m)).Distinct())
            .GroupBy(x => x.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(x => x.m).Distinct().ToList(), StringComparer.Ordinal);
        var result = new List<(Payment, MatchDecision)>();
        foreach (var p in data.PaymentsInOrder())
        {
            MatchDecision? decision = null;
            var referenced = (p.Memo ?? "").Split(Separators, StringSplitOptions.RemoveEmptyEntries).Select(Norm).Where(t => t.Length > 0 && byInvoice.ContainsKey(t)).Select(t => byInvoice[t]).Distinct().ToList();
            if (referenced.Count > 0 && referenced.Select(r => r.Member).Distinct().Count() == 1)
            {
                var member = referenced[0].Member;
                var live = referenced.Where(r => r.Balance.IsPositive).ToList();
                if (live.Count > 0 && Sum(live) == p.Amount) decision = Apply(p, live, "invoice numbers found, amount equal");
                else if (Owed(byMember, member) is { Count: > 0 } all && Sum(all) == p.Amount) decision = Apply(p, all, "invoice number found, amount equals everything owed");
            }

            if (decision is null && referenced.Count == 0)
            {
                Member? who = null;
                if (!string.IsNullOrWhiteSpace(p.PayerEmail) && byEmail.TryGetValue(p.PayerEmail.Trim().ToUpperInvariant(), out var mailed) && mailed.Count == 1) who = mailed[0];
                else if (p.PayerName is { } name && byName.TryGetValue(Norm(name), out var named) && named.Count == 1) who = named[0];
                if (who is not null && Owed(byMember, who.Id) is { Count: > 0 } owed)
                {
                    var single = owed.FirstOrDefault(o => o.Balance == p.Amount);
                    if (single is not null) decision = Apply(p, [single], "e-mail or exact name, amount equals an open balance");
                    else if (Sum(owed) == p.Amount) decision = Apply(p, owed, "e-mail or exact name, amount equals everything owed");
                }
            }

            decision ??= new MatchDecision(p.Id, MatchAction.Review, 0m, "no invoice number, e-mail or exact name with an equal amount", [], [], "Review by hand.");
            if (decision.Action == MatchAction.Apply)
                foreach (var a in decision.Allocations) byInvoice[Norm(a.InvoiceId!.Value.Value)].Balance -= a.Amount;
            result.Add((p, decision));
        }

        return result;
    }

    private static List<Open> Owed(Dictionary<MemberId, List<Open>> byMember, MemberId member) =>
        byMember.TryGetValue(member, out var list) ? list.Where(i => i.Balance.IsPositive).ToList() : [];

    private static Money Sum(List<Open> items) => Money.Sum(items.Select(i => i.Balance), items[0].Balance.Currency);

    private static MatchDecision Apply(Payment p, List<Open> items, string reason) =>
        new(p.Id, MatchAction.Apply, 1m, reason, items.Select(i => new ProposedAllocation(i.Member, i.Id, i.Balance)).ToList(), [], "Applied.");

    private sealed class Open(InvoiceId id, MemberId member, DateOnly due)
    {
        public InvoiceId Id { get; } = id;
        public MemberId Member { get; } = member;
        public DateOnly Due { get; } = due;
        public Money Balance { get; set; }
    }
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
    /// <summary>Scores per scenario (truth.csv's optional <c>case</c> column); empty when truth has none.</summary>
    public IReadOnlyDictionary<string, EvaluationScore> ByCase { get; init; } = new Dictionary<string, EvaluationScore>();

    public int Wrong => AutoApplied - Correct;
    public double Precision => AutoApplied == 0 ? 1.0 : (double)Correct / AutoApplied;
    public double Coverage => TruthApply == 0 ? 1.0 : (double)Correct / TruthApply;
    public double Top1 => ReviewWithMember == 0 ? 1.0 : (double)ReviewTop1 / ReviewWithMember;
}

/// <summary>Scores decisions against truth.csv.</summary>
public static class EvaluateMatching
{
    public static EvaluationScore Score(string matcher, GoldenDataset data, IReadOnlyList<(Payment Payment, MatchDecision Decision)> decisions, double seconds, bool perChannel = true, bool perCase = true)
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
                .ToDictionary(g => g.Key, g => Score(matcher, data, g.ToList(), 0, perChannel: false, perCase: false), StringComparer.Ordinal);
        }

        var cases = new Dictionary<string, EvaluationScore>(StringComparer.Ordinal);
        if (perCase)
        {
            foreach (var g in decisions.GroupBy(x => byPayment.GetValueOrDefault(x.Payment.Id.Value)?.FirstOrDefault()?.Case ?? "", StringComparer.Ordinal).Where(g => g.Key.Length > 0).OrderBy(g => g.Key, StringComparer.Ordinal))
                cases[g.Key] = Score(matcher, data, g.ToList(), 0, perChannel: false, perCase: false);
        }

        var calibration = bins.Select((b, i) => (i / 10m, (i + 1) / 10m, b.Count, b.Count == 0 ? 0.0 : (double)b.Right / b.Count)).ToList();
        return new EvaluationScore(matcher, decisions.Count, truthApply, auto, correct, reviewWithMember, top1, seconds, channels, calibration, wrong) { ByCase = cases };
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
