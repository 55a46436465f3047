namespace DuesPilot.Domain.Revenue;

/// <summary>How deferred dues are spread over the service period.</summary>
public enum RecognitionMethod
{
    /// <summary>Every month of service weighs the same, including a partial first month (the usual association policy: "10 of 12 months").</summary>
    StraightLineMonths,
    /// <summary>Each month weighs its days of service, so a member joining on the 15th recognises about half a month first.</summary>
    Days,
}

/// <summary>What happened to a membership term, in revenue terms.</summary>
public enum DuesEventKind
{
    /// <summary>A new member's first term is billed: the amount is deferred.</summary>
    Join,
    /// <summary>A renewal term is billed: the amount is deferred.</summary>
    Renew,
    /// <summary>A move to a dearer tier: the extra charge is deferred and the tier changes.</summary>
    Upgrade,
    /// <summary>A move to a cheaper tier: the credit given comes out of the deferred balance and the tier changes.</summary>
    Downgrade,
    /// <summary>Money returned for the term without ending it: comes out of the deferred balance.</summary>
    Refund,
    /// <summary>Service ends on the effective date: any refund comes out of the deferred balance and the rest is recognised in that month.</summary>
    Cancel,
}

/// <summary>One event of a term. <paramref name="Amount"/> is always zero or positive; <paramref name="Kind"/> says which way it moves the deferred balance.</summary>
/// <param name="Tier">The member's tier from this event on.</param>
public sealed record DuesEvent(DuesEventKind Kind, DateOnly EffectiveDate, string Tier, Money Amount)
{
    /// <summary>The change to the deferred dues balance: billed amounts add, credits and refunds subtract.</summary>
    public Money DeferredChange => Kind switch
    {
        DuesEventKind.Join or DuesEventKind.Renew or DuesEventKind.Upgrade => Amount,
        DuesEventKind.Downgrade or DuesEventKind.Refund or DuesEventKind.Cancel => -Amount,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    /// <summary>True for the events that bill (add to the deferred balance), for the roll-forward's "billed" column.</summary>
    public bool IsBilling => Kind is DuesEventKind.Join or DuesEventKind.Renew or DuesEventKind.Upgrade;
}

/// <summary>A membership term being recognised: service from <paramref name="ServiceStart"/> to <paramref name="ServiceEnd"/>, both inclusive.</summary>
public sealed record DuesTerm(string TermId, MemberId MemberId, DateOnly ServiceStart, DateOnly ServiceEnd, RecognitionMethod Method, Currency Currency)
{
    public BillingMonth FirstMonth => BillingMonth.Of(ServiceStart);
    public BillingMonth LastMonth => BillingMonth.Of(ServiceEnd);
}

/// <summary>One month of a term's schedule: the amount recognised, the tier it counts for, and the deferred balance left at month end.</summary>
public sealed record ScheduledRecognition(BillingMonth Month, string Tier, Money Recognised, Money Billed, Money Refunded, Money DeferredAtMonthEnd);

/// <summary>Why a term's events cannot be planned. Expected outcomes (a refund bigger than what is left), not bugs.</summary>
public enum SchedulePlanProblem
{
    None,
    /// <summary>The first event must bill the term (join or renew).</summary>
    FirstEventMustBill,
    /// <summary>An event is dated outside the term's service period.</summary>
    EventOutsideTerm,
    /// <summary>A credit, refund or cancellation would take more out of deferred dues than is left in it.</summary>
    CreditExceedsDeferredBalance,
    /// <summary>An event after a cancellation.</summary>
    EventAfterCancellation,
    /// <summary>Amounts of different currencies.</summary>
    CurrencyMismatch,
}

/// <summary>A term's full schedule, or the problem that stopped it.</summary>
public sealed record SchedulePlan(SchedulePlanProblem Problem, string? Detail, IReadOnlyList<ScheduledRecognition> Months)
{
    public bool IsValid => Problem == SchedulePlanProblem.None;
}

/// <summary>
/// Plans the monthly recognition of one membership term's deferred dues. Pure and deterministic.
/// </summary>
/// <remarks>
/// <para>The rule: events are applied in date order at the start of the month they fall in (the books
/// close monthly, so nothing of that month has been recognised yet); an event billed ahead of the term (up to
/// <see cref="AdvanceBillingDays"/> days) applies at the term's first month, so it stays deferred until the term starts. Whenever a month has events, the
/// remaining deferred balance is re-planned over the months left (that month included) and that plan is
/// followed until the next event. A plan splits the balance with <see cref="Money.Allocate(IReadOnlyList{long})"/>:
/// weights are 1 per month for <see cref="RecognitionMethod.StraightLineMonths"/> or the days of service
/// in each month for <see cref="RecognitionMethod.Days"/>; leftover cents go to the months with the largest
/// remainders, earliest first on ties, so with equal weights the extra cents land on the earliest months.</para>
/// <para>A cancellation ends service in its month: after its refund leaves the deferred balance, whatever
/// is still deferred is recognised in that month (the association owes no more service), and nothing after.</para>
/// <para>The tier of a month is the tier of the latest event dated on or before its last day.</para>
/// </remarks>
public static class RecognitionSchedule
{
    /// <summary>
    /// How early a term may be billed: renewals go out up to 90 days before the term starts. An event dated in that
    /// window is deferred until the term starts (it applies at the term's first month); earlier than that is refused.
    /// </summary>
    public const int AdvanceBillingDays = 90;

