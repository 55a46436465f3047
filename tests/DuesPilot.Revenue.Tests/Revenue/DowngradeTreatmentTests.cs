using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>
/// A downgrade's difference goes where the billing policy's <c>refunds.downgrade</c> says: paid back (refunds payable),
/// kept as member credit, or — with <c>none</c> — a downgrade that gives money back is refused.
/// </summary>
public sealed class DowngradeTreatmentTests : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 9, 1, 14, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(StoreEngine.Sqlite);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<RecordDuesEvent.Outcome> Record(string key, DuesEventKind kind, DateOnly date, string tier, decimal amount, DowngradeTreatment treatment) =>
        RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request(key, "31:2027", new MemberId("31"), new(2027, 1, 1), new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(kind, date, tier, Money.Usd(amount)), Downgrade: treatment));

    private async Task<string> Balance(AccountCode account) => (await new Journal(_store).BalanceAsync(account, Currency.USD)).ToPlainString();

    [Theory]
    [InlineData(DowngradeTreatment.Refund, "40.00", "0.00")]
    [InlineData(DowngradeTreatment.Credit, "0.00", "40.00")]
    public async Task Downgrade_GoesWhereThePolicySays(DowngradeTreatment treatment, string refundsPayable, string memberCredit)
    {
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("join", DuesEventKind.Join, new(2027, 1, 1), "FEL", 515m, treatment)).Result);
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("down", DuesEventKind.Downgrade, new(2027, 9, 1), "REG", 40m, treatment)).Result);

        // Liabilities carry credit balances: the journal reports them negative or positive by its own sign rule, so compare magnitudes.
        Assert.Equal(refundsPayable, (await Balance(Accounts.RefundsPayable)).TrimStart('-'));
        Assert.Equal(memberCredit, (await Balance(Accounts.MemberCredit)).TrimStart('-'));
    }

    [Fact]
    public async Task Downgrade_GivingMoneyBackWhenThePolicyGivesNothing_IsRefusedWithTheReason()
    {
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("join", DuesEventKind.Join, new(2027, 1, 1), "FEL", 515m, DowngradeTreatment.None)).Result);
        var refused = await Record("down", DuesEventKind.Downgrade, new(2027, 9, 1), "REG", 40m, DowngradeTreatment.None);

        Assert.Equal(RecordDuesEvent.Result.AgainstPolicy, refused.Result);
        Assert.Contains("refunds.downgrade: none", refused.Detail, StringComparison.Ordinal);
        Assert.Equal("0.00", await Balance(Accounts.MemberCredit));
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("down0", DuesEventKind.Downgrade, new(2027, 9, 1), "REG", 0m, DowngradeTreatment.None)).Result);
    }
}
