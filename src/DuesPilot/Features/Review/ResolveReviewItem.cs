using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Payments;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Review;

/// <summary>What a person can do with a review item.</summary>
public enum ReviewAction
{
    /// <summary>Apply the engine's suggestion (payments) or confirm the finding (other kinds).</summary>
    Approve,
    /// <summary>Apply the payment to another candidate member (their proposed allocations, else their oldest open invoices).</summary>
    PickCandidate,
    /// <summary>Apply the payment across the invoices and members given.</summary>
    Split,
    /// <summary>Keep the whole payment as credit on a member's account.</summary>
    PutOnAccount,
    /// <summary>Send the money back to the payer.</summary>
    Refund,
    /// <summary>Decline the suggestion (payments stay in the queue) or dismiss the finding.</summary>
    Reject,
    /// <summary>Hand the item to a colleague.</summary>
    Assign,
    /// <summary>Add a note.</summary>
    Comment,
    /// <summary>Keep an invoice as billed despite its findings; the note gives the reason and is required.</summary>
    AcceptAsIs,
    /// <summary>Correct the invoice in iMIS to the expected amount (or the amount given) through the outbox (<c>invoice-correction</c>).</summary>
    CorrectInImis,
    /// <summary>Void what the invoice still owes in iMIS through the outbox (<c>invoice-void</c>); the note gives the reason and is required.</summary>
    VoidInImis,
    /// <summary>Take back the payment's standing application (<see cref="Posting.ReverseApplication"/>); allowed on a resolved item too; the note is required.</summary>
    ReverseApplication,
}

/// <summary>
/// Resolves review items. Every money-moving action goes through <see cref="ApplyPayment"/> — the same
/// code as automatic decisions — so the ledger, invoice balances, iMIS writes and audit log change in one
/// transaction. Amounts above the approval threshold need the approver role.
/// </summary>
public static class ResolveReviewItem
{
    /// <param name="Amount">For <see cref="ReviewAction.CorrectInImis"/>: the amount the invoice should be billed; null = the expected amount from the findings.</param>
    public sealed record Request(string ItemId, ReviewAction Action, StaffActor Actor, string? Note = null, string? MemberId = null, IReadOnlyList<ProposedAllocation>? Allocations = null, string? AssignTo = null, decimal? Amount = null);

    public enum Result
    {
        Done,
        ItemNotFound,
        AlreadyResolved,
        NotAllowed,
        NeedsApprover,
        Invalid,
    }

