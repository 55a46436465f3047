using System.Security.Cryptography;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Members;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Ai.Tests;

/// <summary>
/// Issue 18: the member assistant prices from the billing policy, the one source of rates. The bundled
/// policy bills a retired member 195.00 a year (examples/billing-policy.yaml); a retired member asking
/// about a 195.00 invoice is told it is correct, and no review item opens.
/// </summary>
public class PolicyRatesTests
{
    [Fact]
    public async Task RetiredMember_AsksAbout195Invoice_AnsweredCorrectFromThePolicy()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 2, 10, 15, 0, 0, TimeSpan.Zero));
        await using var store = await TestStores.CreateAsync(Persistence.StoreEngine.Sqlite);
        await store.InTransactionAsync(async (c, tx) =>
        {
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("20401"), PartyKind.Person, "Ruth Alder", "Ruth", "Alder", "ruth@example.org", "RET", MemberStatus.Active,
                new DateOnly(1995, 4, 1), new DateOnly(2026, 12, 31)), clock.GetUtcNow());
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, new Invoice(new InvoiceId("INV-27-2040"), new MemberId("20401"), new DateOnly(2027, 1, 2), new DateOnly(2027, 1, 31),
                Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 dues",
                [new InvoiceLine("DUES-RET", "National dues, Retired", Money.Usd(195m), 1, null, new DateOnly(2027, 1, 1), new DateOnly(2027, 12, 31))]), clock.GetUtcNow());
        });
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var policy = LoadBillingPolicy.Example();
        var assistant = new AnswerInquiry(store, clock, new InquiryOptions(key), PolicyLibrary.Embedded(MiniLmEmbedder.Shared), new PolicyExpectedDues(policy), GovernedModel.Off(store, clock));

        var outcome = await assistant.HandleAsync(new AnswerInquiry.Request(new MemberToken(key).Issue(new MemberId("20401"), clock.GetUtcNow().AddDays(30)), "Is my invoice for $195.00 right? I am retired."));

        Assert.Equal(Money.Usd(195m), policy.RateOn(policy.RequireTier("RET"), new DateOnly(2027, 1, 1)));
        Assert.Equal(InquiryStatus.Answered, outcome.Status);
        Assert.Contains("it is correct", outcome.Answer, StringComparison.Ordinal);
        Assert.Contains("$195.00", outcome.Answer, StringComparison.Ordinal);
        Assert.Equal(0L, await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM review_items", transaction: tx)));
    }

    /// <summary>The dues rates the policy text tells members are the rates the billing policy bills (tiers it does not bill are not checked).</summary>
    [Fact]
    public void PolicyText_StatesTheBillingPolicysRates()
    {
        var policy = LoadBillingPolicy.Example();
        var text = PolicyLibrary.Embedded(MiniLmEmbedder.Shared).Find("policies/dues-and-tiers.md#dues-rates¶1")!.Text;
        var stated = System.Text.RegularExpressions.Regex.Matches(text, @"\((?<code>[A-Z]+)[^)]*\) \$(?<amount>[0-9,]+\.[0-9]{2})")
            .ToDictionary(m => m.Groups["code"].Value, m => Money.Parse(m.Groups["amount"].Value.Replace(",", "", StringComparison.Ordinal), Currency.USD));
        var billed = policy.Tiers.Where(t => stated.ContainsKey(t.Code)).ToList();
        Assert.True(billed.Count >= 4, $"the policy text names {string.Join(", ", stated.Keys)}");
        foreach (var tier in billed)
            Assert.Equal((tier.Code, policy.RateOn(tier, new DateOnly(2027, 1, 1))), (tier.Code, stated[tier.Code]));
    }
}
