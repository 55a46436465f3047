using System.Data.Common;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Payments;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Applies a received payment to invoices and/or the member's account. The same code serves automatic
/// decisions (<see cref="Mode.Hold"/>: a pending entry in GL_AI_Hold until the window ends) and staff
/// decisions from the review queue (<see cref="Mode.Direct"/>: a final entry now). A payment is applied
/// once: a second application while one stands is refused, whatever retries or races happen.
/// </summary>
public static class ApplyPayment
{
    public enum Mode
    {
        Hold,
        Direct,
    }

    public sealed record Request(PaymentId PaymentId, IReadOnlyList<Allocation> Allocations, Mode Mode, TimeSpan HoldWindow, string Actor, string Reason, string? RuleVersion = null);

    public enum Result
    {
        /// <summary>Parked in GL_AI_Hold until <see cref="Outcome.ReleaseAt"/>.</summary>
        Held,
        /// <summary>Posted to the final accounts now.</summary>
        Applied,
        /// <summary>The payment already has a standing application: nothing changed.</summary>
        AlreadyApplied,
        /// <summary>No such payment has been received.</summary>
        NotReceived,
        /// <summary>The allocations do not sum to the payment, or are not positive.</summary>
        AllocationsDoNotCoverPayment,
        /// <summary>An invoice named is unknown.</summary>
        InvoiceNotFound,
        /// <summary>An allocation names a member other than the invoice's bill-to member.</summary>
        InvoiceOfAnotherMember,
        /// <summary>An allocation is larger than the invoice's open balance.</summary>
        ExceedsInvoiceBalance,
        /// <summary>The payment was refunded.</summary>
        PaymentRefunded,
        /// <summary>The payment's money went back another way (returned by the bank, voided at the gateway).</summary>
        PaymentWentBack,
        /// <summary>The payment's state does not allow this application (e.g. partly refunded); the detail says why.</summary>
        NotAllowedInState,
    }

