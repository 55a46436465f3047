using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;

namespace DuesPilot.Tooling.Invoicing;

/// <summary>
/// Makes a realistic, clean batch of dues invoices from a billing policy: renewals billed ahead of the
/// term, prorated join invoices, multi-year terms, organizations on the corporate tier and members in
/// taxed jurisdictions. Every invoice is priced by the policy, so validation finds nothing in it; the
/// same seed gives the same batch (the sandbox seeder, tests and the benchmark rely on that).
/// </summary>
public static class GenerateInvoiceBatch
{
    private static readonly string[] FirstNames = ["Maria", "James", "Aisha", "Robert", "Chen", "Fatima", "David", "Olga", "Kwame", "Sofia", "Liam", "Priya"];
    private static readonly string[] LastNames = ["Smith", "Garcia", "Okafor", "Nguyen", "Kowalski", "Haddad", "Johnson", "Silva", "Müller", "Patel", "O'Brien", "Tanaka"];
    private static readonly string[] Companies = ["Acme Widgets, Inc.", "Northwind Traders LLC", "Blue Ridge Engineering", "Harbor Health Partners", "Summit Legal Group"];

    /// <param name="termYear">Renewals are for the term starting in this year; joins fall inside that term.</param>
    public static InvoiceBatch Create(BillingPolicy policy, int count, int seed, int termYear)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var people = policy.Tiers.Where(t => !t.IsOrganizational).ToArray();
        var organizations = policy.Tiers.Where(t => t.IsOrganizational).ToArray();
        if (people.Length == 0) throw new ProrationException("The policy has no individual tier to generate members for.");
        var taxedJurisdictions = policy.Taxes.Where(t => t.Jurisdiction != TaxRule.AnyJurisdiction).Select(t => t.Jurisdiction).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var members = new List<Member>(count);
        var invoices = new List<Invoice>(count);
        var jurisdictions = new Dictionary<MemberId, string>();
        var cycleStart = new DateOnly(termYear, policy.Cycle.Kind == CycleKind.FiscalYear ? policy.Cycle.StartMonth : 1, 1);
        var lead = Math.Min(45, policy.Invoices.RenewalLeadDays);

        for (var i = 0; i < count; i++)
        {
            var id = new MemberId($"M{i + 1:D6}");
            var isOrganization = organizations.Length > 0 && random.Next(100) < 12;
            var tier = isOrganization ? organizations[random.Next(organizations.Length)] : people[random.Next(100) < 60 ? 0 : 1 + random.Next(Math.Max(1, people.Length - 1)) % people.Length];
            if (taxedJurisdictions.Length > 0 && random.Next(100) < 10) jurisdictions[id] = taxedJurisdictions[random.Next(taxedJurisdictions.Length)];
            var jurisdiction = jurisdictions.TryGetValue(id, out var j) ? j : policy.Invoices.DefaultJurisdiction;

            var roll = random.Next(100);
            DateOnly joinDate;
            JoinPrice price;
            DateOnly invoiceDate;
            DateOnly? periodStart = null, periodEnd = null;
            string description;
            if (roll < 25)
            {
                joinDate = cycleStart.AddDays(random.Next(365));
                invoiceDate = joinDate;
                price = Prorate.PriceJoin(policy, tier, joinDate, 1, invoiceDate: invoiceDate);
                description = $"{tier.Name} membership dues from {joinDate:yyyy-MM-dd}";
            }
            else
            {
                joinDate = cycleStart.AddYears(-2 - random.Next(15)).AddDays(random.Next(365));
                var termStart = policy.Cycle.TermContaining(new DateOnly(termYear, policy.Cycle.Kind == CycleKind.Anniversary ? joinDate.Month : cycleStart.Month, 1), joinDate).Start;
                var years = roll >= 95 && policy.MultiYear.Count > 0 ? policy.MultiYear[random.Next(policy.MultiYear.Count)].Years : 1;
                invoiceDate = termStart.AddDays(-lead);
                price = Prorate.PriceJoin(policy, tier, termStart, years, invoiceDate: invoiceDate, anchor: joinDate);
                if (years > 1)
                {
                    periodStart = termStart;
                    periodEnd = termStart.AddMonths(policy.Cycle.TermMonths * years).AddDays(-1);
                }

                description = years > 1 ? $"{tier.Name} dues, {years}-year term from {termStart:yyyy-MM-dd}" : $"{tier.Name} dues renewal {termStart:yyyy-MM-dd}";
            }

            if (!price.Charge.IsPositive)
            {
                // A join with nothing left to bill this term (e.g. the last month, not counted): bill next term's renewal instead.
                invoiceDate = price.TermEnd.AddDays(1 - lead);
                price = Prorate.PriceJoin(policy, tier, price.TermEnd.AddDays(1), 1, invoiceDate: invoiceDate, anchor: joinDate);
                joinDate = joinDate.AddYears(-1);
                description = $"{tier.Name} dues renewal {price.TermStart:yyyy-MM-dd}";
            }

            var name = isOrganization ? $"{Companies[random.Next(Companies.Length)]} #{i + 1}" : null;
            var first = isOrganization ? null : FirstNames[random.Next(FirstNames.Length)];
            var last = isOrganization ? null : LastNames[random.Next(LastNames.Length)];
            members.Add(new Member(id, isOrganization ? PartyKind.Organization : PartyKind.Person, name ?? $"{first} {last}", first, last,
                isOrganization ? null : $"{first!.ToLowerInvariant()}.{i + 1}@example.org", tier.Code, MemberStatus.Active, joinDate, price.TermStart.AddDays(-1)));

            var lines = new List<InvoiceLine>(2);
            var rule = policy.TaxFor(tier.Prices.ProductCode, jurisdiction);
            lines.Add(new InvoiceLine(tier.Prices.ProductCode, description, price.Charge, 1, rule?.TaxCode, periodStart, periodEnd));
            if (rule is { RateMillionths: > 0 })
                lines.Add(new InvoiceLine(policy.Invoices.TaxLineProduct, $"{rule.TaxCode} {(rule.RateMillionths / 10_000m).ToString("0.####", CultureInfo.InvariantCulture)} %",
                    price.Charge.MultiplyFraction(rule.RateMillionths, 1_000_000, policy.Rounding), 1, rule.TaxCode));
            var total = Money.Sum(lines.Select(l => l.Amount), policy.Currency);
            invoices.Add(new Invoice(new InvoiceId($"INV-{termYear}-{i + 1:D6}"), id, invoiceDate, invoiceDate.AddDays(30), total, total, tier.Prices.ProductCode, description, lines));
        }

        return new InvoiceBatch(members, invoices, jurisdictions, []);
    }
}
