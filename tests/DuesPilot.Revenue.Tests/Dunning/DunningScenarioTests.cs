using System.Net;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using DuesPilot.Features.Collections;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Collections.Risk;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using DuesPilot.Revenue.Tests.Collections;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Mail;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Dunning;

/// <summary>A risk scorer that says what the test tells it, per member.</summary>
internal sealed class FixedRiskScorer(Dictionary<string, double> byMember) : IRiskScorer
{
    public string Version => "fixed/test";

    public RiskScore Score(RiskFeatures features)
    {
        var p = byMember.GetValueOrDefault(features.MemberId, 0.6);
        return new RiskScore(p, RiskScore.SegmentOf(p), Version);
    }
}

/// <summary>Records SMS provider requests instead of sending them anywhere.</summary>
internal sealed class RecordingSmsProvider : HttpMessageHandler
{
    public List<string> Bodies { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Bodies.Add(await request.Content!.ReadAsStringAsync(cancellationToken));
        return new HttpResponseMessage(HttpStatusCode.Accepted);
    }
}

/// <summary>
/// Dunning as a worksheet: advance the clock, run the job, read the mail that reached the local SMTP sink.
/// The association is in New York (quiet 20:00–08:00); the invoice is due 1 March 2027.
/// </summary>
public abstract class DunningScenarioTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 1, 14, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, double> _risk = new(StringComparer.Ordinal);
    private readonly RecordingSmsProvider _sms = new();
    private Store _store = null!;
    private LocalSmtpSink _sink = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.CreateAsync(engine);
        _sink = LocalSmtpSink.Start();
        _http = new HttpClient(_sms);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sink.DisposeAsync();
        await _store.DisposeAsync();
    }

    private RunDunning.Context Context() => new(DunningPolicy.Parse(DunningPolicy.DefaultJson), new FixedRiskScorer(_risk),
        [new SmtpEmailSender(_sink.Options()), new HttpSmsSender(_http, new SmsProviderOptions(new Uri("http://127.0.0.1:9/sms")))], new TemplateTextAsIs());

    /// <summary>Sets the clock to a New York wall-clock time (EST until 14 March, EDT after).</summary>
    private void At(int month, int day, int hour)
    {
        var local = new DateTime(2027, month, day, hour, 0, 0, DateTimeKind.Unspecified);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        _clock.SetUtcNow(new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero));
    }

    private async Task<RunDunning.Action> RunFor(string invoice) =>
        Assert.Single((await RunDunning.HandleAsync(_store, _clock, Context())).Actions, a => a.InvoiceId == invoice);

    private async Task MemberWithInvoice(string member, string invoice, string amount, string tier = "REG")
    {
        await CollectionsData.AddMemberAsync(_store, _clock, member, tier);
        await CollectionsData.AddInvoiceAsync(_store, _clock, invoice, member, new DateOnly(2027, 3, 1), amount);
    }

    [Fact]
    public async Task Ladder_ReminderSecondNoticeSmsThenPayment_RightMessageAtEachStageAndNoneAfterPaying()
    {
        await MemberWithInvoice("100", "INV-100", "395.00");
        await RecordCollectionsStops.SetSmsContactAsync(_store, _clock, new MemberId("100"), "+15555550100", consent: true, "staff");

        At(3, 2, 10); // 1 day overdue → reminder
        var first = await RunFor("INV-100");
        Assert.Equal((RunDunning.ActionKind.Sent, "reminder"), (first.Kind, first.Stage));
        var mail = Assert.Single(_sink.Messages);
        Assert.Equal("m100@example.test", mail.To.Mailboxes.Single().Address);
        Assert.Equal("A reminder about your Example Professional Association dues", mail.Subject);
        Assert.Contains("Dear Pat,", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("$395.00 still open on invoice INV-100, due March 1, 2027", mail.TextBody, StringComparison.Ordinal);

        Assert.Equal(RunDunning.ActionKind.SkippedAlreadySent, (await RunFor("INV-100")).Kind); // same day again: nothing new
        At(3, 10, 10); // 9 days: still the reminder stage
        Assert.Equal(RunDunning.ActionKind.SkippedAlreadySent, (await RunFor("INV-100")).Kind);

        At(3, 16, 10); // 15 days → second notice
        var second = await RunFor("INV-100");
        Assert.Equal((RunDunning.ActionKind.Sent, "second-notice"), (second.Kind, second.Stage));
        Assert.Equal("Your Example Professional Association dues are 15 days overdue", _sink.Messages[1].Subject);

        At(3, 21, 21); // 20 days, 21:00 in New York → SMS stage, but quiet hours
        var quiet = await RunFor("INV-100");
        Assert.Equal((RunDunning.ActionKind.SkippedQuietHours, "sms-nudge"), (quiet.Kind, quiet.Stage));
        Assert.Empty(_sms.Bodies);
        At(3, 22, 9); // next morning
        Assert.Equal(RunDunning.ActionKind.Sent, (await RunFor("INV-100")).Kind);
        Assert.Contains("5555550100", Assert.Single(_sms.Bodies), StringComparison.Ordinal);

        // The member pays in full; at 30 days there is no final notice.
        await HoldPayment.HandleAsync(_store, _clock, new ChartOfAccounts(), new PostingOptions(), new HoldPayment.Request(
            new Payment(new PaymentId("ch_100"), PaymentChannel.Card, Money.Usd(395m), _clock.GetUtcNow(), "Pat Member100", null, null, "INV-100"),
            [new Allocation(new PaymentId("ch_100"), new MemberId("100"), new InvoiceId("INV-100"), Money.Usd(395m))], TimeSpan.FromHours(24), "test", "paid"));
        At(3, 31, 10);
        Assert.DoesNotContain((await RunDunning.HandleAsync(_store, _clock, Context())).Actions, a => a.InvoiceId == "INV-100");
        Assert.Equal(2, _sink.Messages.Count);
    }

    [Fact]
    public async Task Dispute_WhileOpen_StopsDunning_AndResumesWhenResolved()
    {
        await MemberWithInvoice("200", "INV-200", "395.00");
        await RecordCollectionsStops.OpenDisputeAsync(_store, _clock, new InvoiceId("INV-200"), new MemberId("200"), "says she paid by check", "staff");

        At(3, 2, 10);
        Assert.Equal(RunDunning.ActionKind.SkippedDisputed, (await RunFor("INV-200")).Kind);
        Assert.Empty(_sink.Messages);

        await RecordCollectionsStops.ResolveDisputeAsync(_store, _clock, new InvoiceId("INV-200"), "check not received", "staff");
        Assert.Equal(RunDunning.ActionKind.Sent, (await RunFor("INV-200")).Kind);
        Assert.Single(_sink.Messages);
    }

    [Fact]
    public async Task PaymentPlan_WhileActive_StopsDunning_AndAMissedInstallmentReentersIt()
    {
        await MemberWithInvoice("300", "INV-300", "395.00");
        At(3, 2, 10);
        Assert.Equal("reminder", (await RunFor("INV-300")).Stage);

        var plan = await CreatePaymentPlan.HandleAsync(_store, _clock, new CreatePaymentPlan.Request("plan-300", new MemberId("300"), [], new DateOnly(2027, 3, 10),
            new PaymentPlanPolicy(2, 6, Money.Usd(25m), InstallmentCadence.Monthly, RemainderPlacement.First, 0, 5), 2));
        Assert.Equal(CreatePaymentPlan.Result.Created, plan.Result);
        At(3, 16, 10);
        Assert.Equal(RunDunning.ActionKind.SkippedInPlan, (await RunFor("INV-300")).Kind);

        // Installment 1 (due 10 March, 5 grace days) was never paid: the plan defaults and dunning starts a new cycle.
        Assert.Single(await DetectMissedInstallments.HandleAsync(_store, _clock));
        var again = await RunFor("INV-300");
        Assert.Equal((RunDunning.ActionKind.Sent, "second-notice"), (again.Kind, again.Stage));
        var cycles = await _store.InTransactionAsync((c, tx) => c.QueryAsync<long>("SELECT CAST(cycle AS BIGINT) FROM dunning_actions WHERE invoice_id = 'INV-300' ORDER BY created_at", transaction: tx));
        Assert.Equal([0L, 1L], cycles);
    }

    [Fact]
    public async Task HighValueAndHighRisk_GoToStaffWithAHistorySummary_NotToAutomatedMail()
    {
        await MemberWithInvoice("400", "INV-400", "1500.00", "CORP");
        await MemberWithInvoice("500", "INV-500", "395.00");
        _risk["500"] = 0.05;

        At(3, 2, 10);
        var day1 = (await RunDunning.HandleAsync(_store, _clock, Context())).Actions;
        Assert.Equal(RunDunning.ActionKind.Escalated, day1.Single(a => a.InvoiceId == "INV-400").Kind);
        Assert.Equal(RunDunning.ActionKind.Sent, day1.Single(a => a.InvoiceId == "INV-500").Kind); // high risk, but only 1 day overdue: a reminder first
        At(3, 16, 10);
        var day15 = (await RunDunning.HandleAsync(_store, _clock, Context())).Actions;
        Assert.Equal(RunDunning.ActionKind.SkippedEscalatedEarlier, day15.Single(a => a.InvoiceId == "INV-400").Kind);
        Assert.Equal(RunDunning.ActionKind.Escalated, day15.Single(a => a.InvoiceId == "INV-500").Kind);
        Assert.Equal(RunDunning.ActionKind.SkippedEscalatedEarlier, (await RunFor("INV-500")).Kind);

        var items = (await _store.InTransactionAsync((c, tx) => c.QueryAsync<(string Subject, string Reason, string Analysis, long Amount)>(
            "SELECT subject_id, reason, analysis, amount_minor FROM review_items WHERE kind = 'collections' ORDER BY subject_id", transaction: tx))).ToList();
        Assert.Equal(["INV-400#0", "INV-500#0"], items.Select(i => i.Subject));
        Assert.Contains("open balance $1,500.00 at or above $1,000.00", items[0].Reason, StringComparison.Ordinal);
        Assert.Contains("This invoice: INV-400, $1,500.00 open, due 2027-03-01, 1 day overdue.", items[0].Analysis, StringComparison.Ordinal);
        Assert.Contains("Risk: 5% chance of payment within 30 days (High), scored by fixed/test.", items[1].Analysis, StringComparison.Ordinal);
        Assert.DoesNotContain(_sink.Messages, m => m.To.Mailboxes.Any(a => a.Address == "m400@example.test"));
    }

    [Fact]
    public async Task DryRun_ShowsWhatWouldBeSentAndEscalated_AndSendsAndRecordsNothing()
    {
        await MemberWithInvoice("800", "INV-800", "395.00");
        await MemberWithInvoice("900", "INV-900", "1500.00", "CORP");
        At(3, 16, 10);

        var preview = await RunDunning.HandleAsync(_store, _clock, Context(), dryRun: true);

        Assert.True(preview.DryRun);
        var send = Assert.Single(preview.Actions, a => a.InvoiceId == "INV-800");
        Assert.Equal((RunDunning.ActionKind.Sent, "second-notice"), (send.Kind, send.Stage));
        Assert.StartsWith("would send second-notice by email to m800@example.test", send.Detail, StringComparison.Ordinal);
        Assert.StartsWith("would escalate: open balance $1,500.00", Assert.Single(preview.Actions, a => a.InvoiceId == "INV-900").Detail, StringComparison.Ordinal);
        Assert.Empty(_sink.Messages);
        Assert.Equal(0L, await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dunning_actions", transaction: tx)));
        Assert.Equal(0L, await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM review_items", transaction: tx)));

        // The real run on the same day does what the preview said.
        var real = await RunDunning.HandleAsync(_store, _clock, Context());
        Assert.Equal(preview.Actions.Select(a => (a.InvoiceId, a.Kind, a.Stage)), real.Actions.Select(a => (a.InvoiceId, a.Kind, a.Stage)));
        Assert.Single(_sink.Messages);
    }

    [Fact]
    public async Task OptedOutOfEmail_NoEmailIsSent()
    {
        await MemberWithInvoice("600", "INV-600", "395.00");
        await RecordCollectionsStops.OptOutAsync(_store, _clock, new MemberId("600"), "email", "member");

        At(3, 2, 10);

        Assert.Equal(RunDunning.ActionKind.SkippedOptedOut, (await RunFor("INV-600")).Kind);
        Assert.Empty(_sink.Messages);
    }

    [Fact]
    public async Task Cadence_TwoInvoicesOfOneMember_OneMessagePerRun()
    {
        await MemberWithInvoice("700", "INV-701", "395.00");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-702", "700", new DateOnly(2027, 3, 1), "45.00");

        At(3, 2, 10);
        var actions = (await RunDunning.HandleAsync(_store, _clock, Context())).Actions;

        Assert.Equal([RunDunning.ActionKind.Sent, RunDunning.ActionKind.SkippedCadence], actions.Select(a => a.Kind));
    }
}

public sealed class DunningScenarioSqliteTests() : DunningScenarioTests(StoreEngine.Sqlite);

public sealed class DunningScenarioPostgresTests() : DunningScenarioTests(StoreEngine.Postgres);