    /// <summary>The month an event applies in: its own, or the term's first month for an event billed ahead of the term.</summary>
    public static BillingMonth AppliedMonth(DuesTerm term, DuesEvent e) => e.EffectiveDate < term.ServiceStart ? term.FirstMonth : BillingMonth.Of(e.EffectiveDate);

    /// <summary>
    /// The plan of a term booked late: recorded only once the months up to <paramref name="from"/> (exclusive) were closed,
    /// so nothing was billed or recognised in them; <paramref name="from"/>, the first open month, catches up: it shows
    /// what those months billed, refunded and would have recognised, plus its own share. Months after it are unchanged.
    /// </summary>
    public static SchedulePlan CatchUp(SchedulePlan plan, BillingMonth from)
    {
        if (!plan.IsValid || plan.Months.Count == 0 || from <= plan.Months[0].Month) return plan;
        var currency = plan.Months[0].Recognised.Currency;
        var zero = Money.Zero(currency);
        var months = new List<ScheduledRecognition>(plan.Months.Count);
        Money recognised = zero, billed = zero, refunded = zero;
        foreach (var m in plan.Months)
        {
            if (m.Month < from)
            {
                (recognised, billed, refunded) = (recognised + m.Recognised, billed + m.Billed, refunded + m.Refunded);
                months.Add(m with { Recognised = zero, Billed = zero, Refunded = zero, DeferredAtMonthEnd = zero });
            }
            else if (m.Month == from)
            {
                months.Add(m with { Recognised = recognised + m.Recognised, Billed = billed + m.Billed, Refunded = refunded + m.Refunded });
            }
            else
            {
                months.Add(m);
            }
        }

        return plan with { Months = months };
    }

