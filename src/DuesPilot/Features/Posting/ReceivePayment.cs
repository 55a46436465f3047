using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Records a payment once and books its receipt (Dr cash, Cr unapplied cash). Every later step —
/// hold, post, review, refund — moves money out of unapplied cash, so received = applied + on account
/// + in review + refunded holds by construction.
/// </summary>
public static class ReceivePayment
{
    public enum Outcome
    {
        /// <summary>First time: the payment row and its receipt entry were written.</summary>
        Received,
        /// <summary>The same payment was received before: nothing changed.</summary>
        AlreadyReceived,
        /// <summary>A payment with this id exists with another amount or currency: refused, raise an alert.</summary>
        ConflictingPayment,
    }

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, Payment payment, string source, string? inboxItemId = null)
    {
        var now = clock.GetUtcNow();
        var existing = await c.QuerySingleOrDefaultAsync<(string Currency, long Amount)?>(
            "SELECT currency, amount_minor FROM payments WHERE payment_id = @id", new { id = payment.Id.Value }, tx);
        if (existing is { } row)
            return row.Currency == payment.Amount.Currency.Code && row.Amount == payment.Amount.MinorUnits ? Outcome.AlreadyReceived : Outcome.ConflictingPayment;

        await c.ExecuteAsync(
            """
            INSERT INTO payments (payment_id, channel, currency, amount_minor, received_at, payer_name, payer_email, reference, memo, source, inbox_item_id, state, created_at)
            VALUES (@id, @channel, @currency, @amount, @received, @name, @email, @reference, @memo, @source, @inbox, 'received', @now)
            """,
            new
            {
                id = payment.Id.Value,
                channel = Payment.ChannelCode(payment.Channel),
                currency = payment.Amount.Currency.Code,
                amount = payment.Amount.MinorUnits,
                received = DbTime.Format(payment.ReceivedAt),
                name = payment.PayerName,
                email = payment.PayerEmail,
                reference = payment.Reference,
                memo = payment.Memo,
                source,
                inbox = inboxItemId,
                now = DbTime.Format(now),
            }, tx);
        await BookReceiptAsync(c, tx, clock, accounts, payment.Id, payment.Amount, source);
        Hosting.DuesPilotMetrics.PaymentsReceived.Add(1, new KeyValuePair<string, object?>("channel", Payment.ChannelCode(payment.Channel)));
        return Outcome.Received;
    }

    /// <summary>Books the receipt entry of a payment recorded elsewhere (intake); idempotent by its key.</summary>
    public static async Task BookReceiptAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PaymentId id, Money amount, string source)
    {
        var receipt = JournalEntry.Standard(EntryId.New(clock), ReceiptKey(id), clock.GetUtcNow(), $"Payment {id} received ({source})",
            [LedgerLine.Debit(accounts.Cash, amount), LedgerLine.Credit(accounts.UnappliedCash, amount)]).OnBusinessDay(clock);
        var result = await Journal.RecordAsync(c, tx, receipt);
        if (!result.IsRecorded()) throw new LedgerRuleException($"Receipt for {id}: {result.Describe()}");
    }

    public static string ReceiptKey(PaymentId id) => $"payment:{id}:receipt";

    /// <summary>Reads a stored payment back.</summary>
    public static async Task<Payment?> FindAsync(DbConnection c, DbTransaction? tx, PaymentId id)
    {
        var r = await c.QuerySingleOrDefaultAsync<PaymentRow>("SELECT * FROM payments WHERE payment_id = @id", new { id = id.Value }, tx);
        return r?.ToPayment();
    }

#pragma warning disable IDE1006, CA1812
    internal sealed class PaymentRow
    {
        public string payment_id { get; set; } = "";
        public string channel { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
        public string received_at { get; set; } = "";
        public string? payer_name { get; set; }
        public string? payer_email { get; set; }
        public string? reference { get; set; }
        public string? memo { get; set; }
        public string source { get; set; } = "";
        public string state { get; set; } = "";

        public Payment ToPayment() => new(new PaymentId(payment_id), Payment.ParseChannel(channel), Money.FromMinor(amount_minor, Currency.Parse(currency)),
            DbTime.ParseInstant(received_at), payer_name, payer_email, reference, memo);
    }
#pragma warning restore IDE1006, CA1812
}
