using System.Net;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;

namespace DuesPilot.Web.Tests;

public sealed class StaffUiHttpTests : IAsyncLifetime
{
    private StaffHost _host = null!;

    public async Task InitializeAsync() => _host = await StaffHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string> StaffPages() => new() { "/Review", "/Holds", "/Summary", "/Audit", "/Jobs", "/Rollout", "/BillingSetup", "/Inbox", "/" };

    [Theory]
    [MemberData(nameof(StaffPages))]
    public async Task AnonymousRequest_AnyStaffPage_GetsTheSignInPage(string path)
    {
        using var client = _host.Client();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/Login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kim")]
    [InlineData("ann")]
    [InlineData("pat")]
    public async Task EveryRole_CanReadEveryStaffPage(string user)
    {
        using var client = await _host.SignedInClientAsync(user);
        foreach (var path in new[] { "/Review", "/Holds", "/Summary", "/Audit", "/Jobs", "/Rollout", "/BillingSetup?MemberId=10388&Retired=true", "/Inbox", $"/Review/Item/{_host.ItemId}", "/Summary?handler=Csv", "/Summary?handler=Html" })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{user} {path}: {response.StatusCode}");
        }
    }

    [Theory]
    [InlineData("kim", false)]
    [InlineData("ann", false)]
    [InlineData("ada", true)]
    public async Task SettingARolloutPhase_OnlyAdministrators(string user, bool allowed)
    {
        using var client = await _host.SignedInClientAsync(user);
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/Rollout");
        var response = await client.PostAsync("/Rollout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["channel"] = "check", ["segment"] = "REG", ["phase"] = "guarded", ["reason"] = "shadow precision 100%", ["__RequestVerificationToken"] = token,
        }));
        var phase = await new DuesPilot.Features.Rollout.RolloutPhases(_host.Store, _host.Clock, DuesPilot.Features.Rollout.RolloutOptions.Pilot()).PhaseForAsync("check", "REG");
        Assert.Equal(allowed ? DuesPilot.Features.Rollout.RolloutPhase.Guarded : DuesPilot.Features.Rollout.RolloutPhase.Shadow, phase);
        if (!allowed) Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NewMemberBilling_ReviewerChangesTheSuggestion_AndItIsAudited()
    {
        using var client = await _host.SignedInClientAsync("kim");
        var page = await client.GetStringAsync("/BillingSetup?MemberId=20999&Retired=true");
        Assert.Contains("id=\"tier\">RET<", page);
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/BillingSetup?MemberId=20999&Retired=true");
        var response = await client.PostAsync("/BillingSetup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["memberId"] = "20999", ["suggested"] = "RET||Annual", ["tier"] = "REG", ["chapter"] = "", ["cycle"] = "Annual", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var audit = await new DuesPilot.Features.Audit.AuditTrail(_host.Store, _host.Clock).ListAsync("member:20999");
        var row = Assert.Single(audit, r => r.Event.Action == "billing-setup.changed");
        Assert.Equal("kim", row.Event.Actor);
        Assert.Equal("REG||Annual", row.Event.After);
    }

    [Fact]
    public async Task DeadLetter_IsShownAndARetryRequeuesIt()
    {
        await _host.Store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, body, state, attempts, last_error, received_at)
            VALUES ('dead-1', 'stripe', 'evt_broken', 'h', @body, 'dead', 5, 'no payment carries the references', '2027-03-15T08:00:00.0000000Z')
            """, new { body = System.Text.Encoding.UTF8.GetBytes("{}") }, tx));
        using var client = await _host.SignedInClientAsync("kim");
        Assert.Contains("evt_broken", await client.GetStringAsync("/Inbox"));
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/Inbox");
        var response = await client.PostAsync("/Inbox", new FormUrlEncodedContent(new Dictionary<string, string> { ["itemId"] = "dead-1", ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("pending", await _host.Store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT state FROM inbox WHERE item_id = 'dead-1'", transaction: tx)));
    }

    [Fact]
    public async Task WrongPassword_IsRefusedWithoutSayingWhichPart()
    {
        using var client = _host.Client();
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/Account/Login");
        var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = "kim", ["Password"] = "wrong-password", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("user name or password is not right", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Auditor_PostingAnAction_IsForbiddenAndNothingMoves()
    {
        using var client = await _host.SignedInClientAsync("ann");
        var page = $"/Review/Item/{_host.ItemId}";
        var html = await client.GetStringAsync(page);
        Assert.Contains("Read-only", html);
        Assert.DoesNotContain("Approve suggestion", html);
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/Review");
        var response = await client.PostAsync(page + "?handler=Approve", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Redirect);
        if (response.StatusCode == HttpStatusCode.Redirect) Assert.Contains("/Account/Denied", response.Headers.Location!.ToString());
        Assert.Equal(Money.Usd(0m), await new Journal(_host.Store).BalanceAsync(new ChartOfAccounts().DuesReceivable, Currency.USD));
    }

    [Fact]
    public async Task Post_WithoutAntiforgeryToken_IsRejected()
    {
        using var client = await _host.SignedInClientAsync("kim");
        var response = await client.PostAsync($"/Review/Item/{_host.ItemId}?handler=Approve", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode); // refused by the cross-site guard before the page runs
        Assert.Equal(Money.Usd(0m), await new Journal(_host.Store).BalanceAsync(new ChartOfAccounts().DuesReceivable, Currency.USD));
    }

    [Fact]
    public async Task Reviewer_PicksTheOtherCandidate_LedgerInvoiceAndAuditChange()
    {
        using var client = await _host.SignedInClientAsync("kim");
        var page = $"/Review/Item/{_host.ItemId}";
        var token = await StaffHost.AntiforgeryTokenAsync(client, page);
        var response = await client.PostAsync(page + "?handler=Pick", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["memberId"] = "10412", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await client.GetStringAsync(page);
        Assert.Contains("Done:", after);
        Assert.Contains("resolved", after);

        Assert.Equal(Money.Usd(-195m), await new Journal(_host.Store).BalanceAsync(new ChartOfAccounts().DuesReceivable, Currency.USD));
        var (rachel, robert) = await _host.Store.InTransactionAsync(async (c, tx) =>
            (await MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281990")), await MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281874"))));
        Assert.Equal(Money.Usd(0m), rachel);
        Assert.Equal(Money.Usd(195m), robert);
        var audit = await client.GetStringAsync("/Audit?Subject=payment:chk-20451");
        Assert.Contains("payment.applied", audit);
        Assert.Contains("Hash chain intact", audit);
    }

    [Fact]
    public async Task Reviewer_AppliesThenReversesFromThePaymentCard_MoneyAndInvoiceGoBack()
    {
        using var client = await _host.SignedInClientAsync("kim");
        var page = $"/Review/Item/{_host.ItemId}";
        var token = await StaffHost.AntiforgeryTokenAsync(client, page);
        await client.PostAsync(page + "?handler=Pick", new FormUrlEncodedContent(new Dictionary<string, string> { ["memberId"] = "10412", ["__RequestVerificationToken"] = token }));
        var applied = await client.GetStringAsync(page);
        Assert.Contains("id=\"reverse-form\"", applied);

        token = await StaffHost.AntiforgeryTokenAsync(client, page);
        var response = await client.PostAsync(page + "?handler=Reverse", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["reason"] = "Robert's check, not Rachel's", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await client.GetStringAsync(page);
        Assert.Contains("Done: reversed", after);
        Assert.DoesNotContain("id=\"reverse-form\"", after);
        Assert.Equal(Money.Usd(0m), await new Journal(_host.Store).BalanceAsync(new ChartOfAccounts().DuesReceivable, Currency.USD));
        var (rachel, state) = await _host.Store.InTransactionAsync(async (c, tx) =>
            (await MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281990")), await c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'chk-20451'", transaction: tx)));
        Assert.Equal(Money.Usd(195m), rachel);
        Assert.Equal("in_review", state);
    }

    [Fact]
    public async Task Reviewer_CorrectsAFlaggedInvoiceInImis_FromItsPage_TheWriteIsQueued()
    {
        var itemId = await _host.Store.InTransactionAsync(async (c, tx) =>
        {
            var analysis = """{"invoice":"281874","member":"10388","priority_cents":20000,"findings":[{"kind":"WrongTierRate","line":1,"expected":"395.00","actual":"195.00","at_stake":"200.00","likelihood":1.0,"explanation":"billed the retired rate"}]}""";
            await c.ExecuteAsync(
                "INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at) VALUES ('inv-item', 'invoice', '281874', '10388', 'open', 46, 'Correct line 1 to $395.00.', 'WrongTierRate: expected 395.00, actual 195.00', @analysis, 20000, 'USD', @now, @now)",
                new { analysis, now = DbTime.Format(_host.Clock.GetUtcNow()) }, tx);
            return "inv-item";
        });
        using var client = await _host.SignedInClientAsync("kim");
        var page = $"/Review/Item/{itemId}";
        var html = await client.GetStringAsync(page);
        Assert.Contains("value=\"395.00\"", html); // the expected amount, ready to send
        var token = await StaffHost.AntiforgeryTokenAsync(client, page);
        var response = await client.PostAsync(page + "?handler=Correct", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["amount"] = "395.00", ["reason"] = "Regular member billed the retired rate", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("correction in iMIS queued", await client.GetStringAsync(page));
        var payload = await _host.Store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT payload FROM imis_outbox WHERE kind = 'invoice-correction'", transaction: tx));
        Assert.Contains("\"ExpectedMinor\":39500", payload);
        Assert.Contains("\"Actor\":\"kim\"", payload);
    }

    [Fact]
    public async Task Reviewer_Overrides_AHold_ItGoesToReview()
    {
        await _host.Store.InTransactionAsync(async (c, tx) =>
        {
            var now = _host.Clock.GetUtcNow();
            var payment = new Payment(new PaymentId("ch_held"), PaymentChannel.Card, Money.Usd(195m), now, "Robert Smith", "rsmith@example.com", "ch_held", null);
            await ReceivePayment.HandleAsync(c, tx, _host.Clock, new ChartOfAccounts(), payment, "stripe");
            await ApplyPayment.HandleAsync(c, tx, _host.Clock, new ChartOfAccounts(), new PostingOptions(), new ApplyPayment.Request(payment.Id,
                [new Allocation(payment.Id, new MemberId("10388"), new InvoiceId("281874"), payment.Amount)], ApplyPayment.Mode.Hold, TimeSpan.FromHours(24), "duespilot", "e-mail exact"));
        });
        using var client = await _host.SignedInClientAsync("kim");
        var holds = await client.GetStringAsync("/Holds");
        Assert.Contains("ch_held", holds);
        var token = await StaffHost.AntiforgeryTokenAsync(client, "/Holds");
        var response = await client.PostAsync("/Holds?handler=Override", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["paymentId"] = "ch_held", ["reason"] = "member called", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Review/Item/", response.Headers.Location!.ToString());
        var state = await _host.Store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'ch_held'", transaction: tx));
        Assert.Equal("in_review", state);
        Assert.DoesNotContain("ch_held", await client.GetStringAsync("/Holds"));
    }
}
