using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace DuesPilot.Features.Invoicing;

/// <summary>A billing policy file that cannot be used; the message names the file and every bad field.</summary>
public sealed class BillingPolicyException(string source, IReadOnlyList<string> errors)
    : Exception($"{source}: {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads <c>billing-policy.yaml</c> into a <see cref="BillingPolicy"/> and validates it at load: every
/// problem is reported at once, each naming its field (<c>tiers[1].prices[0].annual_rate</c>).
/// </summary>
/// <remarks>Scalars are read as text and parsed here, so a bad amount or date gets a message in dues terms rather than a parser's.</remarks>
public static class LoadBillingPolicy
{
    /// <summary>The association's policy: <c>Billing:PolicyFile</c> when set, else the bundled example. The service and every command read it here.</summary>
    public static BillingPolicy FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var file = configuration["Billing:PolicyFile"];
        return string.IsNullOrWhiteSpace(file) ? Example() : FromFile(file);
    }

    public static BillingPolicy FromFile(string path)
    {
        if (!File.Exists(path)) throw new BillingPolicyException(path, ["file not found"]);
        return FromYaml(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>The shipped <c>examples/billing-policy.yaml</c> (calendar year, REG $395 / STU $95 / RET $195 / CORP $2,500, standard monthly proration).</summary>
    public static BillingPolicy Example()
    {
        using var stream = typeof(LoadBillingPolicy).Assembly.GetManifestResourceStream("DuesPilot.examples.billing-policy.yaml")
            ?? throw new InvalidOperationException("The example billing policy is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return FromYaml(reader.ReadToEnd(), "examples/billing-policy.yaml");
    }

    public static BillingPolicy FromYaml(string yaml, string source = "billing-policy.yaml")
    {
        PolicyFile file;
        try
        {
            var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
            file = deserializer.Deserialize<PolicyFile?>(yaml) ?? throw new BillingPolicyException(source, ["the file is empty"]);
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException is YamlException ie ? ie : ex;
            throw new BillingPolicyException(source, [$"line {inner.Start.Line}, column {inner.Start.Column}: {FirstLine(inner.Message)}"]);
        }

        var errors = new List<string>();
        var policy = Build(file, errors);
        if (errors.Count > 0 || policy is null) throw new BillingPolicyException(source, errors);
        return policy;
    }

    private static string FirstLine(string text)
    {
        var i = text.IndexOf('\n', StringComparison.Ordinal);
        return i < 0 ? text : text[..i];
    }

    private static BillingPolicy? Build(PolicyFile f, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(f.Name)) errors.Add("name: required (the association's name)");
        var currency = Currency.USD;
        if (f.Currency is not null && !Currency.TryParse(f.Currency, out currency)) errors.Add($"currency: '{f.Currency}' is not a known currency code");

        var cycle = BuildCycle(f.Cycle, errors);
        var proration = BuildProration(f.Proration, currency, errors);
        var rounding = f.Rounding switch
        {
            null or "half_away_from_zero" => Rounding.HalfAwayFromZero,
            "half_to_even" => Rounding.HalfToEven,
            "down" => Rounding.Down,
            _ => Bad(errors, $"rounding: '{f.Rounding}' is not one of half_away_from_zero, half_to_even, down", Rounding.HalfAwayFromZero),
        };

        var tiers = new List<MembershipTier>();
        if (f.Tiers is null || f.Tiers.Count == 0) errors.Add("tiers: at least one tier is required");
        else
        {
            for (var i = 0; i < f.Tiers.Count; i++)
            {
                var t = f.Tiers[i];
                var at = $"tiers[{i}]";
                if (string.IsNullOrWhiteSpace(t.Code)) { errors.Add($"{at}.code: required"); continue; }
                if (string.IsNullOrWhiteSpace(t.Product)) { errors.Add($"{at}.product: required (the dues product code, e.g. DUES-{t.Code})"); continue; }
                if (tiers.Any(x => string.Equals(x.Code, t.Code, StringComparison.OrdinalIgnoreCase))) errors.Add($"{at}.code: '{t.Code}' appears twice");
                if (tiers.Any(x => string.Equals(x.Prices.ProductCode, t.Product, StringComparison.OrdinalIgnoreCase))) errors.Add($"{at}.product: '{t.Product}' is used by two tiers");
                var entries = new List<PriceScheduleEntry>();
                if (t.Prices is null || t.Prices.Count == 0) errors.Add($"{at}.prices: at least one price with effective_from and annual_rate is required");
                else
                {
                    for (var j = 0; j < t.Prices.Count; j++)
                    {
                        var p = t.Prices[j];
                        var pat = $"{at}.prices[{j}]";
                        var from = ParseDate(p.EffectiveFrom, $"{pat}.effective_from", errors);
                        var rate = ParseMoney(p.AnnualRate, currency, $"{pat}.annual_rate", errors, required: true);
                        if (rate is { IsNegative: true }) errors.Add($"{pat}.annual_rate: cannot be negative");
                        if (from is { } d && entries.Any(e => e.EffectiveFrom == d)) errors.Add($"{pat}.effective_from: two prices start on {d:yyyy-MM-dd}");
                        if (from is { } fd && rate is { } r) entries.Add(new PriceScheduleEntry(fd, r));
                    }
                }

                tiers.Add(new MembershipTier(t.Code.Trim(), t.Name ?? t.Code.Trim(), t.Organizational ?? false, new PriceSchedule(t.Product.Trim(), entries)));
            }
        }

        var multiYear = new List<MultiYearTerm>();
        for (var i = 0; i < (f.MultiYear?.Count ?? 0); i++)
        {
            var m = f.MultiYear![i];
            var at = $"multi_year[{i}]";
            var years = ParseInt(m.Years, $"{at}.years", errors, 2, 10);
            var bp = ParseBasisPoints(m.DiscountPercent, $"{at}.discount_percent", errors);
            if (years is { } y && multiYear.Any(x => x.Years == y)) errors.Add($"{at}.years: {y} appears twice");
            if (years is { } yy && bp is { } b) multiYear.Add(new MultiYearTerm(yy, b));
        }

        var taxes = new List<TaxRule>();
        for (var i = 0; i < (f.Taxes?.Count ?? 0); i++)
        {
            var t = f.Taxes![i];
            var at = $"taxes[{i}]";
            if (string.IsNullOrWhiteSpace(t.Product)) errors.Add($"{at}.product: required");
            else if (tiers.Count > 0 && !tiers.Any(x => string.Equals(x.Prices.ProductCode, t.Product, StringComparison.OrdinalIgnoreCase)))
                errors.Add($"{at}.product: '{t.Product}' is not the product of any tier");
            if (string.IsNullOrWhiteSpace(t.Code)) errors.Add($"{at}.code: required (the tax code invoice lines must carry)");
            var jurisdiction = string.IsNullOrWhiteSpace(t.Jurisdiction) ? TaxRule.AnyJurisdiction : t.Jurisdiction.Trim();
            var rate = ParseRateMillionths(t.RatePercent, $"{at}.rate_percent", errors);
            if (!string.IsNullOrWhiteSpace(t.Product) && !string.IsNullOrWhiteSpace(t.Code) && rate is { } r)
            {
                if (taxes.Any(x => string.Equals(x.ProductCode, t.Product, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Jurisdiction, jurisdiction, StringComparison.OrdinalIgnoreCase)))
                    errors.Add($"{at}: a rule for {t.Product} in {jurisdiction} appears twice");
                taxes.Add(new TaxRule(t.Product.Trim(), jurisdiction, t.Code.Trim(), r));
            }
        }

        var refunds = new RefundRule(
            f.Refunds?.ProRataUnused ?? true,
            ParseMoney(f.Refunds?.NonRefundableFee, currency, "refunds.non_refundable_fee", errors, required: false) ?? Money.Zero(currency),
            f.Refunds?.CutoffMonthsIntoTerm is null ? null : ParseInt(f.Refunds.CutoffMonthsIntoTerm, "refunds.cutoff_months_into_term", errors, 0, 120),
            (f.Refunds?.Downgrade ?? "refund") switch
            {
                "refund" => DowngradeTreatment.Refund,
                "credit" => DowngradeTreatment.Credit,
                "none" => DowngradeTreatment.None,
                var other => Bad(errors, $"refunds.downgrade: '{other}' is not one of refund, credit, none", DowngradeTreatment.Refund),
            });
        if (refunds.NonRefundableFee.IsNegative) errors.Add("refunds.non_refundable_fee: cannot be negative");

        var reinstatement = new ReinstatementRule(
            f.Reinstatement?.Prorate ?? true,
            ParseMoney(f.Reinstatement?.Fee, currency, "reinstatement.fee", errors, required: false) ?? Money.Zero(currency));
        if (reinstatement.Fee.IsNegative) errors.Add("reinstatement.fee: cannot be negative");

        var reading = new InvoiceReading(
            f.Invoices?.JoinInvoiceWindowDays is null ? 31 : ParseInt(f.Invoices.JoinInvoiceWindowDays, "invoices.join_invoice_window_days", errors, 0, 366) ?? 31,
            f.Invoices?.RenewalLeadDays is null ? 90 : ParseInt(f.Invoices.RenewalLeadDays, "invoices.renewal_lead_days", errors, 0, 366) ?? 90,
            string.IsNullOrWhiteSpace(f.Invoices?.TaxLineProduct) ? "TAX" : f.Invoices.TaxLineProduct.Trim(),
            string.IsNullOrWhiteSpace(f.Invoices?.DefaultJurisdiction) ? "*" : f.Invoices.DefaultJurisdiction.Trim());

        if (cycle is not null && proration is not null && cycle.TermMonths % (proration.Method switch { ProrationMethod.Quarterly => 3, ProrationMethod.SemiAnnual => 2, _ => 1 }) != 0)
            errors.Add($"proration.method: {proration.Method} needs a term whose months divide evenly (cycle.term_months is {cycle.TermMonths})");

        if (errors.Count > 0 || cycle is null || proration is null) return null;
        return new BillingPolicy(f.Name!.Trim(), currency, cycle, proration, tiers, multiYear, taxes, refunds, reinstatement, reading, rounding);
    }

    private static BillingCalendar? BuildCycle(CycleDto? c, List<string> errors)
    {
        if (c is null) { errors.Add("cycle: required (kind: calendar_year | fiscal_year | anniversary)"); return null; }
        var kind = c.Kind switch
        {
            "calendar_year" => CycleKind.CalendarYear,
            "fiscal_year" => CycleKind.FiscalYear,
            "anniversary" => CycleKind.Anniversary,
            _ => Bad<CycleKind?>(errors, $"cycle.kind: '{c.Kind}' is not one of calendar_year, fiscal_year, anniversary", null),
        };
        var startMonth = c.StartMonth is null ? 1 : ParseInt(c.StartMonth, "cycle.start_month", errors, 1, 12) ?? 1;
        if (kind == CycleKind.FiscalYear && c.StartMonth is null) errors.Add("cycle.start_month: required for a fiscal year (1-12, the month the year starts)");
        if (kind == CycleKind.CalendarYear && startMonth != 1) errors.Add("cycle.start_month: a calendar year starts in month 1; use kind: fiscal_year");
        var termMonths = c.TermMonths is null ? 12 : ParseInt(c.TermMonths, "cycle.term_months", errors, 1, 24) ?? 12;
        if (termMonths is not (1 or 2 or 3 or 6 or 12 or 24)) errors.Add($"cycle.term_months: {termMonths} is not an iMIS billing interval (1, 2, 3, 6, 12, 24)");
        return kind is { } k ? new BillingCalendar(k, startMonth, termMonths) : null;
    }

    private static ProrationRule? BuildProration(ProrationDto? p, Currency currency, List<string> errors)
    {
        if (p is null) { errors.Add("proration: required (method: none | monthly | daily | quarterly | semi_annual)"); return null; }
        ProrationMethod? method = p.Method switch
        {
            "none" => ProrationMethod.None,
            "monthly" => ProrationMethod.Monthly,
            "daily" => ProrationMethod.Daily,
            "quarterly" => ProrationMethod.Quarterly,
            "semi_annual" => ProrationMethod.SemiAnnual,
            _ => Bad<ProrationMethod?>(errors, $"proration.method: '{p.Method}' is not one of none, monthly, daily, quarterly, semi_annual", null),
        };
        var cutoff = p.FirstMonthCutoffDay is null ? (int?)null : ParseInt(p.FirstMonthCutoffDay, "proration.first_month_cutoff_day", errors, 1, 30);
        var min = ParseMoney(p.MinimumCharge, currency, "proration.minimum_charge", errors, required: false);
        if (min is { IsNegative: true }) errors.Add("proration.minimum_charge: cannot be negative");
        return method is { } m ? new ProrationRule(m, p.CountJoinMonth ?? true, cutoff, p.ProrateAnniversary ?? false, min is { IsZero: false } ? min : null) : null;
    }

    private static T Bad<T>(List<string> errors, string message, T fallback)
    {
        errors.Add(message);
        return fallback;
    }

    private static DateOnly? ParseDate(string? text, string field, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) { errors.Add($"{field}: required (yyyy-MM-dd)"); return null; }
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        errors.Add($"{field}: '{text}' is not a date (yyyy-MM-dd)");
        return null;
    }

    private static Money? ParseMoney(string? text, Currency currency, string field, List<string> errors, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required) errors.Add($"{field}: required (an amount such as 395.00)");
            return null;
        }

        if (Money.TryParse(text, currency, out var m)) return m;
        errors.Add($"{field}: '{text}' is not an amount of {currency.Code} in whole cents");
        return null;
    }

    private static int? ParseInt(string? text, string field, List<string> errors, int min, int max)
    {
        if (int.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        errors.Add($"{field}: '{text}' is not a whole number from {min} to {max}");
        return null;
    }

    private static int? ParseBasisPoints(string? text, string field, List<string> errors)
    {
        if (decimal.TryParse(text?.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var pct) && pct >= 0 && pct < 100 && pct * 100 == decimal.Truncate(pct * 100))
            return (int)(pct * 100);
        errors.Add($"{field}: '{text}' is not a percentage from 0 to 99.99 with at most two decimals");
        return null;
    }

    private static long? ParseRateMillionths(string? text, string field, List<string> errors)
    {
        if (decimal.TryParse(text?.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var pct) && pct >= 0 && pct <= 100 && pct * 10_000 == decimal.Truncate(pct * 10_000))
            return (long)(pct * 10_000);
        errors.Add($"{field}: '{text}' is not a percentage from 0 to 100 with at most four decimals");
        return null;
    }

    // The YAML shape. Everything scalar is text so that parse errors can name the field.
    private sealed class PolicyFile
    {
        public string? Name { get; set; }
        public string? Currency { get; set; }
        public CycleDto? Cycle { get; set; }
        public ProrationDto? Proration { get; set; }
        public string? Rounding { get; set; }
        public List<TierDto>? Tiers { get; set; }
        public List<MultiYearDto>? MultiYear { get; set; }
        public List<TaxDto>? Taxes { get; set; }
        public RefundDto? Refunds { get; set; }
        public ReinstatementDto? Reinstatement { get; set; }
        public InvoicesDto? Invoices { get; set; }
    }

    private sealed class CycleDto
    {
        public string? Kind { get; set; }
        public string? StartMonth { get; set; }
        public string? TermMonths { get; set; }
    }

    private sealed class ProrationDto
    {
        public string? Method { get; set; }
        public bool? CountJoinMonth { get; set; }
        public string? FirstMonthCutoffDay { get; set; }
        public bool? ProrateAnniversary { get; set; }
        public string? MinimumCharge { get; set; }
    }

    private sealed class TierDto
    {
        public string? Code { get; set; }
        public string? Name { get; set; }
        public string? Product { get; set; }
        public bool? Organizational { get; set; }
        public List<PriceDto>? Prices { get; set; }
    }

    private sealed class PriceDto
    {
        public string? EffectiveFrom { get; set; }
        public string? AnnualRate { get; set; }
    }

    private sealed class MultiYearDto
    {
        public string? Years { get; set; }
        public string? DiscountPercent { get; set; }
    }

    private sealed class TaxDto
    {
        public string? Product { get; set; }
        public string? Jurisdiction { get; set; }
        public string? Code { get; set; }
        public string? RatePercent { get; set; }
    }

    private sealed class RefundDto
    {
        public bool? ProRataUnused { get; set; }
        public string? NonRefundableFee { get; set; }
        public string? CutoffMonthsIntoTerm { get; set; }
        public string? Downgrade { get; set; }
    }

    private sealed class ReinstatementDto
    {
        public bool? Prorate { get; set; }
        public string? Fee { get; set; }
    }

    private sealed class InvoicesDto
    {
        public string? JoinInvoiceWindowDays { get; set; }
        public string? RenewalLeadDays { get; set; }
        public string? TaxLineProduct { get; set; }
        public string? DefaultJurisdiction { get; set; }
    }
}
