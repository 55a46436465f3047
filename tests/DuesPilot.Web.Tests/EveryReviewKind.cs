using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;

namespace DuesPilot.Web.Tests;

/// <summary>
/// Puts one open review item of every kind in <see cref="ReviewKinds.All"/> into a store that lacks it, through
/// the code that opens that kind where it can be called alone (payment events through
/// <see cref="RecordPaymentEvent"/>). A kind added to <see cref="ReviewKinds.All"/> without a case here fails
/// the tests that use it, so every new kind gets a page that is opened and checked.
/// </summary>
public static class EveryReviewKind
{
    public static async Task<IReadOnlyDictionary<string, string>> SeedAsync(Store store, TimeProvider clock, string memberId)
    {
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        var present = await store.InTransactionAsync(async (c, tx) =>
            (await c.QueryAsync<(string Kind, string Id)>("SELECT kind, MIN(item_id) FROM review_items WHERE state <> 'resolved' GROUP BY kind", transaction: tx)).ToList());
        foreach (var (kind, id) in present) items[kind] = id;
        var n = 0;
        foreach (var kind in ReviewKinds.All.Where(k => !items.ContainsKey(k)))
        {
            n++;
            await store.InTransactionAsync(async (c, tx) => await SeedOneAsync(c, tx, clock, kind, memberId, n));
            items[kind] = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>(
                "SELECT item_id FROM review_items WHERE kind = @kind ORDER BY created_at DESC LIMIT 1", new { kind }, tx));
        }

        return items;
    }

    /// <summary>The reason a card network or bank gives for each event, as the demo's processors would send it.</summary>
    private static string ReasonOf(PaymentEventKind kind) => kind switch
    {
        PaymentEventKind.Refund => "requested by customer",
        PaymentEventKind.Dispute => "fraudulent",
        PaymentEventKind.Failure => "card declined",
        PaymentEventKind.AchReturn => "R01 insufficient funds",
        PaymentEventKind.ChangeNotice => "C01 incorrect account number",
        PaymentEventKind.Void => "voided by the processor",
        PaymentEventKind.FraudFlag => "elevated risk",
        PaymentEventKind.InvoicePaid => "invoice paid in iMIS",
        _ => kind.ToString(),
    };

    private static async Task SeedOneAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, TimeProvider clock, string kind, string memberId, int n)
    {
        var now = clock.GetUtcNow();
        var code = ReviewKinds.PaymentEventCode(kind);
        if (code is not null)
        {
            var eventKind = Enum.GetValues<PaymentEventKind>().Single(k => RecordPaymentEvent.KindCode(k) == code);
            var inbox = $"seed-inbox-{n}";
            await c.ExecuteAsync(
                """
                INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, body, state, attempts, received_at)
                VALUES (@inbox, 'stripe', @inbox, @inbox, @body, 'done', 1, @at)
                """, new { inbox, body = Encoding.UTF8.GetBytes("{}"), at = DbTime.Format(now) }, tx);
            var reference = $"ch_3QdemoEvt{n:D2}";
            if (kind.StartsWith(ReviewKinds.AppliedPaymentEventPrefix, StringComparison.Ordinal))
            {
                // A card payment by the member, already applied (credit on their account), then refunded, returned, disputed…
                var (name, email) = await c.QuerySingleAsync<(string, string?)>("SELECT full_name, email FROM members WHERE member_id = @memberId", new { memberId }, tx);
                var payment = new Payment(new PaymentId($"stripe:{reference}"), PaymentChannel.Card, Money.Usd(120m + n), now, name, email, reference, "Membership dues");
                await ReceivePayment.HandleAsync(c, tx, clock, new ChartOfAccounts(), payment, "stripe");
                await c.ExecuteAsync("INSERT INTO payment_references (reference, payment_id) VALUES (@reference, @id)", new { reference, id = payment.Id.Value }, tx);
                var applied = await ApplyPayment.HandleAsync(c, tx, clock, new ChartOfAccounts(), new PostingOptions(), new ApplyPayment.Request(payment.Id,
                    [new Allocation(payment.Id, new MemberId(memberId), null, payment.Amount)], ApplyPayment.Mode.Direct, TimeSpan.Zero, "kim", "seed: on account"));
                if (!applied.Changed) throw new InvalidOperationException($"seed payment for {kind} not applied: {applied.Detail}");
            }

            var (outcome, _) = await RecordPaymentEvent.RunAsync(c, tx, clock, new PostingBooks(new ChartOfAccounts(), new PostingOptions()), new PaymentEventRequest(eventKind, [reference], Money.Usd(120m + n), ReasonOf(eventKind), reference, inbox,
                eventKind switch
                {
                    PaymentEventKind.Refund => PaymentEvent.Refund,
                    PaymentEventKind.AchReturn => PaymentEvent.Return,
                    PaymentEventKind.Dispute => PaymentEvent.Dispute,
                    PaymentEventKind.Void => PaymentEvent.Void,
                    _ => null,
                }), recordWhenNotFound: true);
            if (outcome is not (PaymentEventOutcome.RecordedForReview or PaymentEventOutcome.OriginalNotFound or PaymentEventOutcome.RefusedByState))
                throw new InvalidOperationException($"{kind}: {outcome} opened no review item");
            return;
        }

        // Kinds opened deep inside larger workflows (member inquiries, dunning escalations): rows as those workflows write them.
        var (subject, analysis, reason, action) = kind switch
        {
            ReviewKinds.Inquiry => ($"inq-seed-{n}",
                """{"inquiry":"inq-seed","question":"Why was I charged twice for 2027?","intent":"dispute","finding":"duplicate-invoice","detail":"Two invoices for the same period.","draft_answer":"You were billed twice; we will void one invoice.","citations":["invoice:1"]}""",
                "Member disputed a charge: duplicate-invoice", "Void the duplicate invoice and tell the member."),
            ReviewKinds.Collections => ($"inv-seed-{n}#1", "Member 1, tier REG, 6.0 years a member.\nInvoices on file: 6; paid on time: 4; paid late: 2; open: 1.\nNo payment on file.\n",
                "120 days overdue with a high risk of not paying", "Call the member; offer a payment plan (duespilot collections plan) or agree a date."),
            ReviewKinds.Adjustment => ($"adj-seed-{n}", null, "Proration credit above the approval threshold", "Approve the adjustment."),
            ReviewKinds.Payment or ReviewKinds.Invoice => throw new InvalidOperationException($"the store has no {kind} item to crawl; the data behind it should come from the demo or the test host"),
            _ => throw new InvalidOperationException($"review kind '{kind}' has no seed: add one here so its page is crawled and resolved in the tests"),
        };
        await c.ExecuteAsync(
            """
            INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
            VALUES (@id, @kind, @subject, @memberId, 'open', 50, @action, @reason, @analysis, 12000, 'USD', @at, @at)
            """, new { id = Guid.CreateVersion7(now).ToString("D"), kind, subject, memberId, action, reason, analysis, at = DbTime.Format(now) }, tx);
    }
}
