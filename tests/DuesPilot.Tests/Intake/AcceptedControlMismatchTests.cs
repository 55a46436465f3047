using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Intake;

/// <summary>
/// <c>import FILE --accept-control-mismatch</c>: a BAI2 file whose totals do not reconcile is refused, or
/// imported knowingly — audited with who and what — and then every payment of it goes to review, even
/// one the engine would apply on its own under the guarded phase.
/// </summary>
public class AcceptedControlMismatchTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private readonly ChartOfAccounts _accounts = new();

    /// <summary>One ACH credit for Jane Doe's open 2027 invoice; <paramref name="statedAccountTotal"/> is what the 49 trailer claims.</summary>
    private static byte[] File(long statedAccountTotal) => Encoding.ASCII.GetBytes(string.Join('\n',
        "01,BANKID,ASSOC,270315,0800,1,,,2/",
        "02,ASSOC,BANKID,1,270314,2400,USD,2/",
        "03,1234567890,USD,010,0,,/",
        "16,142,39500,Z,TR281873,,From: Jane Doe, 2027 dues INV 281873/",
        $"49,{statedAccountTotal},3/",
        $"98,{statedAccountTotal},1,5/",
        $"99,{statedAccountTotal},1,7/") + "\n");

    private async Task<Store> SeedAsync()
    {
        var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        await store.InTransactionAsync(async (c, tx) =>
        {
            var now = _clock.GetUtcNow();
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", "jane.doe@example.org", "REG", MemberStatus.Active, new DateOnly(2019, 3, 15), new DateOnly(2026, 12, 31)), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281873"), new MemberId("10231"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 Regular dues"), now);
        });
        return store;
    }

    private async Task<string> ProcessAndMatchAsync(Store store)
    {
        await new ProcessInbox(store, _clock, new InboxWorkerOptions(), new PostingBooks(_accounts, new PostingOptions()), null, "test").RunOnceAsync();
        await MatchReceivedPayments.HandleAsync(store, _clock, _accounts, new PostingOptions(), new RolloutPhases(store, _clock, new RolloutOptions { DefaultPhase = RolloutPhase.Guarded }),
            new MatchOptions(UseEmbeddings: false), embedder: null);
        return await store.InTransactionAsync(async (c, tx) => await c.ExecuteScalarAsync<string>("SELECT state FROM payments", transaction: tx) ?? "");
    }

    [Fact]
    public async Task ReconcilingFile_TheSamePaymentIsAppliedAutomatically()
    {
        await using var store = await SeedAsync();
        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("day.bai2", File(39500)));
        Assert.Equal("held", await ProcessAndMatchAsync(store));
    }

    [Fact]
    public async Task MismatchedFile_WithoutAcceptance_IsRefusedAndNothingIsQueued()
    {
        await using var store = await SeedAsync();
        var ex = await Assert.ThrowsAsync<BankFileException>(() => ImportBankFile.RunAsync(store, _clock, new ImportRequest("day.bai2", File(50000))));
        Assert.Contains("control total states 50000 but the records add up to 39500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox", transaction: tx)));
    }

    [Fact]
    public async Task MismatchedFile_Accepted_IsAuditedWithWhoAndWhat_AndItsPaymentGoesToReview()
    {
        await using var store = await SeedAsync();
        var result = await ImportBankFile.RunAsync(store, _clock, new ImportRequest("day.bai2", File(50000), AcceptControlMismatchBy: "alice"));
        Assert.Equal(1, result.Queued);
        Assert.Equal(3, result.Mismatches.Count);

        var audit = Assert.Single(await new AuditTrail(store, _clock).ListAsync(), r => r.Event.Action == "import.control-mismatch-accepted");
        Assert.Equal("alice", audit.Event.Actor);
        Assert.Contains("account 1234567890 control total states 50000 but the records add up to 39500", audit.Event.After, StringComparison.Ordinal);
        Assert.Equal("alice", await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT mismatch_accepted_by FROM file_imports", transaction: tx)));

        Assert.Equal("in_review", await ProcessAndMatchAsync(store));
        var item = Assert.Single(await ReviewQueue.ListAsync(store, new ReviewQueueFilter()));
        Assert.Contains("control totals do not reconcile", item.Reason, StringComparison.Ordinal);
        Assert.Equal(Money.Usd(0m), await new DuesPilot.Features.Ledger.Journal(store).BalanceAsync(AccountCode.Hold, Currency.USD));

        // The same file again queues nothing and audits nothing twice.
        var again = await ImportBankFile.RunAsync(store, _clock, new ImportRequest("day.bai2", File(50000), AcceptControlMismatchBy: "bob"));
        Assert.Equal(0, again.Queued);
        Assert.Single(await new AuditTrail(store, _clock).ListAsync(), r => r.Event.Action == "import.control-mismatch-accepted");
    }
}