    public sealed record Outcome(Result Result, string Message);

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, Request request, CancellationToken ct = default)
    {
        try
        {
            return await store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, accounts, options, request), ct);
        }
        catch (ReviewItemStateConflictException ex)
        {
            // Another decision on the item committed first; this one's transaction rolled back with everything it wrote.
            return new Outcome(Result.AlreadyResolved, ex.Message);
        }
    }

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, Request request)
    {
        if (!request.Actor.CanResolve) return new Outcome(Result.NotAllowed, $"{request.Actor.UserName} may read the queue but not change it");
        var row = await c.QuerySingleOrDefaultAsync<ReviewQueue.Row>("SELECT * FROM review_items WHERE item_id = @id", new { id = request.ItemId }, tx);
        if (row is null) return new Outcome(Result.ItemNotFound, $"no review item {request.ItemId}");
        var item = row.ToView();
        if (request.Action == ReviewAction.ReverseApplication) return await ReverseAsync(c, tx, clock, accounts, options, item, request);
        if (item.State is ReviewItemStates.Resolved && request.Action is not (ReviewAction.Comment)) return new Outcome(Result.AlreadyResolved, "the item was already resolved");

        switch (request.Action)
        {
            case ReviewAction.Comment:
                if (string.IsNullOrWhiteSpace(request.Note)) return new Outcome(Result.Invalid, "a comment needs text");
                await EventAsync(c, tx, clock, item.ItemId, request.Actor.UserName, "comment", request.Note);
                return new Outcome(Result.Done, "comment added");
            case ReviewAction.Assign:
                if (string.IsNullOrWhiteSpace(request.AssignTo)) return new Outcome(Result.Invalid, "name the colleague to assign to");
                await ReviewItemStates.TransitionAsync(c, tx, item.ItemId, item.State, ReviewItemEvent.Assign, clock.GetUtcNow(), assignedTo: request.AssignTo);
                await EventAsync(c, tx, clock, item.ItemId, request.Actor.UserName, "assigned", $"to {request.AssignTo}");
                return new Outcome(Result.Done, $"assigned to {request.AssignTo}");
            case ReviewAction.Reject when item.Kind == ReviewKinds.Payment:
                await EventAsync(c, tx, clock, item.ItemId, request.Actor.UserName, "suggestion-rejected", request.Note);
                await c.ExecuteAsync("UPDATE review_items SET suggested_action = 'review', updated_at = @now WHERE item_id = @id",
                    new { now = DbTime.Format(clock.GetUtcNow()), id = item.ItemId }, tx);
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor.UserName, "review.suggestion-rejected", $"{item.Kind}:{item.SubjectId}",
                    request.Note ?? "suggestion rejected", item.MemberId));
                return new Outcome(Result.Done, "suggestion rejected; the payment stays in the queue");
        }

        if (request.Action is ReviewAction.CorrectInImis or ReviewAction.VoidInImis)
            return await ChangeInImisAsync(c, tx, clock, item, request);

        if (item.Kind != ReviewKinds.Payment)
        {
            if (request.Action == ReviewAction.AcceptAsIs && item.Kind != ReviewKinds.Invoice) return new Outcome(Result.Invalid, "only an invoice can be accepted as is");
            if (request.Action == ReviewAction.AcceptAsIs && string.IsNullOrWhiteSpace(request.Note)) return new Outcome(Result.Invalid, "say why the invoice stands as billed");
            var resolution = request.Action switch
            {
                ReviewAction.Approve => "confirmed",
                ReviewAction.Reject => "dismissed",
                ReviewAction.AcceptAsIs => "accepted as is",
                _ => null,
            };
            if (resolution is null) return new Outcome(Result.Invalid, $"{request.Action} applies to payments only");
            await CloseAsync(c, tx, clock, item, request.Actor.UserName, resolution + (request.Note is null ? "" : $": {request.Note}"));
            return new Outcome(Result.Done, resolution);
        }

        var payment = await ReceivePayment.FindAsync(c, tx, new PaymentId(item.SubjectId));
        if (payment is null) return new Outcome(Result.Invalid, $"payment {item.SubjectId} is not in the store");
        if (payment.Amount.Amount > options.ApprovalThresholdAmount && !request.Actor.CanApproveLargeAmounts)
            return new Outcome(Result.NeedsApprover, $"{payment.Amount.ToDisplayString()} is above the approval threshold of {Money.FromDecimal(options.ApprovalThresholdAmount, payment.Amount.Currency).ToDisplayString()}: an approver must decide");

        if (request.Action == ReviewAction.Refund)
        {
            var state = await PaymentStates.LockAsync(c, tx, payment.Id) ?? throw new PaymentStateConflictException($"payment {payment.Id} vanished");
            var standing = await ApplyPayment.StandingAllocationsAsync(c, tx, payment.Id);
            if (!state.IsUnapplied || standing.Count > 0)
            {
                var why = state.IsGone ? PaymentLifecycle.Next(state, PaymentEvent.Refund).Reason : $"the payment is {state.Code}; override or reverse the application before refunding";
                return new Outcome(Result.Invalid, why);
            }

            // What is still in unapplied cash: all of it, or what a partial refund at the gateway left.
            var left = await PaymentStates.UnappliedOfAsync(c, tx, accounts.UnappliedCash, payment.Id, payment.Amount.Currency);
            if (!left.IsPositive) return new Outcome(Result.Invalid, $"nothing of payment {payment.Id} is left in unapplied cash to refund");
            var refund = JournalEntry.Standard(EntryId.New(clock), $"payment:{payment.Id}:refund", clock.GetUtcNow(), $"Refund approved by {request.Actor.UserName}",
                [LedgerLine.Debit(accounts.UnappliedCash, left), LedgerLine.Credit(accounts.RefundsPayable, left)]).OnBusinessDay(clock);
            var r = await Journal.RecordAsync(c, tx, refund);
            if (r != LedgerResult.Created) return new Outcome(Result.AlreadyResolved, r.Describe());
            await PaymentStates.TransitionAsync(c, tx, payment.Id, state, PaymentEvent.Refund);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor.UserName, "payment.refund-approved", $"payment:{payment.Id}",
                $"refund of {left.ToDisplayString()} to the payer approved", item.MemberId, Inputs: request.Note, Before: state.Code, After: PaymentState.Refunded.Code));
            await CloseAsync(c, tx, clock, item, request.Actor.UserName, $"refunded {left.ToDisplayString()}");
            return new Outcome(Result.Done, $"refund of {left.ToDisplayString()} recorded (refunds payable)");
        }

        IReadOnlyList<Allocation> allocations;
        switch (request.Action)
        {
            case ReviewAction.Approve:
                var top = item.Analysis?.Candidates.FirstOrDefault();
                if (top is null) return new Outcome(Result.Invalid, "there is no suggestion to approve; pick a member");
                allocations = top.Allocations.Count > 0 ? ToAllocations(payment, top.Allocations) : await OldestFirstAsync(c, tx, payment, new MemberId(top.MemberId));
                break;
            case ReviewAction.PickCandidate:
                if (string.IsNullOrWhiteSpace(request.MemberId)) return new Outcome(Result.Invalid, "pick a member");
                var picked = item.Analysis?.Candidates.FirstOrDefault(cand => cand.MemberId == request.MemberId);
                allocations = picked is { Allocations.Count: > 0 } ? ToAllocations(payment, picked.Allocations) : await OldestFirstAsync(c, tx, payment, new MemberId(request.MemberId));
                break;
            case ReviewAction.Split:
                if (request.Allocations is not { Count: > 0 }) return new Outcome(Result.Invalid, "give the split");
                allocations = ToAllocations(payment, request.Allocations);
                break;
            case ReviewAction.PutOnAccount:
                var member = request.MemberId ?? item.MemberId ?? item.Analysis?.Candidates.FirstOrDefault()?.MemberId;
                if (member is null) return new Outcome(Result.Invalid, "name the member whose account gets the credit");
                allocations = [new Allocation(payment.Id, new MemberId(member), null, payment.Amount)];
                break;
            default:
                return new Outcome(Result.Invalid, $"unsupported action {request.Action}");
        }

        var applied = await ApplyPayment.HandleAsync(c, tx, clock, accounts, options, new ApplyPayment.Request(
            payment.Id, allocations, ApplyPayment.Mode.Direct, TimeSpan.Zero, request.Actor.UserName,
            $"{request.Action} by {request.Actor.UserName}" + (request.Note is null ? "" : $": {request.Note}")));
        if (!applied.Changed) return new Outcome(Result.Invalid, applied.Detail);
        await CloseAsync(c, tx, clock, item, request.Actor.UserName, $"{request.Action}: {applied.Detail}");
        return new Outcome(Result.Done, applied.Detail);
    }

    /// <summary>
    /// Queues the correction or void of a flagged invoice for iMIS (docs/decisions/0151) and closes the item, in one transaction:
    /// the outbox row (one per item, so asking twice queues once), the resolution and its audit event. The local copy of the invoice
    /// changes when the sync reads iMIS's answer back, never before iMIS has it.
    /// </summary>
    private static async Task<Outcome> ChangeInImisAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ReviewItemView item, Request request)
    {
        if (item.Kind != ReviewKinds.Invoice) return new Outcome(Result.Invalid, $"{request.Action} applies to invoices flagged by validation only");
        var invoice = await c.QuerySingleOrDefaultAsync<(string Member, string Currency, long Amount, long Balance)?>(
            "SELECT member_id, currency, amount_minor, balance_minor FROM invoices WHERE invoice_id = @id", new { id = item.SubjectId }, tx);
        if (invoice is not { } inv) return new Outcome(Result.Invalid, $"invoice {item.SubjectId} is not in the local copy of iMIS; sync first");
        var currency = Currency.Parse(inv.Currency);
        var member = item.MemberId ?? inv.Member;
        var billed = Money.FromMinor(inv.Amount, currency);
        string resolution;
        if (request.Action == ReviewAction.CorrectInImis)
        {
            var target = request.Amount is { } given ? Money.FromDecimal(given, currency) : ExpectedAmount(billed, item.AnalysisText);
            if (target.IsNegative) return new Outcome(Result.Invalid, "an invoice cannot be billed a negative amount");
            if (target == billed) return new Outcome(Result.Invalid, $"the invoice is billed {billed.ToDisplayString()} already; accept it as is or dismiss the finding");
            var reason = Trimmed(request.Note) ?? $"DuesPilot invoice validation: {item.Reason}";
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.InvoiceCorrection, $"imis:invoice-correction:{item.ItemId}",
                new InvoiceCorrectionWrite(item.ItemId, item.SubjectId, member, currency.Code, target.MinorUnits, reason, request.Actor.UserName));
            resolution = $"correction in iMIS queued: billed {billed.ToDisplayString()} → {target.ToDisplayString()} ({reason})";
        }
        else
        {
            var reason = Trimmed(request.Note);
            if (reason is null) return new Outcome(Result.Invalid, "say why the invoice is void");
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.InvoiceVoid, $"imis:invoice-void:{item.ItemId}",
                new InvoiceVoidWrite(item.ItemId, item.SubjectId, member, reason, BusinessClock.Of(clock).Today.ToString("O", System.Globalization.CultureInfo.InvariantCulture), request.Actor.UserName));
            resolution = $"void in iMIS queued: {Money.FromMinor(inv.Balance, currency).ToDisplayString()} still owed is reversed ({reason})";
        }

        await CloseAsync(c, tx, clock, item, request.Actor.UserName, resolution);
        return new Outcome(Result.Done, resolution);
    }

    /// <summary>
    /// Reverses the application of the item's payment (a payment item, or an event of an applied payment such as a chargeback).
    /// The payment's own item is reopened by the reversal; an event item is closed by it.
    /// </summary>
    private static async Task<Outcome> ReverseAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, ReviewItemView item, Request request)
    {
        if (item.Kind != ReviewKinds.Payment && !item.Kind.StartsWith(ReviewKinds.AppliedPaymentEventPrefix, StringComparison.Ordinal))
            return new Outcome(Result.Invalid, "only a payment's application can be reversed");
        var reason = Trimmed(request.Note);
        if (reason is null) return new Outcome(Result.Invalid, "say why the application is reversed");
        var payment = await ReceivePayment.FindAsync(c, tx, new PaymentId(item.SubjectId));
        if (payment is null) return new Outcome(Result.Invalid, $"payment {item.SubjectId} is not in the store");
        if (payment.Amount.Amount > options.ApprovalThresholdAmount && !request.Actor.CanApproveLargeAmounts)
            return new Outcome(Result.NeedsApprover, $"{payment.Amount.ToDisplayString()} is above the approval threshold of {Money.FromDecimal(options.ApprovalThresholdAmount, payment.Amount.Currency).ToDisplayString()}: an approver must reverse it");
        var reversed = await Posting.ReverseApplication.HandleAsync(c, tx, clock, accounts, payment.Id, request.Actor.UserName, reason);
        if (reversed.Result != Posting.ReverseApplication.Result.Reversed) return new Outcome(Result.Invalid, reversed.Detail);
        await EventAsync(c, tx, clock, item.ItemId, request.Actor.UserName, "application-reversed", reason);
        if (item.Kind != ReviewKinds.Payment && item.State != ReviewItemStates.Resolved) await CloseAsync(c, tx, clock, item, request.Actor.UserName, "application reversed: " + reason);
        return new Outcome(Result.Done, reversed.Detail);
    }

    private static string? Trimmed(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>What the invoice should be billed by its findings: the billed amount plus, per finding, expected minus actual (never below zero).</summary>
    public static Money ExpectedAmount(Money billed, string? analysisJson)
    {
        var delta = 0m;
        if (!string.IsNullOrWhiteSpace(analysisJson) && analysisJson.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(analysisJson);
                if (doc.RootElement.TryGetProperty("findings", out var findings) && findings.ValueKind == System.Text.Json.JsonValueKind.Array)
                {
                    foreach (var f in findings.EnumerateArray())
                        delta += Plain(f, "expected") - Plain(f, "actual");
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not findings: nothing to add.
            }
        }

        var expected = billed.Amount + delta;
        return Money.FromDecimal(Math.Max(0m, expected), billed.Currency);
    }

    private static decimal Plain(System.Text.Json.JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && decimal.TryParse(v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : v.GetRawText(),
            System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : 0m;

    private static IReadOnlyList<Allocation> ToAllocations(Payment payment, IEnumerable<ProposedAllocation> proposed) =>
        proposed.Select(p => new Allocation(payment.Id, new MemberId(p.MemberId), p.InvoiceId is null ? null : new InvoiceId(p.InvoiceId), Money.FromDecimal(p.Amount, payment.Amount.Currency))).ToList();

    /// <summary>The member's open invoices, oldest first, up to the amount; the rest is credit on account.</summary>
    public static async Task<IReadOnlyList<Allocation>> OldestFirstAsync(DbConnection c, DbTransaction tx, Payment payment, MemberId member)
    {
        var open = await c.QueryAsync<(string Id, long Balance)>(
            "SELECT invoice_id, balance_minor FROM invoices WHERE member_id = @m AND balance_minor > 0 AND currency = @cur ORDER BY due_date, invoice_date, invoice_id",
            new { m = member.Value, cur = payment.Amount.Currency.Code }, tx);
        var left = payment.Amount.MinorUnits;
        var result = new List<Allocation>();
        foreach (var (id, balance) in open)
        {
            if (left == 0) break;
            var take = Math.Min(left, balance);
            result.Add(new Allocation(payment.Id, member, new InvoiceId(id), Money.FromMinor(take, payment.Amount.Currency)));
            left -= take;
        }

        if (left > 0) result.Add(new Allocation(payment.Id, member, null, Money.FromMinor(left, payment.Amount.Currency)));
        return result;
    }

    private static async Task CloseAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ReviewItemView item, string actor, string resolution)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        await ReviewItemStates.TransitionAsync(c, tx, item.ItemId, item.State, ReviewItemEvent.Resolve, clock.GetUtcNow(), resolution: resolution);
        await EventAsync(c, tx, clock, item.ItemId, actor, "resolved", resolution);
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "review.resolved", $"{item.Kind}:{item.SubjectId}", resolution, item.MemberId,
            Before: item.State, After: "resolved"));
        if (item.MemberId is not null)
        {
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ReviewQueueRow, $"imis:review:{item.ItemId}:{now}",
                new ReviewQueueRow(item.ItemId, item.MemberId, null, item.Amount?.MinorUnits, false, resolution, "resolved", item.Amount?.Currency.Code));
        }
    }

    private static Task EventAsync(DbConnection c, DbTransaction tx, TimeProvider clock, string itemId, string actor, string action, string? detail) =>
        c.ExecuteAsync("INSERT INTO review_events (event_id, item_id, actor, action, detail, at) VALUES (@id, @itemId, @actor, @action, @detail, @at)",
            new { id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), itemId, actor, action, detail, at = DbTime.Format(clock.GetUtcNow()) }, tx);
}
