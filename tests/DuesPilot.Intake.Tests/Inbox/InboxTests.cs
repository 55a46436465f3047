using System.Net;
using System.Text;
using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Intake.Tests.Parsing;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Intake.Tests.Inbox;

/// <summary>Inbox queueing, processing, reversals and dead letters, run on SQLite and on a real PostgreSQL.</summary>
public abstract class InboxTests(StoreEngine engine)
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    private Task<Store> NewStoreAsync() => TestStores.CreateAsync(engine);

    private ProcessInbox Worker(Store store, int maxAttempts = 5, FetchAuthorizeNetTransaction? fetch = null, string owner = "test") =>
        new(store, _clock, new InboxWorkerOptions { MaxAttempts = maxAttempts, RetryDelaySeconds = 30, BatchSize = 25 }, fetch, owner);

    /// <summary>A Stripe fixture as delivered, with its (shared placeholder) event id made unique per test event.</summary>
    private static byte[] StripeFixture(string name, string eventId) =>
        Encoding.UTF8.GetBytes(Fixture.Text($"stripe/{name}").Replace("evt_000000000000000000000000", eventId, StringComparison.Ordinal));

    private Task<QueueResult> QueueStripeAsync(Store store, byte[] body, string eventId) =>
        QueueInboxItem.RunAsync(store, _clock, new InboxItem(InboxSources.Stripe, $"stripe:{eventId}", Server.Intake.IntakeEndpoints.StripePayloadHash(body), body));

    private static async Task<T> ScalarAsync<T>(Store store, string sql, object? args = null)
    {
        await using var c = await store.OpenConnectionAsync();
        return (await c.ExecuteScalarAsync<T>(sql, args))!;
    }

    [Fact]
    public async Task Queue_SameKeySamePayload_DuplicateAndNothingNew()
    {
        await using var store = await NewStoreAsync();
        var body = Encoding.UTF8.GetBytes("{\"id\":\"a\"}");
        var item = new InboxItem("test", "k1", QueueInboxItem.Hash(body), body);
        var first = await QueueInboxItem.RunAsync(store, _clock, item);
        var second = await QueueInboxItem.RunAsync(store, _clock, item);
        Assert.Equal(QueueOutcome.Queued, first.Outcome);
        Assert.Equal(QueueOutcome.Duplicate, second.Outcome);
        Assert.Equal(first.ItemId, second.ItemId);
        Assert.Equal(1L, await ListInbox.CountAsync(store));
    }

    [Fact]
    public async Task Queue_SameKeyDifferentPayload_ConflictRecordedAsAlert()
    {
        await using var store = await NewStoreAsync();
        var a = Encoding.UTF8.GetBytes("{\"amount\":100}");
        var b = Encoding.UTF8.GetBytes("{\"amount\":999}");
        await QueueInboxItem.RunAsync(store, _clock, new InboxItem("test", "k1", QueueInboxItem.Hash(a), a));
        var result = await QueueInboxItem.RunAsync(store, _clock, new InboxItem("test", "k1", QueueInboxItem.Hash(b), b));
        Assert.Equal(QueueOutcome.Conflict, result.Outcome);
        Assert.Equal(1L, await ListInbox.CountAsync(store));
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM inbox_alerts WHERE idempotency_key = 'k1' AND kind = 'duplicate-key-different-payload'"));
        var kept = await ShowInboxItem.RunAsync(store, "k1");
        Assert.Equal(a, kept!.Body);
    }

    [Fact]
    public async Task Writer_ConcurrentDeliveries_GroupCommittedEachWithItsOwnOutcome()
    {
        await using var store = await NewStoreAsync();
        await using var writer = new InboxWriter(store, _clock);
        InboxItem Item(int i, string payload) => new("test", $"k{i}", QueueInboxItem.Hash(Encoding.UTF8.GetBytes(payload)), Encoding.UTF8.GetBytes(payload));
        var tasks = Enumerable.Range(0, 200).Select(i => writer.QueueAsync(Item(i % 100, i < 150 ? $"p{i % 100}" : $"other{i}"))).ToList();
        // A broken item (NOT NULL violated) fails alone; its batch neighbours are still written.
        var broken = writer.QueueAsync(new InboxItem(null!, "broken", "h", [1]));
        var results = await Task.WhenAll(tasks);
        await Assert.ThrowsAnyAsync<Exception>(() => broken);
        Assert.Equal(100, results.Count(r => r.Outcome == QueueOutcome.Queued));
        Assert.Equal(50, results.Count(r => r.Outcome == QueueOutcome.Duplicate));
        Assert.Equal(50, results.Count(r => r.Outcome == QueueOutcome.Conflict));
        Assert.Equal(100L, await ListInbox.CountAsync(store));
    }

    [Fact]
    public async Task Stripe_IntentAndChargeForOnePayment_BookedOnce()
    {
        await using var store = await NewStoreAsync();
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.succeeded.json", "evt_charge"), "evt_charge");
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__payment_intent.succeeded.json", "evt_pi"), "evt_pi");
        var result = await Worker(store).DrainAsync();
        Assert.Equal(2, result.Processed);
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payments"));
        await using var c = await store.OpenConnectionAsync();
        var p = await c.QuerySingleAsync<(string Id, long Amount, string Currency, string Channel, string? Memo, string State)>(
            "SELECT payment_id, amount_minor, currency, channel, memo, state FROM payments");
        Assert.Equal("stripe:pi_000000000000000000000000", p.Id);
        Assert.Equal(2000, p.Amount);
        Assert.Equal("USD", p.Currency);
        Assert.Equal("card", p.Channel);
        Assert.Equal("(created by Stripe CLI)", p.Memo);
        Assert.Equal("received", p.State);
        Assert.Equal(2L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM inbox WHERE state = 'processed' AND amount_minor = 2000"));
    }

    [Fact]
    public async Task Stripe_BasilChargeObject_PayerNameAndEmail()
    {
        await using var store = await NewStoreAsync();
        var data = Fixture.Text("stripe/pay__charge.object.json");
        var body = Encoding.UTF8.GetBytes($$"""{"id":"evt_basil","object":"event","type":"charge.succeeded","created":1760000000,"api_version":"2025-03-31.basil","data":{{data}}}""");
        // The intent arrives first and names nobody; the charge then fills in the payer, not the amount.
        var intent = Encoding.UTF8.GetBytes("""{"id":"evt_basil_pi","object":"event","type":"payment_intent.succeeded","created":1760000000,"data":{"object":{"id":"pi_1234","object":"payment_intent","amount":24900,"amount_received":24900,"currency":"usd","latest_charge":"ch_1234"}}}""");
        await QueueStripeAsync(store, intent, "evt_basil_pi");
        await Worker(store).DrainAsync();
        await QueueStripeAsync(store, body, "evt_basil");
        await Worker(store).DrainAsync();
        await using var c = await store.OpenConnectionAsync();
        var p = await c.QuerySingleAsync<(string Id, long Amount, string Name, string Email)>("SELECT payment_id, amount_minor, payer_name, payer_email FROM payments");
        Assert.Equal(("stripe:pi_1234", 24900L, "Example Customer", "customer@example.org"), p);
    }

    [Fact]
    public async Task Stripe_RefundOfAppliedPayment_StateAuditAndReviewItem()
    {
        await using var store = await NewStoreAsync();
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__payment_intent.succeeded.json", "evt_pi"), "evt_pi");
        await Worker(store).DrainAsync();
        await using (var c = await store.OpenConnectionAsync())
        {
            await c.ExecuteAsync("INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, created_at) VALUES ('a1', 'stripe:pi_000000000000000000000000', 'M-1', 'INV-1', 'USD', 2000, '2026-01-05T12:00:00.0000000Z')");
        }

        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.refunded.json", "evt_refund"), "evt_refund");
        Assert.Equal(1, (await Worker(store).DrainAsync()).Processed);
        Assert.Equal("refunded", await ScalarAsync<string>(store, "SELECT state FROM payments"));
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.dispute.created.json", "evt_dispute"), "evt_dispute");
        Assert.Equal(1, (await Worker(store).DrainAsync()).Processed);
        // A chargeback of refunded money moves nothing: the payment stays refunded, the dispute is kept as an event.
        Assert.Equal("refunded", await ScalarAsync<string>(store, "SELECT state FROM payments"));
        Assert.Equal(2L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payment_events WHERE payment_id = 'stripe:pi_000000000000000000000000' AND kind IN ('refund', 'dispute')"));
        Assert.Equal(100L, await ScalarAsync<long>(store, "SELECT amount_minor FROM payment_events WHERE kind = 'refund'"));
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM review_items WHERE kind = 'payment-refund' AND subject_id = 'stripe:pi_000000000000000000000000'"));
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM audit_events WHERE action = 'payment.refund'"));
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payments"));
    }

    [Fact]
    public async Task Stripe_RefundBeforePayment_RetriedLaterThenRecorded()
    {
        await using var store = await NewStoreAsync();
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.refunded.json", "evt_refund"), "evt_refund");
        var first = await Worker(store).DrainAsync();
        Assert.Equal(1, first.Failed);
        var item = (await ListInbox.RunAsync(store)).Single();
        Assert.Equal(InboxStates.Pending, item.State);
        Assert.Equal(1, item.Attempts);
        Assert.Contains("not been received yet", item.LastError, StringComparison.Ordinal);

        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__payment_intent.succeeded.json", "evt_pi"), "evt_pi");
        var processed = 0;
        for (var round = 0; round < 3 && processed < 2; round++)
        {
            // Within one batch the two may be taken in either order; the refund then simply waits one more round.
            _clock.Advance(TimeSpan.FromMinutes(5));
            processed += (await Worker(store).DrainAsync()).Processed;
        }

        Assert.Equal(2, processed);
        Assert.Equal("refunded", await ScalarAsync<string>(store, "SELECT state FROM payments"));
        Assert.Equal(0L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM review_items"));
    }

    [Fact]
    public async Task Stripe_FailuresAndInvoicePaid_FlagsWithoutMoney()
    {
        await using var store = await NewStoreAsync();
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__payment_intent.payment_failed.json", "evt_failed"), "evt_failed");
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__invoice.paid.json", "evt_invoice"), "evt_invoice");
        var r = await Worker(store).DrainAsync();
        Assert.Equal(2, r.Processed);
        Assert.Equal(0L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payments"));
        Assert.Equal("card_declined generic_decline: Your card was declined.", await ScalarAsync<string>(store, "SELECT reason FROM payment_events WHERE kind = 'failure'"));
        var outcomes = (await ListInbox.RunAsync(store)).Select(i => i.Outcome).ToList();
        Assert.Contains(outcomes, o => o!.Contains("invoice EE1DF78D-0001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_FailsMaxAttempts_DeadLetteredThenRetriedAfterFix()
    {
        await using var store = await NewStoreAsync();
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.dispute.created.json", "evt_dispute"), "evt_dispute");
        for (var i = 0; i < 3; i++)
        {
            await Worker(store, maxAttempts: 3).DrainAsync();
            _clock.Advance(TimeSpan.FromHours(1));
        }

        var dead = (await ListInbox.RunAsync(store, InboxStates.Dead)).Single();
        Assert.Equal(3, dead.Attempts);
        Assert.Contains("dispute", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM audit_events WHERE action = 'inbox.dead-lettered'"));
        Assert.Equal(0, (await Worker(store).DrainAsync()).Leased);

        // The fix: the original payment arrives. Then staff retry the dead item.
        await QueueStripeAsync(store, StripeFixture("stripe-ruby-mock__charge.succeeded.json", "evt_charge"), "evt_charge");
        await Worker(store).DrainAsync();
        Assert.Equal(RetryOutcome.Requeued, await RetryInboxItem.RunAsync(store, _clock, "stripe:evt_dispute", "staff"));
        Assert.Equal(RetryOutcome.AlreadyPending, await RetryInboxItem.RunAsync(store, _clock, "stripe:evt_dispute", "staff"));
        await Worker(store).DrainAsync();
        Assert.Equal("disputed", await ScalarAsync<string>(store, "SELECT state FROM payments"));
        Assert.Equal(RetryOutcome.AlreadyProcessed, await RetryInboxItem.RunAsync(store, _clock, "stripe:evt_dispute", "staff"));
        Assert.Equal(RetryOutcome.NotFound, await RetryInboxItem.RunAsync(store, _clock, "nope", "staff"));
    }

    [Fact]
    public async Task Worker_UnparseableBody_DeadLetteredAtOnce()
    {
        await using var store = await NewStoreAsync();
        var body = Encoding.UTF8.GetBytes("{not json");
        await QueueInboxItem.RunAsync(store, _clock, new InboxItem(InboxSources.Stripe, "stripe:evt_bad", QueueInboxItem.Hash(body), body));
        var r = await Worker(store).DrainAsync();
        Assert.Equal(1, r.DeadLettered);
    }

    [Fact]
    public async Task AuthorizeNet_DetailsFetched_PayerInvoiceAndDescription()
    {
        await using var store = await NewStoreAsync();
        var body = Fixture.Bytes("authorizenet/authnetjson__webhook.authcapture.created.body.json");
        await QueueInboxItem.RunAsync(store, _clock, new InboxItem(InboxSources.AuthorizeNet, "authorizenet:182cbbff-cab2-4080-931d-80e5d818f23a", QueueInboxItem.Hash(body), body));
        var failing = new StubHandler(HttpStatusCode.ServiceUnavailable, "");
        var options = new AuthorizeNetIntakeOptions { ApiLoginId = "login", TransactionKey = "key", ApiUrl = "http://127.0.0.1:9/xml/v1/request.api" };
        using (var http = new HttpClient(failing))
        {
            var r = await Worker(store, fetch: new FetchAuthorizeNetTransaction(http, options)).DrainAsync();
            Assert.Equal(1, r.Failed);
        }

        _clock.Advance(TimeSpan.FromMinutes(5));
        var ok = new StubHandler(HttpStatusCode.OK, "\uFEFF" + Fixture.Text("authorizenet/authnetjson__getTransactionDetails.response.json"));
        using (var http = new HttpClient(ok))
        {
            var r = await Worker(store, fetch: new FetchAuthorizeNetTransaction(http, options)).DrainAsync();
            Assert.Equal(1, r.Processed);
        }

        Assert.Contains("\"transId\":\"40005915599\"", ok.LastRequest, StringComparison.Ordinal);
        await using var c = await store.OpenConnectionAsync();
        var p = await c.QuerySingleAsync<(string Id, long Amount, string? Name, string? Memo)>("SELECT payment_id, amount_minor, payer_name, memo FROM payments");
        Assert.Equal("anet:40005915599", p.Id);
        Assert.Equal(101_888, p.Amount);
        Assert.Equal("Auto-charge for Invoice #60 | Invoice 60", p.Memo);
        Assert.NotNull(p.Name);
    }

    [Fact]
    public async Task Import_SameFileTwice_QueuesNothingNew()
    {
        await using var store = await NewStoreAsync();
        var request = new ImportRequest("ccd-debit.ach", Fixture.Bytes("nacha/moov-ach__ccd-debit.ach"));
        var first = await ImportBankFile.RunAsync(store, _clock, request);
        var second = await ImportBankFile.RunAsync(store, _clock, request with { FileName = "renamed.ach" });
        Assert.Equal(2, first.Queued);
        Assert.Equal(0, second.Queued);
        Assert.Equal(2, second.AlreadyQueued);
        Assert.True(second.FileSeenBefore);
        Assert.Equal(2L, await ListInbox.CountAsync(store));
        var items = await ListInbox.RunAsync(store);
        Assert.Contains(items, i => i.AmountMinor == 500_000 && i.Source == "nacha" && i.IdempotencyKey.EndsWith(":L3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Import_MalformedFile_NothingQueued()
    {
        await using var store = await NewStoreAsync();
        var text = Fixture.Text("nacha/moov-ach__20110805A.ach");
        var truncated = Encoding.ASCII.GetBytes(string.Join('\n', text.Split('\n').Take(60)));
        await Assert.ThrowsAsync<BankFileException>(() => ImportBankFile.RunAsync(store, _clock, new ImportRequest("t.ach", truncated)));
        Assert.Equal(0L, await ListInbox.CountAsync(store));
        Assert.Equal(0L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM file_imports"));
    }

    [Fact]
    public async Task AchReturn_FindsOriginalByTrace_ReturnedWithReviewWhenApplied()
    {
        await using var store = await NewStoreAsync();
        var debits = NachaBuilder.Build("WEB", [("27", 12_354, "M-1001         ", "PAUL JONES            "), ("27", 9_900, "M-1002         ", "ANN LEE               "), ("27", 4_565, "M-1003         ", "BOB MARLEY            ")], odfi: "09140060");
        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("dues.ach", debits));
        await Worker(store).DrainAsync();
        Assert.Equal(3L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payments WHERE channel = 'ach' AND state = 'received'"));
        var paul = await ScalarAsync<string>(store, "SELECT payment_id FROM payments WHERE payer_name = 'PAUL JONES'");
        await using (var c = await store.OpenConnectionAsync())
        {
            await c.ExecuteAsync("INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, created_at) VALUES ('a1', @paul, 'M-1001', 'INV-1', 'USD', 12354, '2026-01-05T12:00:00.0000000Z')", new { paul });
        }

        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("return.ach", Fixture.Bytes("nacha/moov-ach__return-WEB.ach")));
        var r = await Worker(store).DrainAsync();
        Assert.Equal(2, r.Processed);
        Assert.Equal("returned", await ScalarAsync<string>(store, "SELECT state FROM payments WHERE payer_name = 'PAUL JONES'"));
        Assert.Equal("returned", await ScalarAsync<string>(store, "SELECT state FROM payments WHERE payer_name = 'BOB MARLEY'"));
        Assert.Equal("received", await ScalarAsync<string>(store, "SELECT state FROM payments WHERE payer_name = 'ANN LEE'"));
        Assert.Equal("R01", await ScalarAsync<string>(store, "SELECT reason FROM payment_events WHERE payment_id = @paul", new { paul }));
        Assert.Equal(1L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM review_items WHERE kind = 'payment-ach-return'"));
    }

    [Fact]
    public async Task AchReturn_UnknownOriginal_ReviewItemNotLost()
    {
        await using var store = await NewStoreAsync();
        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("return.ach", Fixture.Bytes("nacha/moov-ach__return-WEB.ach")));
        var r = await Worker(store).DrainAsync();
        Assert.Equal(2, r.Processed);
        Assert.Equal(2L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM review_items WHERE kind = 'unmatched-ach-return'"));
        Assert.Equal(2L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payment_events WHERE payment_id IS NULL"));
    }

    [Fact]
    public async Task Workers_TwoRacingOverOneQueue_EachItemOnce()
    {
        await using var store = await NewStoreAsync();
        var entries = Enumerable.Range(1, 120).Select(i => ("27", 1000L + i, $"M-{i}".PadRight(15), $"MEMBER {i}".PadRight(22))).ToList();
        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("many.ach", NachaBuilder.Build("PPD", entries)));
        var a = Worker(store, owner: "a");
        var b = Worker(store, owner: "b");
        var results = await Task.WhenAll(Task.Run(() => a.DrainAsync()), Task.Run(() => b.DrainAsync()));
        Assert.Equal(120, results.Sum(r => r.Processed));
        Assert.Equal(120L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM payments"));
        Assert.Equal(120L, await ScalarAsync<long>(store, "SELECT COUNT(*) FROM inbox WHERE state = 'processed'"));
    }

    private sealed class StubHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public string LastRequest { get; private set; } = "";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequest = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }
}

public sealed class SqliteInboxTests() : InboxTests(StoreEngine.Sqlite);

public sealed class PostgresInboxTests() : InboxTests(StoreEngine.Postgres);
