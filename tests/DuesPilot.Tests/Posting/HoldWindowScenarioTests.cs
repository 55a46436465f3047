using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Posting;

/// <summary>
/// Worksheet scenarios for the hold window, on both engines: pay, advance the clock, expect held,
/// expect posted; override inside the window; reopen the store between every step.
/// </summary>
public abstract class HoldWindowScenarioTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private readonly ChartOfAccounts _accounts = new();
    private readonly PostingOptions _options = new() { HoldWindowHours = 24 };
    private StoreOptions _storeOptions = null!;
    private Store _store = null!;

    public async Task InitializeAsync()
    {
        _storeOptions = await TestStores.CreateOptionsAsync(engine);
        _store = await Store.OpenAsync(_storeOptions);
        await _store.InTransactionAsync(async (c, tx) =>
        {
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", "jane@example.org", "REG", MemberStatus.Active, null, null), _clock.GetUtcNow());
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281873"), new MemberId("10231"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 dues"), _clock.GetUtcNow());
        });
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    /// <summary>Simulates a process restart: a new store object over the same database.</summary>
    private async Task RestartAsync()
    {
        await _store.DisposeAsync();
        _store = await Store.OpenAsync(_storeOptions);
    }

    private static Payment JanePays(decimal amount) =>
        new(new PaymentId("ch_1"), PaymentChannel.Card, Money.Usd(amount), new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero), "Jane Doe", "jane@example.org", "ch_1", "dues");

    private Task<ApplyPayment.Outcome> PayAndHoldAsync(Payment payment) => _store.InTransactionAsync(async (c, tx) =>
    {
        await ReceivePayment.HandleAsync(c, tx, _clock, _accounts, payment, "test");
        return await ApplyPayment.HandleAsync(c, tx, _clock, _accounts, _options, new ApplyPayment.Request(payment.Id,
            [new Allocation(payment.Id, new MemberId("10231"), new InvoiceId("281873"), payment.Amount)], ApplyPayment.Mode.Hold, _options.HoldWindowFor("card", "REG"), "duespilot", "e-mail exact; amount equals open balance"));
    });

    private Task<Money> BalanceAsync(AccountCode account) => new Journal(_store).BalanceAsync(account, Currency.USD);

    private Task<string> PaymentStateAsync() => _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'ch_1'", transaction: tx))!;

    private Task<Money> InvoiceBalanceAsync() => _store.InTransactionAsync((c, tx) => MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281873")));

    [Fact]
    public async Task Pay_WindowPasses_Posted()
    {
        var held = await PayAndHoldAsync(JanePays(395m));
        Assert.Equal(ApplyPayment.Result.Held, held.Result);
        Assert.Equal(_clock.GetUtcNow().AddHours(24), held.ReleaseAt);
        await RestartAsync();

        // Expect held: the money sits in GL_AI_Hold and the invoice already shows it.
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(AccountCode.Hold));
        Assert.Equal(Money.Usd(0m), await InvoiceBalanceAsync());
        Assert.Equal("held", await PaymentStateAsync());

        // One hour before the window ends nothing posts.
        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, _options)).Posted);
        await RestartAsync();

        // The window passes: posted to dues receivable, hold back to zero.
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, _options)).Posted);
        await RestartAsync();
        Assert.Equal(0, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, _options)).Posted);
        Assert.Equal(Money.Usd(0m), await BalanceAsync(AccountCode.Hold));
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(_accounts.DuesReceivable));
        Assert.Equal(Money.Usd(395m), await BalanceAsync(_accounts.Cash));
        Assert.Equal("posted", await PaymentStateAsync());
        var outbox = await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE kind = 'apply-payment'", transaction: tx));
        Assert.Equal(1, outbox);
        Assert.True((await new Journal(_store).AuditAsync()).IsClean);
    }

    [Fact]
    public async Task Override_InsideWindow_VoidedAndInReview()
    {
        await PayAndHoldAsync(JanePays(395m));
        _clock.Advance(TimeSpan.FromHours(3));
        await RestartAsync();

        var overridden = await _store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, _clock, _options, new PaymentId("ch_1"), "kim", "member says this was her husband's payment"));
        Assert.Equal(OverrideHold.Result.Voided, overridden.Result);
        await RestartAsync();

        Assert.Equal(Money.Usd(0m), await BalanceAsync(AccountCode.Hold));
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(_accounts.UnappliedCash));
        Assert.Equal(Money.Usd(395m), await InvoiceBalanceAsync());
        Assert.Equal("in_review", await PaymentStateAsync());
        // The member's own statement (billing assistant) no longer shows the voided application.
        var statement = await _store.InTransactionAsync((c, tx) => DuesPilot.Features.Inquiries.MemberStatement.LoadAsync(c, tx, new MemberId("10231"), includeHousehold: true));
        Assert.Empty(Assert.Single(statement!.Payments).Allocations);
        var queue = await ReviewQueue.ListAsync(_store, new ReviewQueueFilter());
        var item = Assert.Single(queue);
        Assert.Equal("ch_1", item.SubjectId);
        Assert.Contains("overridden by kim", item.Reason);

        // After the window nothing is posted: the hold is resolved already.
        _clock.Advance(TimeSpan.FromHours(30));
        Assert.Equal(0, (await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, _options)).Posted);
        var again = await _store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, _clock, _options, new PaymentId("ch_1"), "kim", "twice"));
        Assert.Equal(OverrideHold.Result.NoOpenHold, again.Result);
        Assert.True((await new AuditTrail(_store, _clock).VerifyAsync()).IsIntact);
    }

    [Fact]
    public async Task Override_AfterWindowPosted_IsRefused()
    {
        await PayAndHoldAsync(JanePays(395m));
        _clock.Advance(TimeSpan.FromHours(25));
        await ReleaseExpiredHolds.HandleAsync(_store, _clock, _accounts, _options);
        var late = await _store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, _clock, _options, new PaymentId("ch_1"), "kim", "too late"));
        Assert.Equal(OverrideHold.Result.AlreadyPosted, late.Result);
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(_accounts.DuesReceivable));
    }

    [Fact]
    public async Task Pay_SamePaymentTwice_AppliesOnce()
    {
        await PayAndHoldAsync(JanePays(395m));
        await RestartAsync();
        var second = await PayAndHoldAsync(JanePays(395m));
        Assert.Equal(ApplyPayment.Result.AlreadyApplied, second.Result);
        Assert.Equal(Money.Usd(395m), await BalanceAsync(_accounts.Cash));
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(AccountCode.Hold));
    }

    [Fact]
    public async Task Apply_MoreThanInvoiceBalance_IsRefusedAndNothingMoves()
    {
        var outcome = await PayAndHoldAsync(JanePays(400m));
        Assert.Equal(ApplyPayment.Result.ExceedsInvoiceBalance, outcome.Result);
        Assert.Equal(Money.Usd(0m), await BalanceAsync(AccountCode.Hold));
        Assert.Equal(Money.Usd(395m), await InvoiceBalanceAsync());
    }

    [Fact]
    public async Task ReviewPick_AfterOverride_AppliesDirectlyThroughTheSameCode()
    {
        await PayAndHoldAsync(JanePays(395m));
        var overridden = await _store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, _clock, _options, new PaymentId("ch_1"), "kim", "check"));
        var auditor = new StaffActor("ann", new HashSet<string> { StaffRoles.Auditor });
        var refused = await ResolveReviewItem.HandleAsync(_store, _clock, _accounts, _options, new ResolveReviewItem.Request(overridden.ReviewItemId!, ReviewAction.PickCandidate, auditor, MemberId: "10231"));
        Assert.Equal(ResolveReviewItem.Result.NotAllowed, refused.Result);

        var reviewer = new StaffActor("kim", new HashSet<string> { StaffRoles.Reviewer });
        var done = await ResolveReviewItem.HandleAsync(_store, _clock, _accounts, _options, new ResolveReviewItem.Request(overridden.ReviewItemId!, ReviewAction.PickCandidate, reviewer, MemberId: "10231"));
        Assert.Equal(ResolveReviewItem.Result.Done, done.Result);
        Assert.Equal(Money.Usd(0m), await InvoiceBalanceAsync());
        Assert.Equal(Money.Usd(-395m), await BalanceAsync(_accounts.DuesReceivable));
        Assert.Equal(Money.Usd(0m), await BalanceAsync(_accounts.UnappliedCash));
        Assert.Equal("applied", await PaymentStateAsync());
        Assert.Equal("resolved", (await ReviewQueue.FindAsync(_store, overridden.ReviewItemId!))!.State);
    }
}

public sealed class SqliteHoldWindowScenarioTests() : HoldWindowScenarioTests(StoreEngine.Sqlite);

public sealed class PostgresHoldWindowScenarioTests() : HoldWindowScenarioTests(StoreEngine.Postgres);
