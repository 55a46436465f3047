using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;

namespace DuesPilot.Tooling.Invoicing;

/// <summary>One defect planted on purpose: validation must report <paramref name="Kind"/> on <paramref name="InvoiceId"/>.</summary>
public sealed record PlantedDefect(InvoiceId InvoiceId, FindingKind Kind, string Description);

/// <summary>A batch with defects planted in it and the manifest of what was planted where.</summary>
public sealed record PlantedBatch(InvoiceBatch Batch, IReadOnlyList<PlantedDefect> Manifest);

/// <summary>
/// Plants a known set of defects in clean invoices (as <see cref="GenerateInvoiceBatch"/> makes them):
/// a wrong tier rate, a corporate member billed at the individual rate, a join invoice at the full
/// (unprorated) rate, a missing tax line, a duplicate invoice and a manual price override. Pure and
/// deterministic for a seed. The sandbox seeder uses it to seed iMIS with defects; tests use the
/// manifest to prove validation finds all of them and nothing else.
/// </summary>
public static class PlantInvoiceDefects
{
    public static IReadOnlyList<FindingKind> Kinds { get; } =
    [
        FindingKind.WrongTierRate,
        FindingKind.CorporateBilledAsIndividual,
        FindingKind.ProrationMismatch,
        FindingKind.MissingTax,
        FindingKind.DuplicateInvoice,
        FindingKind.ManualOverride,
    ];

