using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;

namespace DuesPilot.Features.Invoicing;

/// <summary>What is wrong with an invoice line (or the invoice).</summary>
public enum FindingKind
{
    /// <summary>The line bills another tier's product or rate than the member's tier.</summary>
    WrongTierRate,
    /// <summary>An organization (corporate member) is billed an individual product or rate.</summary>
    CorporateBilledAsIndividual,
    /// <summary>A join invoice is not prorated the way the policy says (full rate, wrong month count).</summary>
    ProrationMismatch,
    /// <summary>The member's jurisdiction taxes the product but the line has no tax code or the invoice no tax line.</summary>
    MissingTax,
    /// <summary>A tax line is there but its amount is not the rate × the taxed amount.</summary>
    TaxMismatch,
    /// <summary>A tax line with no taxable dues line behind it.</summary>
    UnexpectedTax,
    /// <summary>A second invoice for the same member, product and term.</summary>
    DuplicateInvoice,
    /// <summary>Staff set the price by hand and it differs from the policy's price.</summary>
    ManualOverride,
    /// <summary>The amount is the product's rate from another price schedule period than the one in force.</summary>
    OutdatedPrice,
    /// <summary>A multi-year term billed with the wrong discount.</summary>
    MultiYearDiscountMismatch,
    /// <summary>The invoice total is not the sum of its lines.</summary>
    TotalMismatch,
    /// <summary>The bill-to member is not in the member list.</summary>
    UnknownMember,
    /// <summary>The member's tier is not in the billing policy.</summary>
    UnknownTier,
}

/// <summary>One discrepancy, with what the policy expects, what the invoice says, and why.</summary>
/// <param name="LineNo">1-based line number; null for the invoice as a whole.</param>
/// <param name="Likelihood">How likely (0–1) the finding is a real billing error rather than a deliberate exception.</param>
public sealed record InvoiceFinding(InvoiceId InvoiceId, MemberId MemberId, int? LineNo, FindingKind Kind, Money Expected, Money Actual, decimal Likelihood, string Explanation)
{
    /// <summary>The money the finding is about: the difference between expected and actual.</summary>
    public Money AtStake => (Expected - Actual).Abs();
}

/// <summary>An invoice that needs a human, with its findings and a priority: expected money at stake (cents × likelihood), worst first.</summary>
public sealed record InvoiceReview(Invoice Invoice, IReadOnlyList<InvoiceFinding> Findings)
{
    public long PriorityCents { get; } = Findings.Sum(f => (long)decimal.Round(f.AtStake.MinorUnits * f.Likelihood, MidpointRounding.AwayFromZero));

    /// <summary>The review queue's priority: the same expected loss on the 0–100 scale payments use (<see cref="Review.ReviewPriority.ForAmount"/>), so invoices and payments sort together.</summary>
    public int QueuePriority => Review.ReviewPriority.ForAmount(Money.FromMinor(PriorityCents, Invoice.Amount.Currency));
}

/// <summary>The outcome of a validation run. Clean invoices are only counted.</summary>
public sealed record ValidationReport(int InvoicesChecked, int LinesChecked, IReadOnlyList<InvoiceReview> Flagged)
{
    public int Clean => InvoicesChecked - Flagged.Count;

