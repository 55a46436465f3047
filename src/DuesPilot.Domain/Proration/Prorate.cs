using System.Globalization;
using DuesPilot.Domain.Ledger;

namespace DuesPilot.Domain.Proration;

/// <summary>A membership event that changes what a member owes for a term.</summary>
public enum ProrationEvent
{
    /// <summary>A new member joins inside a term.</summary>
    Join,
    /// <summary>A member moves to a dearer tier inside a term: they owe the difference for the rest of it.</summary>
    Upgrade,
    /// <summary>A member moves to a cheaper tier inside a term: the difference for the rest of it is refunded or credited.</summary>
    Downgrade,
    /// <summary>A member cancels: the unused part of the term is refunded under the refund rules.</summary>
    Cancel,
    /// <summary>A cancelled or lapsed member comes back inside the term.</summary>
    Reinstate,
    /// <summary>A member pays now for one or more terms after the current one (multi-year discount applies).</summary>
    Extend,
}

/// <summary>The GL accounts proration entries use. The application passes the codes of its chart of accounts.</summary>
/// <param name="Receivable">Dues receivable: what members owe.</param>
/// <param name="DeferredDues">Dues billed for months not yet served (liability).</param>
/// <param name="DuesRevenue">Dues earned: fees that are not refundable and forfeited unused months.</param>
/// <param name="RefundsPayable">Money to pay back to members.</param>
/// <param name="MemberCredit">Credit kept on the member's account.</param>
public sealed record ProrationAccounts(AccountCode Receivable, AccountCode DeferredDues, AccountCode DuesRevenue, AccountCode RefundsPayable, AccountCode MemberCredit);

/// <summary>What to prorate.</summary>
/// <param name="Tier">The member's tier (for upgrade and downgrade: the tier they leave).</param>
/// <param name="Date">The day of the event (join, change, cancellation, reinstatement, extension).</param>
/// <param name="ToTier">Upgrade and downgrade: the new tier.</param>
/// <param name="Paid">Cancel and downgrade: what the member paid for the current term (default: the full term rate).</param>
/// <param name="Billed">Cancel and downgrade: what the current term was billed (default: <paramref name="Paid"/>).</param>
/// <param name="TermAnchor">Anniversary cycles: a day in the member's anniversary month (their join date).</param>
/// <param name="Years">Join and extend: how many terms are bought (multi-year discount applies to 2 or more).</param>
/// <param name="Installments">How many installments the charge is split into.</param>
/// <param name="Subject">Who the event is for (a member id); part of the entries' idempotency keys.</param>
public sealed record ProrationRequest(
    ProrationEvent Event,
    string Tier,
    DateOnly Date,
    string? ToTier = null,
    Money? Paid = null,
    Money? Billed = null,
    DateOnly? TermAnchor = null,
    int Years = 1,
    int Installments = 1,
    string Subject = "member");

/// <summary>The part of a charge or refund that belongs to one period (for revenue recognition and the member's statement).</summary>
public sealed record PeriodAmount(DateOnly Start, DateOnly End, Money Amount);

/// <summary>The priced event: amounts, periods, installments, entries and the explanation a member reads.</summary>
/// <param name="Charge">What the member owes because of the event (zero when nothing).</param>
/// <param name="Refund">What is paid back to the member.</param>
/// <param name="Credit">What is kept as credit on the member's account.</param>
/// <param name="Retained">Cancel and downgrade: the part of what was paid that the association keeps (paid − refund − credit).</param>
/// <param name="StillDue">Cancel: what the member still owes for the months used (when they had not paid enough).</param>
/// <param name="PaidThrough">The member's new paid-through date (a month end, or the cancellation day under the daily method).</param>
public sealed record ProrationOutcome(
    ProrationEvent Event,
    string Tier,
    string? ToTier,
    DateOnly Date,
    DateOnly TermStart,
    DateOnly TermEnd,
    DateOnly PaidThrough,
    Money Charge,
    Money Refund,
    Money Credit,
    Money Retained,
    Money StillDue,
    IReadOnlyList<PeriodAmount> Periods,
    IReadOnlyList<Money> Installments,
    IReadOnlyList<JournalEntry> Entries,
    IReadOnlyList<string> Explanation);

