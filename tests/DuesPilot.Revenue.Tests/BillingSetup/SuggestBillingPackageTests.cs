using DuesPilot.Domain;
using DuesPilot.Features.BillingSetup;
using DuesPilot.Features.Members;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.BillingSetup;

public abstract class SuggestBillingPackageTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 6, 1, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.CreateAsync(engine);
        // Three engineers at Acme (ORG1): two in NY billed quarterly with the print journal, one in NJ billed annually.
        await Member("P1", "REG", "p1@acme-eng.com", chapter: "NY", org: "ORG1", quarterly: true, journal: true);
        await Member("P2", "REG", "p2@acme-eng.com", chapter: "NY", org: "ORG1", quarterly: true, journal: true);
        await Member("P3", "REG", "p3@acme-eng.com", chapter: "NJ", org: "ORG1", quarterly: false, journal: false);
        // A family account in Boston.
        await Member("P4", "REG", "p4@gmail.com", chapter: "BOS", household: "H1", quarterly: false, journal: false);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task Member(string id, string tier, string email, string chapter, string? org = null, string? household = null, bool quarterly = false, bool journal = false) =>
        _store.InTransactionAsync(async (c, tx) =>
        {
            var now = _clock.GetUtcNow();
            var memberId = new MemberId(id);
            await MemberCache.UpsertAsync(c, tx, new Member(memberId, PartyKind.Person, id, "Pat", id, email, tier, MemberStatus.Active, new DateOnly(2020, 1, 1), null,
                household, org is null ? null : new MemberId(org), chapter), now);
            var count = quarterly ? 4 : 1;
            for (var q = 0; q < count; q++)
            {
                var due = new DateOnly(2026, 7, 1).AddMonths(q * 3);
                var dues = new InvoiceLine("DUES-" + tier, "Dues", Money.Usd(quarterly ? 98.75m : 395m));
                List<InvoiceLine> lines = q == 0 && journal ? [dues, new InvoiceLine("JOURNAL-PRINT", "Printed journal", Money.Usd(40m))] : [dues];
                var total = Money.Sum(lines.Select(l => l.Amount), Currency.USD);
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, new Invoice(new InvoiceId($"{id}-{q}"), memberId, due.AddDays(-30), due, total, Money.Zero(Currency.USD), "DUES-" + tier, "Dues", lines), now);
            }
        });

    private Task<BillingPackageSuggestion> Suggest(NewMemberProfile profile) => SuggestBillingPackage.HandleAsync(_store, _clock, profile);

    [Fact]
    public async Task Colleague_OfAcmeEngineers_GetsTheirChapterJournalAndQuarterlyBilling()
    {
        var s = await Suggest(new NewMemberProfile(new MemberId("N1"), PartyKind.Person, OrganizationId: new MemberId("ORG1"), EmailDomain: "acme-eng.com"));

        Assert.Equal(("REG", "NY", BillingCycle.Quarterly, 4), (s.Tier, s.Chapter, s.Cycle, s.SimilarMembers));
        Assert.Equal("2 of 3 colleagues (same employer or e-mail domain) belong to it", s.ChapterReason);
        var addOn = Assert.Single(s.AddOns);
        Assert.Equal(("JOURNAL-PRINT", "held by 2 of 4 similar members"), (addOn.ProductCode, addOn.Reason));
        Assert.StartsWith("2 of 4 similar members are billed quarterly", s.CycleReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StudentInAFamilyAccount_GetsStudentTierAndTheFamilyChapter()
    {
        var s = await Suggest(new NewMemberProfile(new MemberId("N2"), PartyKind.Person, DeclaredTier: "REG", IsStudent: true, HouseholdId: "H1", EmailDomain: "gmail.com"));

        Assert.Equal(("STU", "the applicant is a student", "BOS", "the household's chapter (member P4)"), (s.Tier, s.TierReason, s.Chapter, s.ChapterReason));
        Assert.Empty(s.AddOns);
    }

    [Theory]
    [InlineData(PartyKind.Organization, null, false, "CORP")]
    [InlineData(PartyKind.Person, "fel", false, "FEL")]
    [InlineData(PartyKind.Person, "FEL", true, "RET")]
    [InlineData(PartyKind.Person, null, false, "REG")]
    public void TierFor_ApplicationFacts_PickTheTier(PartyKind kind, string? declared, bool retired, string expected) =>
        Assert.Equal(expected, SuggestBillingPackage.TierFor(new NewMemberProfile(new MemberId("X"), kind, declared, IsRetired: retired)).Tier);
}

public sealed class SuggestBillingPackageSqliteTests() : SuggestBillingPackageTests(StoreEngine.Sqlite);

public sealed class SuggestBillingPackagePostgresTests() : SuggestBillingPackageTests(StoreEngine.Postgres);