    public IReadOnlyDictionary<FindingKind, int> CountByKind() =>
        Flagged.SelectMany(r => r.Findings).GroupBy(f => f.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>
/// Checks every dues invoice line against the member's tier and organization status, the price
/// schedule in force, the proration the policy implies, tax codes, multi-year discounts and manual
/// overrides; finds duplicate invoices across the batch. Pure: no I/O, the same batch gives the same report.
/// </summary>
/// <remarks>
/// Which term an invoice is for: the line's period when it has one; otherwise the join term when the
/// invoice is dated within <see cref="InvoiceReading.JoinInvoiceWindowDays"/> of the member's join
/// date (a prorated join invoice), otherwise the term that starts within
/// <see cref="InvoiceReading.RenewalLeadDays"/> after the invoice date or contains it (a full-rate
/// renewal). The rate is the one in force on the later of the invoice date and the term start.
/// </remarks>
public static class ValidateInvoices
{
    private const decimal OverrideWithReason = 0.3m;
    private const decimal OverrideWithoutReason = 0.6m;

    public static ValidationReport Run(BillingPolicy policy, InvoiceBatch batch, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(batch);
        var members = new Dictionary<MemberId, Member>(batch.Members.Count);
        foreach (var m in batch.Members) members[m.Id] = m;
        var overrides = new Dictionary<(InvoiceId, int), string>();
        foreach (var o in batch.Overrides) overrides[(o.InvoiceId, o.LineIndex)] = o.Reason;

        // Earlier invoices win a duplicate: the later copy is the one flagged.
        var ordered = batch.Invoices.Select((inv, i) => (inv, i)).OrderBy(x => x.inv.InvoiceDate).ThenBy(x => x.i).Select(x => x.inv);
        var seen = new Dictionary<(MemberId, string, DateOnly), Invoice>();
        var flagged = new List<InvoiceReview>();
        var lines = 0;
        var done = 0;
        foreach (var invoice in ordered)
        {
            var findings = new List<InvoiceFinding>();
            lines += invoice.Lines.Count;
            Check(policy, invoice, members, batch.Jurisdictions, overrides, seen, findings);
            if (findings.Count > 0) flagged.Add(new InvoiceReview(invoice, findings));
            if (++done % 1000 == 0) progress?.Report(done);
        }

        progress?.Report(done);
        flagged.Sort((a, b) => b.PriorityCents.CompareTo(a.PriorityCents) is var c && c != 0 ? c : string.CompareOrdinal(a.Invoice.Id.Value, b.Invoice.Id.Value));
        return new ValidationReport(batch.Invoices.Count, lines, flagged);
    }

    /// <summary>
    /// Checks one new invoice (as the iMIS connector detects it, before it is sent) against the
    /// member's existing invoices: those count as earlier, so a duplicate is always the new one.
    /// Null when the invoice is clean.
    /// </summary>
    public static InvoiceReview? CheckNew(BillingPolicy policy, Invoice invoice, Member member, IReadOnlyList<Invoice> existing, string? jurisdiction = null, IReadOnlyList<LineOverride>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(existing);
        var members = new Dictionary<MemberId, Member> { [member.Id] = member };
        var jurisdictions = new Dictionary<MemberId, string>();
        if (jurisdiction is not null) jurisdictions[member.Id] = jurisdiction;
        var manual = new Dictionary<(InvoiceId, int), string>();
        foreach (var o in overrides ?? []) manual[(o.InvoiceId, o.LineIndex)] = o.Reason;
        var seen = new Dictionary<(MemberId, string, DateOnly), Invoice>();
        foreach (var earlier in existing.Where(e => e.Id != invoice.Id).OrderBy(e => e.InvoiceDate))
            Check(policy, earlier, members, jurisdictions, manual, seen, []);
        var findings = new List<InvoiceFinding>();
        Check(policy, invoice, members, jurisdictions, manual, seen, findings);
        return findings.Count == 0 ? null : new InvoiceReview(invoice, findings);
    }

    private static void Check(BillingPolicy policy, Invoice invoice, Dictionary<MemberId, Member> members, IReadOnlyDictionary<MemberId, string> jurisdictions, Dictionary<(InvoiceId, int), string> overrides,
        Dictionary<(MemberId, string, DateOnly), Invoice> seen, List<InvoiceFinding> findings)
    {
        var currency = invoice.Amount.Currency;
        var zero = Money.Zero(currency);
        var lineSum = Money.Sum(invoice.Lines.Select(l => l.Amount), currency);
        if (lineSum != invoice.Amount)
            findings.Add(new(invoice.Id, invoice.MemberId, null, FindingKind.TotalMismatch, lineSum, invoice.Amount, 0.95m,
                $"The invoice total {invoice.Amount.ToDisplayString()} is not the sum of its lines, {lineSum.ToDisplayString()}."));

        if (!members.TryGetValue(invoice.MemberId, out var member))
        {
            findings.Add(new(invoice.Id, invoice.MemberId, null, FindingKind.UnknownMember, zero, invoice.Amount, 0.5m,
                $"Bill-to party {invoice.MemberId} is not in the member list, so the tier cannot be checked."));
            return;
        }

        var memberTier = policy.FindTier(member.Tier);
        if (memberTier is null)
        {
            findings.Add(new(invoice.Id, invoice.MemberId, null, FindingKind.UnknownTier, invoice.Amount, invoice.Amount, 0.5m,
                $"Member type '{member.Tier}' is not in the billing policy ({string.Join(", ", policy.Tiers.Select(t => t.Code))})."));
            return;
        }

        var isOrganization = member.Kind == PartyKind.Organization || memberTier.IsOrganizational;
        var billedTier = isOrganization && !memberTier.IsOrganizational ? policy.Tiers.FirstOrDefault(t => t.IsOrganizational) ?? memberTier : memberTier;
        var jurisdiction = jurisdictions.TryGetValue(member.Id, out var own) ? own : policy.Invoices.DefaultJurisdiction;
        var taxLineProduct = policy.Invoices.TaxLineProduct;
        var taxDue = new Dictionary<string, (Money Expected, TaxRule Rule, int LineNo)>(StringComparer.OrdinalIgnoreCase);

        for (var i = 0; i < invoice.Lines.Count; i++)
        {
            var line = invoice.Lines[i];
            var lineNo = i + 1;
            if (string.Equals(line.ProductCode, taxLineProduct, StringComparison.OrdinalIgnoreCase)) continue;
            var lineTier = policy.FindTierByProduct(line.ProductCode);
            if (lineTier is null) continue; // not a dues line (chapter fee, donation): outside this check

            var priced = Price(policy, billedTier, member, invoice, line);
            var key = (member.Id, billedTier.Prices.ProductCode.ToUpperInvariant(), priced.Price.TermStart);
            if (seen.TryGetValue(key, out var first) && first.Id != invoice.Id)
                findings.Add(new(invoice.Id, member.Id, lineNo, FindingKind.DuplicateInvoice, zero, line.Amount, 0.9m,
                    $"Invoice {first.Id} dated {first.InvoiceDate:yyyy-MM-dd} already bills {member.FullName} for {billedTier.Prices.ProductCode}, term {priced.Price.TermStart:yyyy-MM-dd} – {priced.Price.TermEnd:yyyy-MM-dd}."));
            else seen[key] = invoice;

            var expected = priced.Price.Charge;
            if (isOrganization && !lineTier.IsOrganizational)
                findings.Add(new(invoice.Id, member.Id, lineNo, FindingKind.CorporateBilledAsIndividual, expected, line.Amount, 0.95m,
                    $"{member.FullName} is an organization ({member.Tier}) but line {lineNo} bills the individual product {line.ProductCode} at {line.Amount.ToDisplayString()}; expected {billedTier.Prices.ProductCode}: {priced.Explanation}."));
            else if (lineTier != billedTier)
                findings.Add(new(invoice.Id, member.Id, lineNo, FindingKind.WrongTierRate, expected, line.Amount, 0.9m,
                    $"{member.FullName} is {memberTier.Code} but line {lineNo} bills {line.ProductCode} ({lineTier.Code}) at {line.Amount.ToDisplayString()}; expected {billedTier.Prices.ProductCode}: {priced.Explanation}."));
            else if (line.Amount != expected)
                findings.Add(AmountFinding(policy, billedTier, member, invoice, line, lineNo, priced, overrides));

            if (policy.TaxFor(line.ProductCode, jurisdiction) is { } rule)
            {
                if (!string.Equals(line.TaxCode, rule.TaxCode, StringComparison.OrdinalIgnoreCase))
                {
                    var tax = TaxOn(line.Amount, rule, policy.Rounding);
                    findings.Add(new(invoice.Id, member.Id, lineNo, FindingKind.MissingTax, tax, zero, 0.9m,
                        $"{jurisdiction} members pay {rule.TaxCode} ({Percent(rule)}) on {line.ProductCode}, but line {lineNo} carries {(line.TaxCode is null ? "no tax code" : $"tax code {line.TaxCode}")}."));
                }
                else if (rule.RateMillionths > 0)
                {
                    var tax = TaxOn(line.Amount, rule, policy.Rounding);
                    taxDue[rule.TaxCode] = taxDue.TryGetValue(rule.TaxCode, out var sofar) ? (sofar.Expected + tax, rule, sofar.LineNo) : (tax, rule, lineNo);
                }
            }
        }

        CheckTaxLines(invoice, member, taxLineProduct, taxDue, findings, zero);
    }

    private static void CheckTaxLines(Invoice invoice, Member member, string taxLineProduct, Dictionary<string, (Money Expected, TaxRule Rule, int LineNo)> taxDue, List<InvoiceFinding> findings, Money zero)
    {
        var charged = new Dictionary<string, Money>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < invoice.Lines.Count; i++)
        {
            var l = invoice.Lines[i];
            if (!string.Equals(l.ProductCode, taxLineProduct, StringComparison.OrdinalIgnoreCase)) continue;
            var code = l.TaxCode ?? "";
            charged[code] = charged.TryGetValue(code, out var sofar) ? sofar + l.Amount : l.Amount;
        }

        foreach (var (code, due) in taxDue)
        {
            if (!charged.TryGetValue(code, out var actual))
                findings.Add(new(invoice.Id, member.Id, due.LineNo, FindingKind.MissingTax, due.Expected, zero, 0.9m,
                    $"{due.Rule.TaxCode} at {Percent(due.Rule)} is due ({due.Expected.ToDisplayString()}) but the invoice has no {taxLineProduct} line for it."));
            else if (actual != due.Expected)
                findings.Add(new(invoice.Id, member.Id, due.LineNo, FindingKind.TaxMismatch, due.Expected, actual, 0.8m,
                    $"{due.Rule.TaxCode} at {Percent(due.Rule)} should be {due.Expected.ToDisplayString()}; the invoice charges {actual.ToDisplayString()}."));
        }

        foreach (var (code, actual) in charged)
            if (!taxDue.ContainsKey(code) && !actual.IsZero)
                findings.Add(new(invoice.Id, member.Id, null, FindingKind.UnexpectedTax, zero, actual, 0.7m,
                    $"The invoice charges {actual.ToDisplayString()} of tax {(code.Length == 0 ? "without a code" : code)} that no dues line of a taxed jurisdiction explains."));
    }

    private static Money TaxOn(Money amount, TaxRule rule, Rounding rounding) => amount.MultiplyFraction(rule.RateMillionths, 1_000_000, rounding);

    private static string Percent(TaxRule rule) => (rule.RateMillionths / 10_000m).ToString("0.####", CultureInfo.InvariantCulture) + " %";

    private sealed record Priced(JoinPrice Price, string Explanation, bool IsJoin);

    /// <summary>The policy's price for the line, with the term it covers and the arithmetic in words.</summary>
    private static Priced Price(BillingPolicy policy, MembershipTier tier, Member member, Invoice invoice, InvoiceLine line)
    {
        var anchor = member.JoinDate;
        if (line.PeriodStart is { } ps)
        {
            var (ts, _) = policy.Cycle.TermContaining(ps, anchor ?? ps);
            var years = 1;
            if (line.PeriodEnd is { } pe)
                for (var t = ts.AddMonths(policy.Cycle.TermMonths); t <= pe; t = t.AddMonths(policy.Cycle.TermMonths)) years++;
            var isJoin = ps > ts;
            var joinDate = isJoin && member.JoinDate is { } jd && jd >= ts && jd <= ps ? jd : isJoin ? ps : ts;
            var price = Prorate.PriceJoin(policy, tier, joinDate, years, invoiceDate: invoice.InvoiceDate, anchor: anchor);
            return new Priced(price, Describe(price, isJoin ? joinDate : null), isJoin);
        }

        if (member.JoinDate is { } join && Math.Abs(invoice.InvoiceDate.DayNumber - join.DayNumber) <= policy.Invoices.JoinInvoiceWindowDays)
        {
            var price = Prorate.PriceJoin(policy, tier, join, 1, invoiceDate: invoice.InvoiceDate, anchor: anchor);
            return new Priced(price, Describe(price, join), true);
        }

        var (start, _) = policy.Cycle.TermContaining(invoice.InvoiceDate.AddDays(policy.Invoices.RenewalLeadDays), anchor);
        var renewal = Prorate.PriceJoin(policy, tier, start, 1, invoiceDate: invoice.InvoiceDate, anchor: anchor);
        if (line.Amount != renewal.Charge)
        {
            // A renewal without periods may still be a multi-year term: accept an exact multi-year price.
            foreach (var m in policy.MultiYear)
            {
                var multi = Prorate.PriceJoin(policy, tier, start, m.Years, invoiceDate: invoice.InvoiceDate, anchor: anchor);
                if (multi.Charge == line.Amount) return new Priced(multi, Describe(multi, null), false);
            }
        }

        return new Priced(renewal, Describe(renewal, null), false);
    }

    private static string Describe(JoinPrice p, DateOnly? joined)
    {
        var verb = joined is { } j ? $"joined {j.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)}" : $"term from {p.TermStart.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)}";
        return Prorate.JoinLine(verb, p).TrimEnd('.');
    }

    private static InvoiceFinding AmountFinding(BillingPolicy policy, MembershipTier tier, Member member, Invoice invoice, InvoiceLine line, int lineNo, Priced priced,
        Dictionary<(InvoiceId, int), string> overrides)
    {
        var expected = priced.Price.Charge;
        if (overrides.TryGetValue((invoice.Id, lineNo - 1), out var reason))
        {
            var why = string.IsNullOrWhiteSpace(reason) ? "no reason given" : $"reason: {reason}";
            return new(invoice.Id, member.Id, lineNo, FindingKind.ManualOverride, expected, line.Amount, string.IsNullOrWhiteSpace(reason) ? OverrideWithoutReason : OverrideWithReason,
                $"Line {lineNo} was priced by hand ({why}): {line.Amount.ToDisplayString()} instead of the policy's {expected.ToDisplayString()} ({priced.Explanation}).");
        }

        if (priced.IsJoin)
            return new(invoice.Id, member.Id, lineNo, FindingKind.ProrationMismatch, expected, line.Amount, 0.85m,
                $"Expected {priced.Explanation}; billed {line.Amount.ToDisplayString()}{(line.Amount == priced.Price.Rate ? " (the full, unprorated rate)" : "")}.");

        if (priced.Price.Years > 1 || policy.MultiYear.Any(m => line.Amount == priced.Price.Rate * m.Years))
            return new(invoice.Id, member.Id, lineNo, FindingKind.MultiYearDiscountMismatch, expected, line.Amount, 0.7m,
                $"Expected {priced.Explanation}; billed {line.Amount.ToDisplayString()}.");

        foreach (var entry in tier.Prices.Entries)
            if (entry.AnnualRate == line.Amount && entry.AnnualRate != priced.Price.Rate)
                return new(invoice.Id, member.Id, lineNo, FindingKind.OutdatedPrice, expected, line.Amount, 0.8m,
                    $"Billed {line.Amount.ToDisplayString()}, the {tier.Prices.ProductCode} rate from {entry.EffectiveFrom:yyyy-MM-dd}; the rate in force is {priced.Price.Rate.ToDisplayString()} ({priced.Explanation}).");

        return new(invoice.Id, member.Id, lineNo, FindingKind.WrongTierRate, expected, line.Amount, 0.8m,
            $"{member.FullName} ({tier.Code}) is billed {line.Amount.ToDisplayString()} for {line.ProductCode}; expected {priced.Explanation}.");
    }
}
