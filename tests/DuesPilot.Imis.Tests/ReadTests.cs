using DuesPilot.Domain;

namespace DuesPilot.Imis.Tests;

public sealed class ReadTests
{
    [Fact]
    public async Task ListMembers_SeededSandbox_ReadsEveryPartyWithMembershipFacts()
    {
        await using var host = await Sandbox.StartAsync(members: 250);
        using var client = Sandbox.Client(host, configure: o => o.PageSize = 40);

        var members = new List<ImisMember>();
        await foreach (var m in client.ListMembersAsync()) members.Add(m);

        Assert.Equal(250, members.Count);
        Assert.Equal(250, members.Select(m => m.Member.Id).Distinct().Count());
        Assert.Contains(members, m => m.Member.Kind == PartyKind.Organization && m.Member.Tier == "CORP");
        Assert.Contains(members, m => m.Member.OrganizationId is not null);
        Assert.Contains(members, m => m.Member.HouseholdId is not null);
        Assert.All(members, m => Assert.Contains(m.Member.Tier, new[] { "REG", "STU", "RET", "CORP" }));
        Assert.All(members, m => Assert.NotNull(m.Member.JoinDate));
        Assert.All(members, m => Assert.NotNull(m.Member.ChapterId));
    }

    [Fact]
    public async Task GetMember_UnknownId_ReturnsNull()
    {
        await using var host = await Sandbox.StartAsync(members: 20);
        using var client = Sandbox.Client(host);

        Assert.Null(await client.GetMemberAsync(new MemberId("999999")));
        var known = await client.GetMemberAsync(new MemberId("10002"));
        Assert.NotNull(known);
        Assert.Equal("10002", known.Id.Value);
    }

    [Fact]
    public async Task ListInvoices_OpenDuesOfOneMember_MatchesSummariesAndBalancesArePositive()
    {
        await using var host = await Sandbox.StartAsync(members: 200);
        using var client = Sandbox.Client(host);
        var open = new List<ImisInvoiceSummary>();
        await foreach (var s in client.ListInvoiceSummariesAsync(new InvoiceQuery(OpenOnly: true))) open.Add(s);
        Assert.NotEmpty(open);
        Assert.All(open, s => Assert.True(s.Balance.IsPositive));
        var member = open[0].SoldTo;

        var invoices = new List<ImisInvoice>();
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(SoldTo: member, OpenOnly: true))) invoices.Add(i);

        Assert.Equal(open.Where(s => s.SoldTo == member).Select(s => s.Id).Order(), invoices.Select(i => i.Invoice.Id).Order());
        Assert.All(invoices, i =>
        {
            Assert.Equal(member, i.Invoice.MemberId);
            Assert.NotEmpty(i.Invoice.Lines);
            Assert.StartsWith("DUES-", i.Invoice.ProductCode, StringComparison.Ordinal);
            Assert.Equal(i.Invoice.Amount, Money.Sum(i.Invoice.Lines.Select(l => l.Amount), Currency.USD));
            Assert.True(i.Invoice.Balance <= i.Invoice.Amount);
        });
    }

    [Fact]
    public async Task Invoices_MidYearJoiners_AreProratedByMonthCountingTheJoinMonth()
    {
        await using var host = await Sandbox.StartAsync(members: 600, configure: o => o.PlantedDefects = 0);
        using var client = Sandbox.Client(host);
        var rates = new Dictionary<string, long> { ["DUES-REG"] = 39500, ["DUES-STU"] = 9500, ["DUES-RET"] = 19500, ["DUES-CORP"] = 250000 };
        var joins = 0;
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery()))
        {
            var line = i.Invoice.Lines[0];
            var months = 12 - line.PeriodStart!.Value.Month + 1;
            var expected = (long)Math.Round(rates[line.ProductCode] * months / 12m, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, line.Amount.MinorUnits); // the dues line; Ontario members' invoices add an HST line
            if (months < 12) joins++;
        }

        Assert.True(joins > 0, "the seed has mid-year joiners");
    }

    [Fact]
    public async Task ListItems_DuesProducts_HaveTheTierRates()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);

        var items = await client.ListItemsAsync();

        var rates = items.ToDictionary(i => i.ItemCode, i => i.Prices.RateOn(Sandbox.AsOf));
        Assert.Equal(Money.Usd(395m), rates["DUES-REG"]);
        Assert.Equal(Money.Usd(95m), rates["DUES-STU"]);
        Assert.Equal(Money.Usd(195m), rates["DUES-RET"]);
        Assert.Equal(Money.Usd(2500m), rates["DUES-CORP"]);
    }

    [Fact]
    public async Task Subscriptions_ByPartyAndByCompositeId_Agree()
    {
        await using var host = await Sandbox.StartAsync(members: 30);
        using var client = Sandbox.Client(host);
        var party = new MemberId("10005");

        var list = await client.ListSubscriptionsAsync(party);
        var single = Assert.Single(list);
        var byId = await client.GetSubscriptionAsync(party, single.ItemId);

        Assert.Equal(single, byId);
        Assert.NotNull(single.BilledAmount);
        Assert.Null(await client.GetSubscriptionAsync(party, "NO-SUCH-ITEM"));
    }

    [Fact]
    public async Task Receipts_ForAPayor_CoverTheirPaidInvoices()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host);
        ImisInvoice? paid = null;
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery()))
            if (i.Invoice.Balance.IsZero) { paid = i; break; }
        Assert.NotNull(paid);

        var receipts = new List<ImisReceipt>();
        await foreach (var r in client.ListReceiptsAsync(paid.BillTo)) receipts.Add(r);

        var applied = receipts.SelectMany(r => r.Lines).Where(l => l.InvoiceId == paid.Invoice.Id).Select(l => l.Amount);
        Assert.Equal(paid.Invoice.Amount, Money.Sum(applied, Currency.USD));
    }

    [Fact]
    public async Task Count_MissingEntity_IsNullAndPresentPanelsCount()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);

        Assert.Null(await client.CountAsync("AI_Nothing_Here"));
        Assert.Equal(0, await client.CountAsync("AI_Review_Queue"));
        Assert.Equal(10, await client.CountAsync("Party"));
    }
}
