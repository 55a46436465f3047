using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Collections;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using DuesPilot.Revenue.Tests.Dunning;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Mail;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Collections;

/// <summary>
/// A payment plan from creation to default, with real money: each installment arrives as a bank-file line, goes through
/// intake, matching (guarded phase) and the hold window, and is credited to the plan when it posts. Two paid installments
/// keep the plan running (no default, no final notice); the third, missed, defaults it and the final notice goes out.
/// The association is in New York; the invoice was due 1 March 2027.
/// </summary>
public abstract class PlanInstallmentScenarioTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 1, 14, 0, 0, TimeSpan.Zero));
    private readonly ChartOfAccounts _accounts = new();
    private Store _store = null!;
    private LocalSmtpSink _sink = null!;
    private int _files;

    public async Task InitializeAsync()
    {
        _store = await TestStores.CreateAsync(engine);
        _sink = LocalSmtpSink.Start();
        await _store.InTransactionAsync(async (c, tx) =>
        {
            var now = _clock.GetUtcNow();
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("300"), PartyKind.Person, "Dana Whitfield", "Dana", "Whitfield", "dana.whitfield@example.org", "REG", MemberStatus.Active, new DateOnly(2018, 5, 1), new DateOnly(2026, 12, 31)), now);
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("301"), PartyKind.Person, "Robert J. Smith", "Robert", "Smith", "rsmith@example.com", "RET", MemberStatus.Active, new DateOnly(2004, 6, 1), new DateOnly(2026, 12, 31)), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("INV-300"), new MemberId("300"), new DateOnly(2027, 1, 30), new DateOnly(2027, 3, 1), Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 Regular dues"), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("INV-301"), new MemberId("301"), new DateOnly(2027, 1, 30), new DateOnly(2027, 3, 1), Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 Retired dues"), now);
        });
    }

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        await _store.DisposeAsync();
    }

    /// <summary>Sets the clock to a New York wall-clock time.</summary>
    private void At(int month, int day, int hour = 10)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        _clock.SetUtcNow(new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2027, month, day, hour, 0, 0, DateTimeKind.Unspecified), zone), TimeSpan.Zero));
    }

    /// <summary>One ACH credit in a BAI2 file, imported, processed and matched; returns the payment's state.</summary>
    private async Task<(string State, string Reason)> BankCreditAsync(long cents, string text)
    {
        var n = ++_files;
        var file = Encoding.ASCII.GetBytes(string.Join('\n',
            $"01,BANKID,ASSOC,27{_clock.GetUtcNow():MMdd},0800,{n},,,2/",
            $"02,ASSOC,BANKID,1,27{_clock.GetUtcNow():MMdd},2400,USD,2/",
            "03,1234567890,USD,010,0,,/",
            $"16,142,{cents},Z,TR{n:D6},,{text}/",
            $"49,{cents},3/",
            $"98,{cents},1,5/",
            $"99,{cents},1,7/") + "\n");
        Assert.Equal(1, (await ImportBankFile.RunAsync(_store, _clock, new ImportRequest($"day{n}.bai2", file))).Queued);
        await new ProcessInbox(_store, _clock, new InboxWorkerOptions(), new PostingBooks(_accounts, new PostingOptions()), null, "test").RunOnceAsync();
        await MatchReceivedPayments.HandleAsync(_store, _clock, _accounts, new PostingOptions(), new RolloutPhases(_store, _clock, new RolloutOptions { DefaultPhase = RolloutPhase.Guarded }),
            new MatchOptions(UseEmbeddings: false), embedder: null);
        return await _store.InTransactionAsync(async (c, tx) =>
        {
            var id = await c.ExecuteScalarAsync<string>("SELECT payment_id FROM payments ORDER BY created_at DESC, payment_id DESC LIMIT 1", transaction: tx);
            return (await c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = @id", new { id }, tx) ?? "",
                await c.ExecuteScalarAsync<string>("SELECT reason FROM match_decisions WHERE payment_id = @id", new { id }, tx) ?? "");
        });
    }

    private RunDunning.Context Dunning() => new(DunningPolicy.Parse(DunningPolicy.DefaultJson), new FixedRiskScorer(new Dictionary<string, double>()),
        [new SmtpEmailSender(_sink.Options())], new TemplateTextAsIs());

    private async Task<RunDunning.Action> DunningFor(string invoice) =>
        Assert.Single((await RunDunning.HandleAsync(_store, _clock, Dunning())).Actions, a => a.InvoiceId == invoice);

    private List<MimeKit.MimeMessage> ToDana() => _sink.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == "dana.whitfield@example.org")).ToList();

    private Task<long[]> PaidAsync(string planId) => _store.InTransactionAsync(async (c, tx) =>
        (await c.QueryAsync<long>("SELECT paid_minor FROM payment_plan_installments WHERE plan_id = @planId ORDER BY number", new { planId }, tx)).ToArray());

    private Task<string> PlanStateAsync(string planId) => _store.InTransactionAsync(async (c, tx) =>
        await c.ExecuteScalarAsync<string>("SELECT state FROM payment_plans WHERE plan_id = @planId", new { planId }, tx) ?? "");

    [Fact]
    public async Task TwoInstallmentsPaidByRealPayments_AreCredited_NoDefaultNoFinalNotice_ThenTheThirdMissed_Defaults()
    {
        At(3, 2);
        var reminder = await DunningFor("INV-300");
        Assert.Equal((RunDunning.ActionKind.Sent, "reminder"), (reminder.Kind, reminder.Stage));

        // 395.00 in three monthly installments from 10 March, odd cents first: 131.68, 131.66, 131.66; 5 grace days.
        At(3, 5);
        var plan = await CreatePaymentPlan.HandleAsync(_store, _clock, new CreatePaymentPlan.Request("plan-dana-2027", new MemberId("300"), [], new DateOnly(2027, 3, 10),
            new PaymentPlanPolicy(2, 6, Money.Usd(25m), InstallmentCadence.Monthly, RemainderPlacement.First, 0, 5), 3));
        Assert.Equal(CreatePaymentPlan.Result.Created, plan.Result);
        var planId = plan.PlanId!;

        // Installment 1: the amount of the next installment, from the member by name. Matched to the plan and held.
        At(3, 9);
        var first = await BankCreditAsync(13168, "From: Dana Whitfield, dues");
        Assert.True(first.State == "held", first.Reason);
        Assert.Contains("equals installment 1 (due 2027-03-10) of payment plan", first.Reason, StringComparison.Ordinal);
        Assert.Equal(new long[] { 0L, 0L, 0L }, await PaidAsync(planId)); // credited when it posts, not before
        At(3, 11);
        Assert.Equal(1, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, new PostingOptions())).Posted);
        Assert.Equal(new long[] { 13168L, 0L, 0L }, await PaidAsync(planId));

        At(3, 16); // installment 1 due 10 March + 5 grace days: paid, so no default
        Assert.Empty(await DetectMissedInstallments.HandleAsync(_store, _clock));
        Assert.Equal(RunDunning.ActionKind.SkippedInPlan, (await DunningFor("INV-300")).Kind);

        // Installment 2: the memo names the plan (by its key); the payer's name is abbreviated.
        At(4, 9);
        var second = await BankCreditAsync(13166, "From: D. Whitfield, plan-dana-2027");
        Assert.True(second.State == "held", second.Reason);
        Assert.Contains("memo names payment plan", second.Reason, StringComparison.Ordinal);
        At(4, 16); // due 10 April + 5: the money is in its hold window still, which counts as paid
        Assert.Empty(await DetectMissedInstallments.HandleAsync(_store, _clock));
        At(4, 17);
        Assert.Equal(1, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, new PostingOptions())).Posted);
        Assert.Equal(new long[] { 13168L, 13166L, 0L }, await PaidAsync(planId));
        Assert.Empty(await DetectMissedInstallments.HandleAsync(_store, _clock));
        Assert.Equal(RunDunning.ActionKind.SkippedInPlan, (await DunningFor("INV-300")).Kind);
        Assert.Equal("Active", await PlanStateAsync(planId));
        Assert.DoesNotContain(ToDana(), m => m.Subject != null && m.Subject.StartsWith("Final notice", StringComparison.Ordinal));
        Assert.Equal(Money.Usd(131.66m), await _store.InTransactionAsync((c, tx) => MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("INV-300"))));

        // Installment 3 (due 10 May) never comes: on 16 May the plan defaults and the invoice re-enters dunning at its final notice.
        At(5, 16);
        var defaulted = Assert.Single(await DetectMissedInstallments.HandleAsync(_store, _clock));
        Assert.Equal((planId, 3), (defaulted.PlanId, defaulted.Installment));
        var final = await DunningFor("INV-300");
        Assert.Equal((RunDunning.ActionKind.Sent, "final-notice"), (final.Kind, final.Stage));
        var toDana = ToDana();
        Assert.Equal(2, toDana.Count);
        Assert.StartsWith("Final notice", toDana[1].Subject, StringComparison.Ordinal);
        Assert.Equal(2L, await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payment_plan_credits", transaction: tx)));
    }

    [Fact]
    public async Task AnAmountThatIsNotTheNextInstallment_FromAMemberInAPlan_GoesToReviewAndCreditsNothing()
    {
        At(3, 5);
        var plan = await CreatePaymentPlan.HandleAsync(_store, _clock, new CreatePaymentPlan.Request("plan-dana-2027", new MemberId("300"), [], new DateOnly(2027, 3, 10),
            new PaymentPlanPolicy(2, 6, Money.Usd(25m), InstallmentCadence.Monthly, RemainderPlacement.First, 0, 5), 3));
        At(3, 9);
        var odd = await BankCreditAsync(5000, "From: Dana Whitfield, dues");
        Assert.Equal("in_review", odd.State);
        Assert.Equal(new long[] { 0L, 0L, 0L }, await PaidAsync(plan.PlanId!));
    }
}

public sealed class PlanInstallmentScenarioSqliteTests() : PlanInstallmentScenarioTests(StoreEngine.Sqlite);

public sealed class PlanInstallmentScenarioPostgresTests() : PlanInstallmentScenarioTests(StoreEngine.Postgres);
