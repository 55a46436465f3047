using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>
/// docs/revenue.md's worked example, computed by the product: the amounts come from the proration engine under the
/// shipped policy (with a Fellow tier at $515 added), they are recorded and every month is closed, and the page must
/// state what came out. The shipped policy's cut-off (no refund from the tenth month) makes the October cancellation's
/// refund 0.00.
/// </summary>
public sealed class WorkedExampleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 6, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(StoreEngine.Sqlite);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static BillingPolicy Policy()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "DuesPilot.sln"))) root = root.Parent;
        var yaml = File.ReadAllText(Path.Combine(root!.FullName, "examples", "billing-policy.yaml")).Replace("  - code: STU\n",
            "  - code: FEL\n    name: Fellow\n    product: DUES-FEL\n    prices:\n      - { effective_from: 2024-01-01, annual_rate: \"515.00\" }\n  - code: STU\n", StringComparison.Ordinal);
        return LoadBillingPolicy.FromYaml(yaml);
    }

    private static string Docs()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "DuesPilot.sln"))) root = root.Parent;
        return File.ReadAllText(Path.Combine(root!.FullName, "docs", "revenue.md")).ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevenueDocsWorkedExample_IsWhatTheProductComputes()
    {
        var policy = Policy();
        var accounts = new ProrationAccounts(Accounts.DuesReceivable, Accounts.DeferredDues, Accounts.DuesRevenue, Accounts.RefundsPayable, Accounts.MemberCredit);
        var join = Prorate.Compute(policy, new ProrationRequest(ProrationEvent.Join, "REG", new(2027, 3, 15)), accounts, _clock).Charge;
        var upgrade = Prorate.Compute(policy, new ProrationRequest(ProrationEvent.Upgrade, "REG", new(2027, 7, 10), ToTier: "FEL"), accounts, _clock).Charge;
        var paid = join + upgrade;
        var refund = Prorate.Compute(policy, new ProrationRequest(ProrationEvent.Cancel, "FEL", new(2027, 10, 20), Paid: paid), accounts, _clock).Refund;

        async Task Record(string key, DuesEventKind kind, DateOnly date, string tier, Money amount) =>
            Assert.Equal(RecordDuesEvent.Result.Recorded, (await RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request(key, "23179:2027", new MemberId("23179"),
                new(2027, 3, 15), new(2027, 12, 31), RecognitionMethod.StraightLineMonths, new DuesEvent(kind, date, tier, amount), Downgrade: policy.Refunds.Downgrade))).Result);
        var recognised = new Dictionary<int, Money>();
        async Task CloseThrough(int lastMonth)
        {
            for (var m = recognised.Count + 3; m <= lastMonth; m++)
            {
                _clock.SetUtcNow(new DateTimeOffset(m == 12 ? 2028 : 2027, m == 12 ? 1 : m + 1, 1, 6, 0, 0, TimeSpan.Zero));
                recognised[m] = (await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, m)))).Recognised;
            }
        }

        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", join);
        await CloseThrough(6);
        _clock.SetUtcNow(new DateTimeOffset(2027, 7, 10, 6, 0, 0, TimeSpan.Zero));
        await Record("ord-2", DuesEventKind.Upgrade, new(2027, 7, 10), "FEL", upgrade);
        await CloseThrough(9);
        _clock.SetUtcNow(new DateTimeOffset(2027, 10, 20, 6, 0, 0, TimeSpan.Zero));
        await Record("ord-3", DuesEventKind.Cancel, new(2027, 10, 20), "FEL", refund);
        await CloseThrough(12);

        var total = Money.Sum(recognised.Values, Currency.USD);
        var replanned = join + upgrade - recognised[3] - recognised[4] - recognised[5] - recognised[6];
        string P(Money m) => m.ToPlainString();
        var facts = new[]
        {
            $"REG $395 → ${P(join)} billed",
            $"Mar–Jun {P(recognised[3])} each",
            $"upgrade to FEL on 10 July (+${P(upgrade)}), re-plan {P(replanned)} over 6 months → Jul–Sep {P(recognised[7])}",
            $"cancel on 20 October with ${P(refund)} refunded",
            $"October recognises the {P(recognised[10])} left; Nov and Dec 0",
            $"Billed {P(join + upgrade)} = recognised {P(total)} + refunded {P(refund)}",
        };
        foreach (var f in facts) output.WriteLine(f);
        Assert.Equal("0.00", P(refund)); // the shipped policy's cut-off: no refund for a cancellation from 1 October on
        Assert.Equal(join + upgrade, total + refund);
        var docs = Docs();
        Assert.All(facts, f => Assert.Contains(f, docs, StringComparison.Ordinal));
    }
}