/// <summary>What a join costs, before entries and wording: used by the engine and by invoice validation.</summary>
/// <param name="Units">The units of the first term that are charged, and the term's total.</param>
/// <param name="Prorated">False when the full rate applies (no proration, anniversary cycle).</param>
/// <param name="RaisedToMinimum">The minimum charge applied.</param>
/// <param name="ShiftedTo">The first-month rule moved the start of coverage to this day.</param>
public sealed record JoinPrice(Money Rate, Money Charge, CountedUnits Units, bool Prorated, bool RaisedToMinimum, DateOnly? ShiftedTo, DateOnly TermStart, DateOnly TermEnd, int Years, int DiscountBasisPoints);

/// <summary>
/// The proration engine: prices joins, upgrades, downgrades, cancellations, reinstatements and term
/// extensions from a <see cref="BillingPolicy"/>, with balanced adjustment entries and an explanation.
/// </summary>
/// <remarks>
/// Every amount is computed exactly (integer cents × whole units ÷ whole units) and rounded once, at
/// the end, with the policy's rounding (half away from zero by default). Splits over periods and
/// installments use <see cref="Money.Allocate(IReadOnlyList{long})"/>, so parts always add up.
/// </remarks>
public static class Prorate
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static ProrationOutcome Compute(BillingPolicy policy, ProrationRequest request, ProrationAccounts accounts, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Years is < 1 or > 10) throw new ProrationException($"Years must be 1-10, not {request.Years}.");
        if (request.Installments is < 1 or > 24) throw new ProrationException($"Installments must be 1-24, not {request.Installments}.");
        var draft = request.Event switch
        {
            ProrationEvent.Join => Join(policy, request),
            ProrationEvent.Upgrade => Change(policy, request, upgrade: true),
            ProrationEvent.Downgrade => Change(policy, request, upgrade: false),
            ProrationEvent.Cancel => Cancel(policy, request),
            ProrationEvent.Reinstate => Reinstate(policy, request),
            ProrationEvent.Extend => Extend(policy, request),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };

        var installments = draft.Charge.IsPositive && request.Installments > 1 ? draft.Charge.Allocate(request.Installments) : [draft.Charge];
        var explanation = new List<string>(draft.Explanation);
        if (installments.Count > 1)
        {
            var extra = draft.Charge.MinorUnits % request.Installments;
            explanation.Add($"Split into {installments.Count} installments: {string.Join(", ", installments.Select(i => i.ToDisplayString()))}" +
                (extra == 0 ? "." : $" (the {extra} leftover cent{(extra == 1 ? "" : "s")} go{(extra == 1 ? "es" : "")} to the first installment{(extra == 1 ? "" : "s")})."));
        }

        var entries = new List<JournalEntry>();
        var n = 0;
        foreach (var (memo, lines) in draft.Entries)
        {
            var kept = lines.Where(l => !l.Amount.IsZero).Select(l => l with { Account = Acc.Resolve(l.Account, accounts) }).ToArray();
            if (kept.Length < 2) continue;
            var key = $"prorate:{request.Subject}:{request.Event.ToString().ToLowerInvariant()}:{request.Tier}:{request.ToTier ?? "-"}:{request.Date:yyyy-MM-dd}:{n++}";
            entries.Add(JournalEntry.Standard(EntryId.New(clock), key[..Math.Min(200, key.Length)], clock.GetUtcNow(), memo, kept).OnBusinessDay(clock));
        }

        var currency = policy.Currency;
        return new ProrationOutcome(request.Event, request.Tier, request.ToTier, request.Date, draft.TermStart, draft.TermEnd, draft.PaidThrough,
            draft.Charge, draft.Refund ?? Money.Zero(currency), draft.Credit ?? Money.Zero(currency), draft.Retained ?? Money.Zero(currency), draft.StillDue ?? Money.Zero(currency),
            draft.Periods, installments, entries, explanation);
    }

    /// <summary>The price of joining <paramref name="tier"/> on <paramref name="joinDate"/> for <paramref name="years"/> terms.</summary>
    /// <param name="invoiceDate">When the join is billed on an invoice: the rate is the one in force on the later of the invoice date and the term start (a renewal billed ahead pays the new term's rate). Null: the join date's rate.</param>
    /// <param name="anchor">Anniversary cycles: the member's anniversary (join) date; the join date itself when null.</param>
    public static JoinPrice PriceJoin(BillingPolicy policy, MembershipTier tier, DateOnly joinDate, int years = 1, bool prorate = true, DateOnly? invoiceDate = null, DateOnly? anchor = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var (from, shifted) = FirstMonthRule(policy, joinDate);
        var (ts, te) = policy.Cycle.TermContaining(from, anchor ?? from);
        var rateDate = invoiceDate is { } inv ? (inv > ts ? inv : ts) : joinDate;
        var rate = policy.RateOn(tier, rateDate);
        var prorated = prorate && policy.ProratesJoins && from > ts;
        var units = prorated
            ? TermUnits.FromStart(policy.Proration.Method, policy.Proration.CountJoinMonth, ts, te, from)
            : Full(policy.Proration.Method == ProrationMethod.None ? ProrationMethod.Monthly : policy.Proration.Method, ts, te);
        var bp = policy.DiscountBasisPointsFor(years);
        var numerator = checked(((long)units.Units + (long)(years - 1) * units.TotalUnits) * (10_000 - bp));
        var denominator = checked((long)units.TotalUnits * 10_000);
        var charge = rate.MultiplyFraction(numerator, denominator, policy.Rounding);
        var raised = false;
        if (prorated && policy.Proration.MinimumCharge is { } min && charge < min)
        {
            charge = Money.Min(min, rate);
            raised = true;
        }

        return new JoinPrice(rate, charge, units, prorated, raised, shifted ? from : null, ts, te, years, bp);
    }

    private static CountedUnits Full(ProrationMethod method, DateOnly ts, DateOnly te) =>
        TermUnits.FromStart(method, true, ts, te, ts);

    private static (DateOnly From, bool Shifted) FirstMonthRule(BillingPolicy policy, DateOnly date)
    {
        if (policy.Proration.FirstMonthCutoffDay is { } d && date.Day > d)
            return (new DateOnly(date.Year, date.Month, 1).AddMonths(1), true);
        return (date, false);
    }

    private sealed record Draft(
        DateOnly TermStart,
        DateOnly TermEnd,
        DateOnly PaidThrough,
        Money Charge,
        IReadOnlyList<PeriodAmount> Periods,
        IReadOnlyList<string> Explanation,
        IReadOnlyList<(string Memo, LedgerLine[] Lines)> Entries,
        Money? Refund = null,
        Money? Credit = null,
        Money? Retained = null,
        Money? StillDue = null);

    private static Draft Join(BillingPolicy policy, ProrationRequest r)
    {
        var tier = policy.RequireTier(r.Tier);
        var price = PriceJoin(policy, tier, r.Date, r.Years);
        var text = new List<string>();
        var verb = $"Joined {Day(r.Date)}";
        text.Add(JoinLine(verb, price));
        text.AddRange(JoinNotes(policy, price));
        var paidThrough = price.TermStart.AddMonths(policy.Cycle.TermMonths * r.Years).AddDays(-1);
        text.Add($"Term {Long(price.TermStart)} – {Long(price.TermEnd)}; paid through {Long(paidThrough)} once paid.");
        var periods = Spread(price.Charge, price.Units.Counted, ExtraTerms(price.TermEnd, policy.Cycle.TermMonths, r.Years - 1, price.Units.TotalUnits));
        return new Draft(price.TermStart, price.TermEnd, paidThrough, price.Charge, periods, text,
            [($"{tier.Code} dues billed on joining {r.Date:yyyy-MM-dd}", [Dr(Acc.Receivable, price.Charge), Cr(Acc.Deferred, price.Charge)])]);
    }

    /// <summary>The arithmetic of a join price in one line: "Joined 15 March: 10 of 12 months × $395.00 = $329.17".</summary>
    public static string JoinLine(string verb, JoinPrice p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var unit = TermUnits.UnitName(UnitMethod(p), p.Units.TotalUnits);
        if (!p.Prorated && p.Years == 1)
            return $"{verb}: the full term rate applies, {p.Rate.ToDisplayString()}.";
        var share = p.Prorated ? $"{p.Units.Units} of {p.Units.TotalUnits} {unit}" : "1 full term";
        if (p.Years > 1) share = $"({share} + {p.Years - 1} full term{(p.Years > 2 ? "s" : "")})";
        var discount = p.DiscountBasisPoints > 0 ? $" less {Percent(p.DiscountBasisPoints)} multi-year discount" : "";
        return $"{verb}: {share} × {p.Rate.ToDisplayString()}{discount} = {p.Charge.ToDisplayString()}";
    }

    private static ProrationMethod UnitMethod(JoinPrice p) => p.Units.UnitName switch
    {
        "day" or "days" => ProrationMethod.Daily,
        "quarter" or "quarters" => ProrationMethod.Quarterly,
        "half-year" or "half-years" => ProrationMethod.SemiAnnual,
        _ => ProrationMethod.Monthly,
    };

    private static IEnumerable<string> JoinNotes(BillingPolicy policy, JoinPrice p)
    {
        if (p.ShiftedTo is { } s)
            yield return $"Joined after day {policy.Proration.FirstMonthCutoffDay} of the month, so dues count from {Day(s)} (first-month rule).";
        if (!p.Prorated)
        {
            yield return policy.Proration.Method == ProrationMethod.None ? "This policy does not prorate."
                : policy.Cycle.Kind == CycleKind.Anniversary ? "Anniversary terms start in the join month, so there is nothing to prorate."
                : "Joined on the first day of the term.";
            yield break;
        }

        yield return policy.Proration.Method switch
        {
            ProrationMethod.Monthly when policy.Proration.CountJoinMonth => $"Standard monthly proration counts the join month ({MonthName(p.Units.Counted[0].Start)}–{MonthName(p.TermEnd)}).",
            ProrationMethod.Monthly => p.Units.Units > 0 ? $"Monthly proration counts whole months after the join month ({MonthName(p.Units.Counted[0].Start)}–{MonthName(p.TermEnd)})." : "Monthly proration counts whole months after the join month: none are left.",
            ProrationMethod.Daily => $"Daily proration counts every day from {Day(p.Units.From ?? p.TermStart)} to {Long(p.TermEnd)}, out of {p.Units.TotalUnits} days in the term.",
            ProrationMethod.Quarterly => $"Quarterly proration counts {(policy.Proration.CountJoinMonth ? "the join quarter and " : "")}the quarters after it.",
            _ => $"Semi-annual proration counts {(policy.Proration.CountJoinMonth ? "the join half-year and " : "")}the half-years after it.",
        };
        if (p.RaisedToMinimum) yield return $"Raised to the minimum charge of {p.Charge.ToDisplayString()}.";
        else yield return RoundingNote(p.Rate.MinorUnits, ((long)p.Units.Units + (long)(p.Years - 1) * p.Units.TotalUnits) * (10_000 - p.DiscountBasisPoints), (long)p.Units.TotalUnits * 10_000, policy, p.Charge);
    }

    private static Draft Change(BillingPolicy policy, ProrationRequest r, bool upgrade)
    {
        var fromTier = policy.RequireTier(r.Tier);
        var toTier = policy.RequireTier(r.ToTier ?? throw new ProrationException($"An {(upgrade ? "upgrade" : "downgrade")} needs the new tier (--to-tier)."));
        var (ts, te) = Term(policy, r);
        var rateFrom = policy.RateOn(fromTier, r.Date);
        var rateTo = policy.RateOn(toTier, r.Date);
        if (upgrade && rateTo <= rateFrom)
            throw new ProrationException($"{fromTier.Code} ({rateFrom.ToDisplayString()}) to {toTier.Code} ({rateTo.ToDisplayString()}) is not an upgrade; use downgrade.");
        if (!upgrade && rateTo >= rateFrom)
            throw new ProrationException($"{fromTier.Code} ({rateFrom.ToDisplayString()}) to {toTier.Code} ({rateTo.ToDisplayString()}) is not a downgrade; use upgrade.");
        var method = ChangeMethod(policy);
        var (from, shifted) = FirstMonthRule(policy, r.Date);
        var units = TermUnits.FromStart(method, policy.Proration.CountJoinMonth, ts, te, from);
        var difference = (upgrade ? rateTo - rateFrom : rateFrom - rateTo).MultiplyFraction(units.Units, units.TotalUnits, policy.Rounding);
        var verb = upgrade ? "Upgraded" : "Downgraded";
        var text = new List<string>
        {
            $"{verb} from {fromTier.Code} to {toTier.Code} on {Day(r.Date)}: {units.Units} of {units.TotalUnits} {TermUnits.UnitName(method, units.TotalUnits)} × ({(upgrade ? rateTo : rateFrom).ToDisplayString()} − {(upgrade ? rateFrom : rateTo).ToDisplayString()}) = {difference.ToDisplayString()}",
        };
        if (shifted) text.Add($"Changed after day {policy.Proration.FirstMonthCutoffDay} of the month, so the new rate counts from {Day(from)} (first-month rule).");
        text.Add(RoundingNote((upgrade ? rateTo - rateFrom : rateFrom - rateTo).MinorUnits, units.Units, units.TotalUnits, policy, difference));
        var periods = Spread(difference, units.Counted, []);
        if (upgrade)
        {
            text.Add($"The member owes {difference.ToDisplayString()} more for the rest of the term ending {Long(te)}.");
            return new Draft(ts, te, te, difference, periods, text,
                [($"Upgrade {fromTier.Code}→{toTier.Code} on {r.Date:yyyy-MM-dd}", [Dr(Acc.Receivable, difference), Cr(Acc.Deferred, difference)])]);
        }

        var zero = Money.Zero(policy.Currency);
        var paid = r.Paid ?? rateFrom;
        var billed = r.Billed ?? paid;
        if (paid > billed) throw new ProrationException($"Paid {paid.ToDisplayString()} is more than billed {billed.ToDisplayString()}.");
        var afterCutoff = policy.Refunds.CutoffMonthsIntoTerm is { } cut && r.Date >= ts.AddMonths(cut);
        if (policy.Refunds.Downgrade == DowngradeTreatment.None || afterCutoff)
        {
            text.Add(afterCutoff
                ? $"The downgrade falls after the refund cut-off ({policy.Refunds.CutoffMonthsIntoTerm} months into the term): nothing is returned; {toTier.Code} rates apply from the next term."
                : $"This policy returns nothing on a downgrade; {toTier.Code} rates apply from the next term.");
            return new Draft(ts, te, te, zero, Spread(zero, units.Counted, []), text, [], zero, zero, paid, zero);
        }

        // The downgrade lowers what the term costs by the difference; what was paid beyond the new cost goes back.
        var amount = Money.Min(difference, billed);
        var newCost = billed - amount;
        var back = Money.Max(zero, paid - newCost);
        var arReduction = amount - back;
        var credit = policy.Refunds.Downgrade == DowngradeTreatment.Credit;
        text.Add(credit
            ? $"{back.ToDisplayString()} is kept as credit on the member's account."
            : $"{back.ToDisplayString()} is refunded to the member.");
        if (arReduction.IsPositive) text.Add($"{arReduction.ToDisplayString()} of the unpaid invoice is cancelled.");
        var backAccount = credit ? Acc.Credit : Acc.Refunds;
        return new Draft(ts, te, te, zero, periods, text,
            [($"Downgrade {fromTier.Code}→{toTier.Code} on {r.Date:yyyy-MM-dd}", [Dr(Acc.Deferred, amount), Cr(backAccount, back), Cr(Acc.Receivable, arReduction)])],
            credit ? zero : back, credit ? back : zero, paid - back, zero);
    }

    private static Draft Cancel(BillingPolicy policy, ProrationRequest r)
    {
        var tier = policy.RequireTier(r.Tier);
        var (ts, te) = Term(policy, r);
        var rate = policy.RateOn(tier, r.Date);
        var method = ChangeMethod(policy);
        var unused = TermUnits.After(method, ts, te, r.Date);
        var paidThrough = method == ProrationMethod.Daily ? r.Date
            : unused.Counted.Count > 0 ? unused.Counted[0].Start.AddDays(-1) : te;
        var zero = Money.Zero(policy.Currency);
        var paid = r.Paid ?? rate;
        var billed = r.Billed ?? paid;
        if (paid.IsNegative || paid > billed) throw new ProrationException($"Paid {paid.ToDisplayString()} must be between 0 and the billed {billed.ToDisplayString()}.");
        var exactUnused = rate.MultiplyFraction(unused.Units, unused.TotalUnits, policy.Rounding);
        var unusedValue = Money.Min(exactUnused, billed);
        var afterCutoff = policy.Refunds.CutoffMonthsIntoTerm is { } cut && r.Date >= ts.AddMonths(cut);
        var fee = policy.Refunds.NonRefundableFee;
        var refundable = !policy.Refunds.ProRataUnused || afterCutoff ? zero : Money.Max(zero, unusedValue - fee);
        var keeps = billed - refundable;
        var refund = Money.Max(zero, paid - keeps);
        var stillDue = Money.Max(zero, keeps - paid);
        var arCancelled = billed - paid - stillDue;
        var forfeited = unusedValue - refundable;
        var unit = TermUnits.UnitName(method, unused.TotalUnits);
        var text = new List<string>
        {
            $"Cancelled {Day(r.Date)}: {unused.Units} of {unused.TotalUnits} {unit} unused × {rate.ToDisplayString()} = {exactUnused.ToDisplayString()}",
            method == ProrationMethod.Daily ? $"Dues are used through {Long(r.Date)}." : $"The cancellation {PeriodWord(method)} counts as used; paid through {Long(paidThrough)}.",
        };
        if (exactUnused > billed) text.Add($"Limited to the {billed.ToDisplayString()} billed for the term.");
        if (!policy.Refunds.ProRataUnused) text.Add("This policy does not refund cancellations.");
        else if (afterCutoff) text.Add($"Cancelled after the refund cut-off ({policy.Refunds.CutoffMonthsIntoTerm} months into the term, {Long(ts.AddMonths(policy.Refunds.CutoffMonthsIntoTerm!.Value))}): no refund.");
        else if (fee.IsPositive) text.Add($"Less the non-refundable fee of {fee.ToDisplayString()}: {refundable.ToDisplayString()} refundable.");
        text.Add($"Paid {paid.ToDisplayString()}: refund {refund.ToDisplayString()}, kept {(paid - refund).ToDisplayString()} (refund + kept = paid).");
        if (stillDue.IsPositive) text.Add($"{stillDue.ToDisplayString()} is still due for the months used.");
        if (arCancelled.IsPositive) text.Add($"{arCancelled.ToDisplayString()} of the unpaid invoice is cancelled.");
        if (forfeited.IsPositive) text.Add($"{forfeited.ToDisplayString()} of the unused value is not refunded and becomes dues revenue now.");
        var periods = Spread(unusedValue, unused.Counted, []);
        return new Draft(ts, te, paidThrough, zero, periods, text,
            [($"Cancellation of {tier.Code} on {r.Date:yyyy-MM-dd}", [Dr(Acc.Deferred, unusedValue), Cr(Acc.Refunds, refund), Cr(Acc.Receivable, arCancelled), Cr(Acc.Revenue, forfeited)])],
            refund, zero, paid - refund, stillDue);
    }

    private static Draft Reinstate(BillingPolicy policy, ProrationRequest r)
    {
        var tier = policy.RequireTier(r.Tier);
        var rule = policy.Reinstatement;
        var price = PriceJoin(policy, tier, r.Date, 1, prorate: rule.Prorate);
        var fee = rule.Fee;
        var total = price.Charge + fee;
        var text = new List<string> { JoinLine($"Reinstated {Day(r.Date)}", price) };
        text.AddRange(JoinNotes(policy, price));
        if (!rule.Prorate) text.Add("Reinstating members pay the full term rate (policy: reinstatement is not prorated).");
        if (fee.IsPositive) text.Add($"Plus the reinstatement fee of {fee.ToDisplayString()}: {total.ToDisplayString()} in all.");
        text.Add($"Paid through {Long(price.TermEnd)} once paid.");
        var periods = Spread(price.Charge, price.Units.Counted, []);
        return new Draft(price.TermStart, price.TermEnd, price.TermEnd, total, periods, text,
            [($"Reinstatement of {tier.Code} on {r.Date:yyyy-MM-dd}", [Dr(Acc.Receivable, total), Cr(Acc.Deferred, price.Charge), Cr(Acc.Revenue, fee)])]);
    }

    private static Draft Extend(BillingPolicy policy, ProrationRequest r)
    {
        var tier = policy.RequireTier(r.Tier);
        var (ts, te) = Term(policy, r);
        var rate = policy.RateOn(tier, r.Date);
        var bp = policy.DiscountBasisPointsFor(r.Years);
        var charge = rate.MultiplyFraction(checked((long)r.Years * (10_000 - bp)), 10_000, policy.Rounding);
        var paidThrough = ts.AddMonths(policy.Cycle.TermMonths * (r.Years + 1)).AddDays(-1);
        var discount = bp > 0 ? $" less {Percent(bp)} multi-year discount" : "";
        var text = new List<string>
        {
            $"Extended on {Day(r.Date)} by {r.Years} term{(r.Years > 1 ? "s" : "")}: {r.Years} × {rate.ToDisplayString()}{discount} = {charge.ToDisplayString()}",
            $"The current term ends {Long(te)}; the extension runs {Long(te.AddDays(1))} – {Long(paidThrough)}.",
        };
        if (bp > 0) text.Add(RoundingNote(rate.MinorUnits, (long)r.Years * (10_000 - bp), 10_000, policy, charge));
        var periods = Spread(charge, [], ExtraTerms(te, policy.Cycle.TermMonths, r.Years, 1));
        return new Draft(ts, te, paidThrough, charge, periods, text,
            [($"{tier.Code} term extension by {r.Years} on {r.Date:yyyy-MM-dd}", [Dr(Acc.Receivable, charge), Cr(Acc.Deferred, charge)])]);
    }

    private static (DateOnly Start, DateOnly End) Term(BillingPolicy policy, ProrationRequest r)
    {
        if (policy.Cycle.Kind == CycleKind.Anniversary && r.TermAnchor is null)
            throw new ProrationException("An anniversary cycle needs the member's anniversary (join) date to find the term (--anchor).");
        return policy.Cycle.TermContaining(r.Date, r.TermAnchor);
    }

    /// <summary>Changes inside a term need a unit even under "do not prorate"; months are used then.</summary>
    private static ProrationMethod ChangeMethod(BillingPolicy policy) =>
        policy.Proration.Method == ProrationMethod.None ? ProrationMethod.Monthly : policy.Proration.Method;

    private static List<TermPeriod> ExtraTerms(DateOnly afterEnd, int termMonths, int count, int unitsEach)
    {
        var list = new List<TermPeriod>();
        var s = afterEnd.AddDays(1);
        for (var i = 0; i < count; i++, s = s.AddMonths(termMonths))
            list.Add(new TermPeriod(s, s.AddMonths(termMonths).AddDays(-1), unitsEach));
        return list;
    }

    /// <summary>Spreads an amount over periods by their units; leftover cents go to the periods with the largest remainders, earliest first.</summary>
    private static PeriodAmount[] Spread(Money amount, IReadOnlyList<TermPeriod> counted, IReadOnlyList<TermPeriod> extra)
    {
        var all = counted.Concat(extra).ToArray();
        if (all.Length == 0 || all.All(p => p.Units == 0)) return [];
        var parts = amount.Allocate(all.Select(p => (long)p.Units).ToArray());
        return all.Select((p, i) => new PeriodAmount(p.Start, p.End, parts[i])).ToArray();
    }

    private static string RoundingNote(long rateMinor, long numerator, long denominator, BillingPolicy policy, Money rounded)
    {
        var exact = (decimal)rateMinor * numerator / denominator / policy.Currency.MinorPerMajor;
        var shown = decimal.Round(exact, 5, MidpointRounding.ToZero);
        var isExact = exact == decimal.Round(exact, policy.Currency.MinorDigits);
        var rule = policy.Rounding switch
        {
            Rounding.HalfAwayFromZero => "half away from zero",
            Rounding.HalfToEven => "half to even",
            Rounding.Down => "down",
            _ => "exactly",
        };
        return isExact
            ? $"Exact to the cent: {rounded.ToDisplayString()}."
            : $"Exact amount {shown.ToString("0.#####", Invariant)}…, rounded once to the cent ({rule}): {rounded.ToDisplayString()}.";
    }

    private static string PeriodWord(ProrationMethod m) => m switch
    {
        ProrationMethod.Quarterly => "quarter",
        ProrationMethod.SemiAnnual => "half-year",
        _ => "month",
    };

    private static string Percent(int basisPoints) => (basisPoints / 100m).ToString("0.##", Invariant) + " %";
    private static string Day(DateOnly d) => d.ToString("d MMMM", Invariant);
    private static string Long(DateOnly d) => d.ToString("d MMMM yyyy", Invariant);
    private static string MonthName(DateOnly d) => d.ToString("MMMM", Invariant);

    private static LedgerLine Dr(AccountCode a, Money m) => m.IsZero ? new LedgerLine(a, m) : LedgerLine.Debit(a, m);
    private static LedgerLine Cr(AccountCode a, Money m) => m.IsZero ? new LedgerLine(a, m) : LedgerLine.Credit(a, m);

    /// <summary>Account roles in drafts, turned into the caller's account codes when the entries are built.</summary>
    private static class Acc
    {
        public static AccountCode Resolve(AccountCode role, ProrationAccounts accounts) =>
            role == Receivable ? accounts.Receivable
            : role == Deferred ? accounts.DeferredDues
            : role == Revenue ? accounts.DuesRevenue
            : role == Refunds ? accounts.RefundsPayable
            : role == Credit ? accounts.MemberCredit
            : throw new InvalidOperationException($"Unknown account role {role}.");

        public static readonly AccountCode Receivable = new("@receivable");
        public static readonly AccountCode Deferred = new("@deferred");
        public static readonly AccountCode Revenue = new("@revenue");
        public static readonly AccountCode Refunds = new("@refunds");
        public static readonly AccountCode Credit = new("@credit");
    }
}
