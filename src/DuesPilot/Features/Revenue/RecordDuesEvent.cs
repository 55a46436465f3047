using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Proration;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>
/// Records what happened to a membership term (join, renewal, upgrade, downgrade, refund, cancellation)
/// and books its effect on deferred dues: billed amounts Dr dues receivable / Cr deferred dues; downgrade
/// differences Dr deferred dues / Cr refunds payable or member credit, as the billing policy's <c>refunds.downgrade</c>
/// says; refunds Dr deferred dues / Cr refunds payable. The
/// remaining schedule is re-planned by <see cref="RecognitionSchedule"/> from these events at every close.
/// </summary>
/// <remarks>
/// Amounts come from the proration policy (the proration engine or iMIS), never from here. An event dated in
/// a month already closed (in the term's currency) is refused: closed books stay closed, so a late event is recorded
/// with a date in the first open month. The exception is a new term's join or renewal recorded after its month was
/// closed: it is booked now and the first open month catches up the closed months' recognition with one explained
/// entry (<see cref="CloseRevenueMonth"/>). A renewal billed up to 90 days ahead of its term stays deferred until the
/// term starts (<see cref="RecognitionSchedule.AdvanceBillingDays"/>). The whole term is re-planned before anything is written, so an event that would
/// make the plan impossible (a refund bigger than what is still deferred) is refused with its reason.
/// </remarks>
public static class RecordDuesEvent
{
    /// <param name="IdempotencyKey">The outside event's key (iMIS order id + line, proration id); a retry with the same key and data books nothing.</param>
    /// <param name="Downgrade">What the billing policy does with a downgrade's difference (<c>refunds.downgrade</c>): refund it
    /// (Cr refunds payable), keep it as member credit (Cr member credit), or neither (a positive downgrade amount is then refused).</param>
    /// <param name="TermId">Our id for the term, e.g. <c>23179:2027</c>; the first event creates the term with the period and method given.</param>
    public sealed record Request(
        string IdempotencyKey,
        string TermId,
        MemberId MemberId,
        DateOnly ServiceStart,
        DateOnly ServiceEnd,
        RecognitionMethod Method,
        DuesEvent Event,
        string Actor = "duespilot",
        DowngradeTreatment Downgrade = DowngradeTreatment.Refund);

    public enum Result
    {
        /// <summary>Recorded and booked.</summary>
        Recorded,
        /// <summary>The same key was recorded before with the same data: nothing booked again.</summary>
        Exists,
        /// <summary>The same key was recorded before with different data: refused, and worth an alert.</summary>
        ExistsWithDifferentData,
        /// <summary>The event's month is already closed.</summary>
        MonthClosed,
        /// <summary>The term exists with another member, period, method or currency.</summary>
        TermMismatch,
        /// <summary>The term's events cannot be planned with this one (see <see cref="Outcome.Detail"/>).</summary>
        Unplannable,
        /// <summary>A downgrade pays something back although the policy gives nothing back on a downgrade.</summary>
        AgainstPolicy,
    }