    public sealed record Outcome(Result Result, EntryId? EntryId, DateTimeOffset? ReleaseAt, string Detail)
    {
        public bool Changed => Result is Result.Held or Result.Applied;
    }

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, Request request)
    {
        var payment = await ReceivePayment.FindAsync(c, tx, request.PaymentId);
        if (payment is null) return new Outcome(Result.NotReceived, null, null, $"payment {request.PaymentId} was never received");
        // Locking the payment row first serialises every application of one payment, so an automatic and
        // a staff decision cannot both stand; the lifecycle then says whether this one may.
        var state = await PaymentStates.LockAsync(c, tx, payment.Id) ?? throw new PaymentStateConflictException($"payment {payment.Id} vanished");
        var @event = request.Mode == Mode.Hold ? PaymentEvent.Hold : request.Allocations.All(a => a.InvoiceId is null) ? PaymentEvent.PutOnAccount : PaymentEvent.Apply;
        var allowed = PaymentLifecycle.Next(state, @event);
        if (!allowed.IsAllowed)
        {
            var refused = state == PaymentState.Refunded ? Result.PaymentRefunded
                : state.IsGone ? Result.PaymentWentBack
                : state.Group == PaymentStateGroup.Applied ? Result.AlreadyApplied
                : Result.NotAllowedInState;
            return new Outcome(refused, null, null, $"payment {payment.Id}: {allowed.Reason}");
        }

        try
        {
            Allocation.RequireCovers(payment, request.Allocations);
        }
        catch (ArgumentException ex)
        {
            return new Outcome(Result.AllocationsDoNotCoverPayment, null, null, ex.Message);
        }

        var standing = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM allocations WHERE payment_id = @id AND voided_by IS NULL", new { id = payment.Id.Value }, tx);
        if (standing > 0) return new Outcome(Result.AlreadyApplied, null, null, $"payment {payment.Id} is already applied");

        // Invoice rows are locked in one order (by id) so two decisions on overlapping invoices never deadlock;
        // under the lock the balance read is the committed one, and the decrement below is conditional too.
        foreach (var group in request.Allocations.Where(a => a.InvoiceId is not null).GroupBy(a => a.InvoiceId!.Value).OrderBy(g => g.Key.Value, StringComparer.Ordinal))
        {
            var invoice = await c.QuerySingleOrDefaultAsync<(string Member, string Currency, long Balance)?>(
                "SELECT member_id, currency, balance_minor FROM invoices WHERE invoice_id = @id" + PaymentStates.ForUpdate(c), new { id = group.Key.Value }, tx);
            if (invoice is not { } inv) return new Outcome(Result.InvoiceNotFound, null, null, $"invoice {group.Key} is unknown");
            if (group.Any(a => a.MemberId.Value != inv.Member))
                return new Outcome(Result.InvoiceOfAnotherMember, null, null, $"invoice {group.Key} is billed to member {inv.Member}");
            var wanted = group.Sum(a => a.Amount.MinorUnits);
            if (inv.Currency != payment.Amount.Currency.Code || wanted > inv.Balance)
                return new Outcome(Result.ExceedsInvoiceBalance, null, null,
                    $"invoice {group.Key} has {Money.FromMinor(inv.Balance, payment.Amount.Currency).ToDisplayString()} open, less than {Money.FromMinor(wanted, payment.Amount.Currency).ToDisplayString()}");
        }

        var now = clock.GetUtcNow();
        var generation = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(DISTINCT entry_id) FROM allocations WHERE payment_id = @id AND voided_by IS NOT NULL", new { id = payment.Id.Value }, tx);
        var suffix = generation == 0 ? "" : $":{generation}";
        JournalEntry entry;
        DateTimeOffset? releaseAt = null;
        if (request.Mode == Mode.Hold)
        {
            releaseAt = now + request.HoldWindow;
            entry = JournalEntry.Pending(EntryId.New(clock), $"payment:{payment.Id}:hold{suffix}", now, releaseAt.Value, request.Reason,
                [LedgerLine.Debit(accounts.UnappliedCash, payment.Amount), LedgerLine.Credit(accounts.Hold, payment.Amount)]).OnBusinessDay(clock);
        }
        else
        {
            entry = JournalEntry.Standard(EntryId.New(clock), $"payment:{payment.Id}:apply{suffix}", now, request.Reason,
                [LedgerLine.Debit(accounts.UnappliedCash, payment.Amount), .. FinalCredits(accounts, request.Allocations)]).OnBusinessDay(clock);
        }

        var recorded = await Journal.RecordAsync(c, tx, entry);
        if (recorded != LedgerResult.Created) return new Outcome(Result.AlreadyApplied, null, null, recorded.Describe());

        foreach (var a in request.Allocations)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, entry_id, created_at, mode)
                VALUES (@id, @payment, @member, @invoice, @currency, @amount, @entry, @at, @mode)
                """,
                new
                {
                    id = Guid.CreateVersion7(now).ToString("D"),
                    payment = payment.Id.Value,
                    member = a.MemberId.Value,
                    invoice = a.InvoiceId?.Value,
                    currency = a.Amount.Currency.Code,
                    amount = a.Amount.MinorUnits,
                    entry = entry.Id.ToString(),
                    at = DbTime.Format(now),
                    mode = request.Mode == Mode.Hold ? "hold" : "direct",
                }, tx);
            if (a.InvoiceId is { } invoiceId)
            {
                await InvoiceBalances.DecreaseAsync(c, tx, invoiceId, a.Amount, now);
            }
        }

        var newState = (await PaymentStates.TransitionAsync(c, tx, payment.Id, state, @event)).To.Code;
        // A direct application is final now: money to a payment plan's invoices counts against its installments (a hold's counts when it posts).
        if (request.Mode == Mode.Direct) await Collections.CreditPlanInstallments.HandleAsync(c, tx, clock, payment.Id, request.Actor);

        var summary = Describe(request.Allocations);
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor,
            request.Mode == Mode.Hold ? "payment.auto-applied" : "payment.applied",
            $"payment:{payment.Id}",
            request.Mode == Mode.Hold ? $"held {payment.Amount.ToDisplayString()} in GL_AI_Hold until {DbTime.Format(releaseAt)}: {summary}" : $"applied {payment.Amount.ToDisplayString()}: {summary}",
            request.Allocations[0].MemberId.Value,
            Inputs: request.Reason,
            RuleVersion: request.RuleVersion,
            Before: state.Code,
            After: newState));

        if (request.Mode == Mode.Direct || options.WriteToImis == ImisWriteTiming.AtHold)
            await EnqueueImisWriteAsync(c, tx, clock, payment, request.Allocations, request.Mode == Mode.Hold ? accounts.Hold : accounts.UnappliedCash, entry.Id);

        if (request.Mode == Mode.Hold) Hosting.DuesPilotMetrics.PaymentsAutoApplied.Add(1, new KeyValuePair<string, object?>("channel", Payment.ChannelCode(payment.Channel)));
        return new Outcome(request.Mode == Mode.Hold ? Result.Held : Result.Applied, entry.Id, releaseAt, summary);
    }

    /// <summary>Credits for a final posting: dues receivable for invoice allocations, member credit for money kept on account.</summary>
    public static IEnumerable<LedgerLine> FinalCredits(ChartOfAccounts accounts, IEnumerable<Allocation> allocations) =>
        allocations.GroupBy(a => a.InvoiceId is null ? accounts.MemberCredit : accounts.DuesReceivable)
            .Select(g => LedgerLine.Credit(g.Key, Money.Sum(g.Select(a => a.Amount), g.First().Amount.Currency)));

    public static string Describe(IEnumerable<Allocation> allocations) =>
        string.Join("; ", allocations.Select(a => a.InvoiceId is { } i
            ? $"{a.Amount.ToDisplayString()} to INV {i} (member {a.MemberId})"
            : $"{a.Amount.ToDisplayString()} credit on account of member {a.MemberId}"));

    /// <summary>Queues the iMIS ComboOrder for an application; keyed by the ledger entry so it is written once.</summary>
    public static Task<bool> EnqueueImisWriteAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Payment payment, IReadOnlyList<Allocation> allocations, AccountCode glAccount, EntryId entryId)
    {
        var write = new PaymentWrite(
            payment.Id.Value,
            allocations[0].MemberId.Value,
            payment.Amount.Currency.Code,
            payment.Amount.MinorUnits,
            Payment.ChannelCode(payment.Channel),
            payment.Reference ?? payment.Id.Value,
            glAccount.Value,
            allocations.Where(a => a.InvoiceId is not null).GroupBy(a => a.InvoiceId!.Value.Value).Select(g => new PaymentWriteLine(g.Key, g.Sum(a => a.Amount.MinorUnits))).ToList(),
            allocations.Where(a => a.InvoiceId is null).Sum(a => a.Amount.MinorUnits));
        return ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ApplyPayment, $"imis:payment:{entryId}", write);
    }

    /// <summary>The standing allocations of a payment, as stored.</summary>
    public static async Task<IReadOnlyList<Allocation>> StandingAllocationsAsync(DbConnection c, DbTransaction? tx, PaymentId id)
    {
        var rows = await c.QueryAsync<(string Member, string? Invoice, string Currency, long Amount)>(
            "SELECT member_id, invoice_id, currency, amount_minor FROM allocations WHERE payment_id = @id AND voided_by IS NULL ORDER BY allocation_id",
            new { id = id.Value }, tx);
        return rows.Select(r => new Allocation(id, new MemberId(r.Member), r.Invoice is null ? null : new InvoiceId(r.Invoice), Money.FromMinor(r.Amount, Currency.Parse(r.Currency)))).ToList();
    }

    internal static string ToJson(IEnumerable<Allocation> allocations) =>
        JsonSerializer.Serialize(allocations.Select(a => new { member = a.MemberId.Value, invoice = a.InvoiceId?.Value, amount = a.Amount.ToPlainString() }));
}
