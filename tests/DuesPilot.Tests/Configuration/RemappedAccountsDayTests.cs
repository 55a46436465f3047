using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Jobs;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using DuesPilot.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Configuration;

/// <summary>
/// The service started with every account remapped (<c>Accounts:*</c>): a day of receipts, automatic
/// holds, staff decisions, a return and the hold release books only to the mapped accounts (and
/// GL_AI_Hold, which is not configurable). Also: two instances starting on one fresh database create the
/// first administrator once.
/// </summary>
public class RemappedAccountsDayTests
{
    private static readonly Dictionary<string, string?> Mapped = new()
    {
        ["Accounts:Cash"] = "1000-BANK-MAIN",
        ["Accounts:UnappliedCash"] = "2001-SUSPENSE",
        ["Accounts:DuesReceivable"] = "1100-AR-DUES",
        ["Accounts:MemberCredit"] = "2002-CREDIT",
        ["Accounts:DeferredDues"] = "2003-DEFERRED",
        ["Accounts:DuesRevenue"] = "4000-DUES",
        ["Accounts:RefundsPayable"] = "2004-REFUNDS",
        ["Accounts:WriteOffs"] = "6000-WO",
    };

    [Fact]
    public async Task ServiceWithRemappedChart_ADayOfWork_UsesOnlyMappedAccounts()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 14, 0, 0, TimeSpan.Zero));
        var settings = new Dictionary<string, string?>(Mapped)
        {
            ["Rollout:DefaultPhase"] = "Guarded",
            ["Matching:UseEmbeddings"] = "false",
            ["Intake:Worker:Enabled"] = "false",
            ["Staff:InitialAdminPassword"] = "correct-horse-battery",
        };
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", settings, clock));
        var services = app.Services;
        var store = services.GetRequiredService<Store>();
        var books = services.GetRequiredService<PostingBooks>();
        Assert.Equal("1000-BANK-MAIN", books.Accounts.Cash.Value);

        await store.InTransactionAsync(async (c, tx) =>
        {
            for (var n = 1; n <= 4; n++)
            {
                await MemberCache.UpsertAsync(c, tx, new Member(new MemberId($"{1000 + n}"), PartyKind.Person, $"Pat Example{n}", "Pat", $"Example{n}", $"pat{n}@example.org", "REG", MemberStatus.Active, null, null), clock.GetUtcNow());
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"INV-{n}"), new MemberId($"{1000 + n}"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31),
                    Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 dues"), clock.GetUtcNow());
            }
        });

        // Receipts from a lockbox file: two that match exactly, one nobody can place, one to be returned.
        var csv = "Deposit Date,Check Number,Amount,Payer Name,Memo\n"
            + "2027-03-15,501,395.00,PAT EXAMPLE1,INV-1\n"
            + "2027-03-15,502,395.00,PAT EXAMPLE2,INV-2\n"
            + "2027-03-15,503,12.34,UNKNOWN PAYER,\n"
            + "2027-03-15,504,395.00,PAT EXAMPLE3,INV-3\n";
        await ImportBankFile.RunAsync(store, clock, new ImportRequest("lockbox-20270315.csv", Encoding.UTF8.GetBytes(csv)));
        var worker = new ProcessInbox(store, clock, new InboxWorkerOptions(), books, null, "test");
        while ((await worker.RunOnceAsync(CancellationToken.None)).Leased > 0)
        {
        }

        async Task RunJobAsync(string name)
        {
            var job = services.GetServices<ScheduledJob>().Single(j => j.Name == name);
            await job.Handler(services, CancellationToken.None);
        }

        await RunJobAsync("match-payments");

        // Staff: override one hold, put the unknown payment on an account, and the bank returns another.
        var held = await store.InTransactionAsync((c, tx) => c.QueryAsync<string>("SELECT payment_id FROM payments WHERE state = 'held' ORDER BY payment_id", transaction: tx));
        Assert.NotEmpty(held);
        await store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, clock, books.Options, new PaymentId(held.First()), "pat", "wrong member"));
        var admin = new StaffActor("admin", new HashSet<string> { StaffRoles.Administrator });
        var open = await ReviewQueue.ListAsync(store, new ReviewQueueFilter());
        foreach (var item in open.Where(i => i.Kind == ReviewKinds.Payment))
        {
            await ResolveReviewItem.HandleAsync(store, clock, services.GetRequiredService<ChartOfAccounts>(), services.GetRequiredService<PostingOptions>(),
                new ResolveReviewItem.Request(item.ItemId, ReviewAction.PutOnAccount, admin, MemberId: "1004"));
        }

        // The bank returns one payment still waiting and one already applied.
        var toReturn = await store.InTransactionAsync((c, tx) => c.QueryAsync<(string Id, string Reference, string Inbox)>(
            "SELECT p.payment_id, r.reference, p.inbox_item_id FROM payments p JOIN payment_references r ON r.payment_id = p.payment_id ORDER BY p.payment_id", transaction: tx));
        foreach (var (id, reference, inbox) in toReturn.Take(2))
        {
            await store.InTransactionAsync((c, tx) => RecordPaymentEvent.RunAsync(c, tx, clock, books,
                new PaymentEventRequest(PaymentEventKind.AchReturn, [reference], null, "R01", $"ret-{id}", inbox, PaymentEvent.Return)));
        }

        clock.Advance(TimeSpan.FromDays(2));
        await RunJobAsync("hold-release");

        var used = (await store.InTransactionAsync((c, tx) => c.QueryAsync<string>("SELECT DISTINCT account FROM journal_lines ORDER BY account", transaction: tx))).ToList();
        var allowed = Mapped.Values.Append(AccountCode.Hold.Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("1000-BANK-MAIN", used);
        Assert.Contains("2001-SUSPENSE", used);
        Assert.Contains("1100-AR-DUES", used);
        Assert.DoesNotContain(used, a => !allowed.Contains(a));
        Assert.True((await new Journal(store).AuditAsync()).IsClean);
    }

    [Fact]
    public async Task TwoInstancesOnAFreshDatabase_FirstAdministratorCreatedOnce()
    {
        var options = await TestStores.CreateOptionsAsync(StoreEngine.Postgres);
        var settings = new Dictionary<string, string?> { ["Matching:UseEmbeddings"] = "false" };
        var apps = await Task.WhenAll(
            Task.Run(() => ServerHost.BuildAsync(new ServerHostOptions(options, "http://127.0.0.1:0", settings))),
            Task.Run(() => ServerHost.BuildAsync(new ServerHostOptions(options, "http://127.0.0.1:0", settings))));
        try
        {
            var passwords = apps.Select(a => a.Configuration[ServerHost.InitialAdminPasswordKey]).Where(p => p is not null).ToList();
            var password = Assert.Single(passwords);
            var accounts = apps[0].Services.GetRequiredService<StaffAccounts>();
            Assert.NotNull(await accounts.VerifyAsync("admin", password!));
            Assert.Equal(1L, await accounts.CountAsync());
        }
        finally
        {
            foreach (var a in apps) await a.DisposeAsync();
        }
    }
}