    public sealed record Outcome(Result Result, string? Detail = null, EntryId? EntryId = null)
    {
        public bool IsRecorded => Result is Result.Recorded or Result.Exists;
    }

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, accounts, request), ct);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, Request request)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(request.IdempotencyKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TermId);
        var e = request.Event;
        await RevenueStore.LockAsync(c, tx);
        var hash = PayloadHash(request);
        var existing = await c.ExecuteScalarAsync<string?>("SELECT payload_hash FROM revenue_events WHERE idempotency_key = @key", new { key = request.IdempotencyKey }, tx);
        if (existing is not null)
            return existing == hash ? new Outcome(Result.Exists) : new Outcome(Result.ExistsWithDifferentData, $"key {request.IdempotencyKey} was recorded with other data");

        var term = new DuesTerm(request.TermId, request.MemberId, request.ServiceStart, request.ServiceEnd, request.Method, e.Amount.Currency);
        var stored = await RevenueStore.FindTermAsync(c, tx, request.TermId);
        // Closes are per currency: the term's own books decide what is closed.
        var lastClosed = await RevenueStore.LastClosedMonthAsync(c, tx, e.Amount.Currency);
        BillingMonth? catchUp = null;
        if (lastClosed is { } closed && BillingMonth.Of(e.EffectiveDate) <= closed)
        {
            // A new term billed in (or starting in) a closed month is booked late: in the first open month, which catches up
            // the closed months' recognition. Any other event in a closed month is refused: closed books stay closed.
            if (stored is not null || e.Kind is not (DuesEventKind.Join or DuesEventKind.Renew))
                return new Outcome(Result.MonthClosed, $"{BillingMonth.Of(e.EffectiveDate)} is closed (books closed through {closed}); date the event in {closed.Next()} or later");
            catchUp = closed.Next();
        }
        else if (stored is null && lastClosed is { } lc && term.FirstMonth <= lc)
        {
            catchUp = lc.Next();
        }

        if (catchUp is { } cu && term.LastMonth < cu)
            return new Outcome(Result.MonthClosed, $"term {term.TermId} ended in {term.LastMonth}, and its books are closed through {cu.Previous()}: there is no open month of the term to catch it up in");
        if (stored is not null && stored != term)
            return new Outcome(Result.TermMismatch, $"term {term.TermId} is recorded as {stored.MemberId} {stored.ServiceStart:yyyy-MM-dd}..{stored.ServiceEnd:yyyy-MM-dd} {stored.Method} {stored.Currency.Code}");

        if (e.Kind == DuesEventKind.Downgrade && e.Amount.IsPositive && request.Downgrade == DowngradeTreatment.None)
            return new Outcome(Result.AgainstPolicy, $"the billing policy gives nothing back on a downgrade (refunds.downgrade: none), but {e.Amount.ToDisplayString()} was given");

        List<DuesEvent> events = stored is null ? [] : await RevenueStore.EventsAsync(c, tx, request.TermId);
        events.Add(e);
        var plan = RecognitionSchedule.Plan(term, events);
        if (!plan.IsValid) return new Outcome(Result.Unplannable, plan.Detail);

        if (stored is null)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO revenue_terms (term_id, member_id, currency, service_start, service_end, method, created_at, catch_up_month)
                VALUES (@id, @member, @currency, @start, @end, @method, @at, @catchUp)
                """,
                new
                {
                    id = term.TermId,
                    member = term.MemberId.Value,
                    currency = term.Currency.Code,
                    start = DbTime.Format(term.ServiceStart),
                    end = DbTime.Format(term.ServiceEnd),
                    method = term.Method.ToString(),
                    at = DbTime.Format(clock.GetUtcNow()),
                    catchUp = catchUp?.ToString(),
                }, tx);
        }

        EntryId? entryId = null;
        if (e.Amount.IsPositive)
        {
            var (debit, credit) = e.Kind switch
            {
                DuesEventKind.Join or DuesEventKind.Renew or DuesEventKind.Upgrade => (accounts.DuesReceivable, accounts.DeferredDues),
                // Per the policy: paid back (refunds payable) or kept on the member's account (member credit).
                DuesEventKind.Downgrade => (accounts.DeferredDues, request.Downgrade == DowngradeTreatment.Credit ? accounts.MemberCredit : accounts.RefundsPayable),
                DuesEventKind.Refund or DuesEventKind.Cancel => (accounts.DeferredDues, accounts.RefundsPayable),
                _ => throw new ArgumentOutOfRangeException(nameof(request), e.Kind, "unknown event kind"),
            };
            var entry = JournalEntry.Standard(EntryId.New(clock), "revenue-event:" + request.IdempotencyKey, clock.GetUtcNow(),
                $"{e.Kind} {request.MemberId} term {request.TermId} effective {e.EffectiveDate:yyyy-MM-dd}",
                [LedgerLine.Debit(debit, e.Amount), LedgerLine.Credit(credit, e.Amount)]).OnBusinessDay(clock);
            var booked = await Journal.RecordAsync(c, tx, entry);
            if (booked != LedgerResult.Created) throw new LedgerRuleException($"Revenue event {request.IdempotencyKey}: {booked.Describe()}");
            entryId = entry.Id;
        }

        await c.ExecuteAsync(
            """
            INSERT INTO revenue_events (event_id, idempotency_key, term_id, kind, effective_date, tier, currency, amount_minor, entry_id, payload_hash, created_at)
            VALUES (@id, @key, @term, @kind, @date, @tier, @currency, @amount, @entry, @hash, @at)
            """,
            new
            {
                id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"),
                key = request.IdempotencyKey,
                term = request.TermId,
                kind = e.Kind.ToString(),
                date = DbTime.Format(e.EffectiveDate),
                tier = e.Tier,
                currency = e.Amount.Currency.Code,
                amount = e.Amount.MinorUnits,
                entry = entryId?.ToString(),
                hash,
                at = DbTime.Format(clock.GetUtcNow()),
            }, tx);
        var late = catchUp is { } month && month > term.FirstMonth
            ? $"; recorded after {term.FirstMonth}..{month.Previous()} closed: {month} catches up their recognition"
            : "";
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "revenue.event-recorded", $"revenue-term:{request.TermId}",
            $"{e.Kind} {e.Amount.ToDisplayString()} effective {e.EffectiveDate:yyyy-MM-dd}, tier {e.Tier}; deferred after: {plan.Months[^1].DeferredAtMonthEnd.ToDisplayString()} at term end{late}",
            request.MemberId.Value, Inputs: request.IdempotencyKey, RuleVersion: "recognition/" + request.Method));
        return new Outcome(Result.Recorded, null, entryId);
    }

    private static string PayloadHash(Request r)
    {
        var text = string.Join('|', r.TermId, r.MemberId.Value, DbTime.Format(r.ServiceStart), DbTime.Format(r.ServiceEnd), r.Method,
            r.Event.Kind, DbTime.Format(r.Event.EffectiveDate), r.Event.Tier, r.Event.Amount.Currency.Code,
            r.Event.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