    public static SchedulePlan Plan(DuesTerm term, IReadOnlyList<DuesEvent> events)
    {
        if (term.ServiceEnd < term.ServiceStart) throw new ArgumentException($"Term {term.TermId} ends before it starts.", nameof(term));
        var ordered = events.Select((e, i) => (e, i)).OrderBy(x => x.e.EffectiveDate).ThenBy(x => x.i).Select(x => x.e).ToList();
        if (ordered.Count == 0 || ordered[0].Kind is not (DuesEventKind.Join or DuesEventKind.Renew))
            return Fail(SchedulePlanProblem.FirstEventMustBill, $"term {term.TermId}: the first event must be a join or renewal");
        foreach (var e in ordered)
        {
            if (e.Amount.Currency != term.Currency) return Fail(SchedulePlanProblem.CurrencyMismatch, $"term {term.TermId} is in {term.Currency.Code}, an event is in {e.Amount.Currency.Code}");
            if (e.Amount.IsNegative) throw new ArgumentException("Event amounts are never negative; the kind gives the direction.", nameof(events));
            if (e.EffectiveDate < term.ServiceStart.AddDays(-AdvanceBillingDays) || e.EffectiveDate > term.ServiceEnd)
                return Fail(SchedulePlanProblem.EventOutsideTerm, $"term {term.TermId}: {e.Kind} on {e.EffectiveDate:yyyy-MM-dd} is outside {term.ServiceStart:yyyy-MM-dd}..{term.ServiceEnd:yyyy-MM-dd}"
                    + (e.EffectiveDate < term.ServiceStart ? $" (a term is billed at most {AdvanceBillingDays} days ahead, from {term.ServiceStart.AddDays(-AdvanceBillingDays):yyyy-MM-dd})" : ""));
        }

        var first = term.FirstMonth;
        var count = first.MonthsUntil(term.LastMonth) + 1;
        var months = new List<ScheduledRecognition>(count);
        var zero = Money.Zero(term.Currency);
        var deferred = zero;
        var tier = ordered[0].Tier;
        var next = 0;
        var cancelled = false;
        long[]? plan = null;
        var planStart = 0;
        var month = first;
        for (var k = 0; k < count; k++, month = month.Next())
        {
            var billed = zero;
            var refunded = zero;
            var replan = false;
            var cancelledThisMonth = false;
            while (next < ordered.Count && AppliedMonth(term, ordered[next]) == month)
            {
                var e = ordered[next++];
                if (cancelled) return Fail(SchedulePlanProblem.EventAfterCancellation, $"term {term.TermId}: {e.Kind} on {e.EffectiveDate:yyyy-MM-dd} comes after the cancellation");
                deferred += e.DeferredChange;
                if (deferred.IsNegative)
                    return Fail(SchedulePlanProblem.CreditExceedsDeferredBalance, $"term {term.TermId}: {e.Kind} of {e.Amount.ToPlainString()} on {e.EffectiveDate:yyyy-MM-dd} exceeds the {(deferred + e.Amount).ToPlainString()} still deferred");
                if (e.IsBilling) billed += e.Amount; else refunded += e.Amount;
                tier = e.Tier;
                replan = true;
                if (e.Kind == DuesEventKind.Cancel) cancelled = cancelledThisMonth = true;
            }

            Money recognised;
            if (cancelledThisMonth)
            {
                recognised = deferred;
                plan = null;
            }
            else if (cancelled)
            {
                recognised = zero;
            }
            else
            {
                if (replan || plan is null)
                {
                    plan = deferred.IsZero ? new long[count - k] : deferred.Allocate(Weights(term, month, count - k)).Select(m => m.MinorUnits).ToArray();
                    planStart = k;
                }

                recognised = Money.FromMinor(plan[k - planStart], term.Currency);
            }

            deferred -= recognised;
            months.Add(new ScheduledRecognition(month, tier, recognised, billed, refunded, deferred));
        }

        return new SchedulePlan(SchedulePlanProblem.None, null, months);
    }

    /// <summary>Weights of the months from <paramref name="from"/> to the term's last month.</summary>
    private static long[] Weights(DuesTerm term, BillingMonth from, int count)
    {
        var weights = new long[count];
        var month = from;
        for (var i = 0; i < count; i++, month = month.Next())
        {
            if (term.Method == RecognitionMethod.StraightLineMonths)
            {
                weights[i] = 1;
                continue;
            }

            // Days of service in the month: the unrecognised period starts at the month's first day (or the service start).
            var start = month.First < term.ServiceStart ? term.ServiceStart : month.First;
            var end = month.Last > term.ServiceEnd ? term.ServiceEnd : month.Last;
            weights[i] = end.DayNumber - start.DayNumber + 1;
        }

        return weights;
    }

    private static SchedulePlan Fail(SchedulePlanProblem problem, string detail) => new(problem, detail, []);
}