    /// <param name="perKind">How many invoices get each kind of defect (fewer when the batch has too few candidates; the manifest says).</param>
    public static PlantedBatch Plant(BillingPolicy policy, InvoiceBatch clean, int perKind = 1, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(clean);
        var random = new Random(seed);
        var members = clean.Members.ToDictionary(m => m.Id);
        var invoices = clean.Invoices.ToList();
        var index = invoices.Select((inv, i) => (inv.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var overrides = clean.Overrides.ToList();
        var manifest = new List<PlantedDefect>();
        var used = new HashSet<InvoiceId>();
        var order = invoices.Select(i => i.Id).OrderBy(_ => random.Next()).ToArray();

        bool IsJoin(Invoice inv, Member m) => m.JoinDate is { } j && Math.Abs(inv.InvoiceDate.DayNumber - j.DayNumber) <= policy.Invoices.JoinInvoiceWindowDays;

        IEnumerable<(Invoice Invoice, Member Member, MembershipTier Tier)> Candidates(Func<Invoice, Member, MembershipTier, bool> fits)
        {
            foreach (var id in order)
            {
                if (used.Contains(id)) continue;
                var inv = invoices[index[id]];
                if (!members.TryGetValue(inv.MemberId, out var m) || policy.FindTier(m.Tier) is not { } tier) continue;
                if (inv.Lines.Count != 1 || inv.Lines[0].PeriodStart is not null) continue; // one plain dues line, no tax, no multi-year period
                if (fits(inv, m, tier)) yield return (inv, m, tier);
            }
        }

        void Replace(Invoice inv, IReadOnlyList<InvoiceLine> lines, FindingKind kind, string description)
        {
            var total = Money.Sum(lines.Select(l => l.Amount), inv.Amount.Currency);
            var paid = inv.Amount - inv.Balance;
            invoices[index[inv.Id]] = inv with { Lines = lines, Amount = total, Balance = Money.Max(Money.Zero(total.Currency), total - paid), ProductCode = lines[0].ProductCode };
            used.Add(inv.Id);
            manifest.Add(new PlantedDefect(inv.Id, kind, description));
        }

        // Wrong tier: a person renewing is billed another individual tier's product and rate.
        foreach (var (inv, m, tier) in Candidates((inv, m, t) => m.Kind == PartyKind.Person && !t.IsOrganizational && !IsJoin(inv, m)).Take(perKind))
        {
            var other = policy.Tiers.FirstOrDefault(t => !t.IsOrganizational && t != tier && t.Prices.RateOn(inv.InvoiceDate) != tier.Prices.RateOn(inv.InvoiceDate));
            if (other is null) break;
            var amount = Prorate.PriceJoin(policy, other, Start(policy, inv, m), 1, invoiceDate: inv.InvoiceDate, anchor: m.JoinDate).Charge;
            Replace(inv, [inv.Lines[0] with { ProductCode = other.Prices.ProductCode, Amount = amount }], FindingKind.WrongTierRate,
                $"{m.Tier} member billed {other.Prices.ProductCode} at {amount.ToDisplayString()}");
        }

        // Corporate at the individual rate: an organization billed the first individual tier.
        var individual = policy.Tiers.FirstOrDefault(t => !t.IsOrganizational);
        foreach (var (inv, m, _) in Candidates((inv, m, t) => m.Kind == PartyKind.Organization && !IsJoin(inv, m)).Take(individual is null ? 0 : perKind))
        {
            var amount = Prorate.PriceJoin(policy, individual!, Start(policy, inv, m), 1, invoiceDate: inv.InvoiceDate, anchor: m.JoinDate).Charge;
            Replace(inv, [inv.Lines[0] with { ProductCode = individual!.Prices.ProductCode, Amount = amount }], FindingKind.CorporateBilledAsIndividual,
                $"organization billed {individual.Prices.ProductCode} at {amount.ToDisplayString()}");
        }

        // Bad proration: a prorated join invoice billed at the full annual rate.
        foreach (var (inv, m, tier) in Candidates((inv, m, t) => IsJoin(inv, m) && inv.Lines[0].Amount != policy.RateOn(t, inv.InvoiceDate)).Take(perKind))
        {
            var full = Prorate.PriceJoin(policy, tier, m.JoinDate!.Value, 1, invoiceDate: inv.InvoiceDate).Rate;
            Replace(inv, [inv.Lines[0] with { Amount = full }], FindingKind.ProrationMismatch, $"join invoice billed the full rate {full.ToDisplayString()}");
        }

        // Missing tax: an invoice with a tax line loses it.
        var taxProduct = policy.Invoices.TaxLineProduct;
        foreach (var id in order.Where(id => !used.Contains(id)))
        {
            if (manifest.Count(d => d.Kind == FindingKind.MissingTax) >= perKind) break;
            var inv = invoices[index[id]];
            var kept = inv.Lines.Where(l => !string.Equals(l.ProductCode, taxProduct, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (kept.Length == inv.Lines.Count || kept.Length == 0) continue;
            Replace(inv, kept, FindingKind.MissingTax, "tax line removed");
        }

        // Manual override: a renewal's price cut by 10 % by hand, with a reason.
        foreach (var (inv, m, _) in Candidates((inv, m, t) => !IsJoin(inv, m)).Take(perKind))
        {
            var cut = inv.Lines[0].Amount.Multiply(0.9m, Rounding.HalfAwayFromZero);
            Replace(inv, [inv.Lines[0] with { Amount = cut }], FindingKind.ManualOverride, $"price set by hand to {cut.ToDisplayString()}");
            overrides.Add(new LineOverride(inv.Id, 0, "Loyalty discount agreed by phone"));
        }

        // Duplicate: a clean invoice issued a second time a few days later under a new number.
        foreach (var (inv, _, _) in Candidates((_, _, _) => true).Take(perKind).ToArray())
        {
            var copy = inv with { Id = new InvoiceId(inv.Id.Value + "-DUP"), InvoiceDate = inv.InvoiceDate.AddDays(3), DueDate = inv.DueDate.AddDays(3) };
            used.Add(inv.Id);
            used.Add(copy.Id);
            invoices.Add(copy);
            manifest.Add(new PlantedDefect(copy.Id, FindingKind.DuplicateInvoice, $"copy of {inv.Id}"));
        }

        return new PlantedBatch(clean with { Invoices = invoices, Overrides = overrides }, manifest);
    }

    /// <summary>The first day of the term a renewal invoice is for, read the way validation reads it.</summary>
    private static DateOnly Start(BillingPolicy policy, Invoice inv, Member m) =>
        policy.Cycle.TermContaining(inv.InvoiceDate.AddDays(policy.Invoices.RenewalLeadDays), m.JoinDate).Start;
}
