using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Members;
using DuesPilot.Persistence;
using DuesPilot.Features.Collections.Risk;

namespace DuesPilot.Tooling.Collections;

/// <summary>
/// Writes a year of realistic, seeded collections history into the store (members, dues and event invoices,
/// payments applied to them, dunning e-mails) so the risk model can be trained and evaluated without real data.
/// The same seed always writes the same history.
/// </summary>
/// <remarks>
/// The hidden truth the history follows, which the model must discover and the rules fallback does not know:
/// ACH (autopay) payers pay most reliably, check payers least; students pay least reliably, fellows and retirees
/// most; tenure helps; a member's own habit (hidden, but visible through their late payments) and how much a
/// dunning e-mail moves them (visible through their earlier responses) matter; larger bills are paid later.
/// </remarks>
public static class GenerateCollectionsHistory
{
    public sealed record Request(int Members, DateOnly Start, int Seed, string MemberIdPrefix = "H");

    public sealed record Outcome(int Members, int Invoices, int Payments, int DunningMessages, DateOnly AsOf);

    private static readonly (string Tier, double Share, long AnnualCents, double Effect)[] Tiers =
    [
        ("REG", 0.55, 39_500, 0.0), ("STU", 0.15, 9_500, -1.2), ("RET", 0.10, 19_500, 0.6), ("FEL", 0.10, 51_500, 0.8), ("CORP", 0.10, 150_000, -0.4),
    ];

    private static readonly (string Channel, double Share, double Effect)[] Channels =
    [
        ("card", 0.45, 0.3), ("ach", 0.25, 1.5), ("check", 0.25, -0.9), ("wire", 0.05, 0.0),
    ];

    private static readonly int[] DunningDays = [15, 30, 45];

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, Request request, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Members);
        var random = new Random(request.Seed);
        var asOf = request.Start.AddDays(364);
        int invoices = 0, payments = 0, messages = 0;
        const int perTransaction = 250;
        for (var first = 0; first < request.Members; first += perTransaction)
        {
            var last = Math.Min(request.Members, first + perTransaction);
            await store.InTransactionAsync(async (c, tx) =>
            {
                for (var k = first; k < last; k++)
                {
                    var id = $"{request.MemberIdPrefix}{k + 1:D5}";
                    var tier = Pick(random, Tiers, t => t.Share);
                    var channel = Pick(random, Channels, x => x.Share);
                    var tenureYears = random.Next(0, 25);
                    var joined = request.Start.AddDays(-tenureYears * 365 - random.Next(0, 365));
                    var habit = Normal(random) * 0.9;
                    var responsiveness = Normal(random);
                    var member = new Member(new MemberId(id), PartyKind.Person, $"History Member {k + 1}", "Pat", $"History{k + 1}",
                        $"{id.ToLowerInvariant()}@members.example.test", tier.Tier, MemberStatus.Active, joined, null);
                    await MemberCache.UpsertAsync(c, tx, member, clock.GetUtcNow());

                    var bills = new List<(DateOnly Due, long Amount, string Product)> { (request.Start.AddDays(random.Next(0, 300)), tier.AnnualCents, "DUES") };
                    var extra = random.Next(2, 7);
                    for (var e = 0; e < extra; e++) bills.Add((request.Start.AddDays(random.Next(0, 310)), random.Next(45, 301) * 100L, "EVENT"));
                    var n = 0;
                    foreach (var (due, amount, product) in bills.OrderBy(b => b.Due))
                    {
                        n++;
                        var invoiceId = $"{id}-{n}";
                        var logit = 0.3 + tier.Effect + channel.Effect + Math.Min(tenureYears, 10) * 0.06 + habit - 0.35 * Math.Log(amount / 10_000.0 + 1);
                        DateOnly? paid;
                        if (random.NextDouble() < Sigmoid(logit + 0.6))
                        {
                            paid = due.AddDays(-random.Next(0, 21));
                        }
                        else if (random.NextDouble() < Sigmoid(1.6 * logit + 1.4))
                        {
                            var meanDelay = 22 * Math.Exp(-0.8 * (logit + 0.6 * responsiveness));
                            var delay = 1 + (int)Math.Min(200, -Math.Log(1 - random.NextDouble()) * meanDelay);
                            // Responsive members pay soon after a dunning e-mail.
                            if (responsiveness > 0.4 && random.NextDouble() < 0.6)
                            {
                                var nextDunning = DunningDays.FirstOrDefault(d => d >= delay - 7, 45);
                                delay = Math.Min(delay, nextDunning + random.Next(1, 8));
                            }

                            paid = due.AddDays(delay);
                        }
                        else
                        {
                            paid = null;
                        }

                        if (paid > asOf) paid = null;
                        var balance = paid is null ? amount : 0;
                        await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId(invoiceId), member.Id, due.AddDays(-30), due,
                            Money.FromMinor(amount, Currency.USD), Money.FromMinor(balance, Currency.USD), product, product == "DUES" ? $"{tier.Tier} dues" : "Event registration"), clock.GetUtcNow());
                        invoices++;
                        if (paid is { } p)
                        {
                            var payChannel = random.NextDouble() < 0.85 ? channel.Channel : Pick(random, Channels, x => x.Share).Channel;
                            await InsertPaymentAsync(c, tx, $"hist-{invoiceId}", payChannel, amount, p, member, invoiceId);
                            payments++;
                        }

                        foreach (var d in DunningDays)
                        {
                            var sent = due.AddDays(d);
                            if (sent > asOf || (paid is { } pd && pd <= sent)) break;
                            await c.ExecuteAsync(
                                """
                                INSERT INTO dunning_actions (action_id, invoice_id, member_id, stage, cycle, action, recipient, subject, body, risk, risk_source, outcome, created_at)
                                VALUES (@id, @invoice, @member, @stage, 0, 'email', @to, @subject, '(history)', NULL, NULL, 'sent (history)', @at)
                                """,
                                new
                                {
                                    id = $"hist-{invoiceId}-{d}",
                                    invoice = invoiceId,
                                    member = id,
                                    stage = $"day-{d}",
                                    to = member.Email,
                                    subject = "Your dues are overdue",
                                    at = DbTime.Format(new DateTimeOffset(sent.ToDateTime(new TimeOnly(15, 0)), TimeSpan.Zero)),
                                }, tx);
                            messages++;
                        }
                    }
                }
            }, ct);
        }

        return new Outcome(request.Members, invoices, payments, messages, asOf);
    }

    private static async Task InsertPaymentAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string paymentId, string channel, long amount, DateOnly date, Member member, string invoiceId)
    {
        var at = DbTime.Format(new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero));
        await c.ExecuteAsync(
            """
            INSERT INTO payments (payment_id, channel, currency, amount_minor, received_at, payer_name, payer_email, reference, memo, source, inbox_item_id, state, created_at)
            VALUES (@paymentId, @channel, 'USD', @amount, @at, @name, @email, @paymentId, @memo, 'history-generator', NULL, 'posted', @at)
            """,
            new { paymentId, channel, amount, at, name = member.FullName, email = member.Email, memo = invoiceId }, tx);
        await c.ExecuteAsync(
            """
            INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, entry_id, created_at)
            VALUES (@id, @paymentId, @member, @invoiceId, 'USD', @amount, NULL, @at)
            """,
            new { id = paymentId + ":1", paymentId, member = member.Id.Value, invoiceId, amount, at }, tx);
    }

    private static T Pick<T>(Random random, T[] items, Func<T, double> share)
    {
        var x = random.NextDouble();
        foreach (var item in items)
        {
            x -= share(item);
            if (x < 0) return item;
        }

        return items[^1];
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
