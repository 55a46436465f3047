using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuesPilot.Domain;
using DuesPilot.ImisSandbox;

namespace DuesPilot.Imis.Tests;

/// <summary>The JSON of imis-api.md §8: the client's bodies byte-for-byte, the sandbox's answers field by field.</summary>
public sealed class WireFormatTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static string Minify(string json) => JsonNode.Parse(json)!.ToJsonString();

    [Fact]
    public void PanelRowBody_DocumentedReviewRow_MatchesSection84ByteForByte()
    {
        var body = ImisClient.PanelRowBody("AI_Review_Queue", new MemberId("23179"), 2,
        [
            new("InvoiceId", "CASH:23179:20250601-1"),
            new("ProposedAmount", Money.Usd(75m)),
            new("NeedsHumanReview", true),
            new("Notes", "Proration disputed"),
        ]).ToJsonString();

        Assert.Equal(Minify(Fixture("section8_4.json")), body);
    }

    [Fact]
    public async Task TokenAnswer_Sandbox_HasTheSection81FieldsInOrder()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = new HttpClient();

        var json = await TokenJsonAsync(http, host);

        var expected = JsonNode.Parse(Fixture("section8_1.json"))!.AsObject();
        Assert.Equal(expected.Select(p => p.Key), json.Select(p => p.Key));
        Assert.Equal("bearer", (string?)json["token_type"]);
        Assert.Equal(1209599, (int)json["expires_in"]!);
        Assert.Equal("admin", (string?)json["userName"]);
        Assert.EndsWith(" GMT", (string?)json[".expires"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvoiceSummaryPage_Sandbox_ConformsToSection82()
    {
        await using var host = await Sandbox.StartAsync(members: 120);
        using var http = await AuthorizedAsync(host);
        var open = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/InvoiceSummary?SourceSystem=DUES&Balance=gt:0&limit=1"))!;
        var party = (string)open["Items"]!["$values"]![0]!["SoldToParty"]!["PartyId"]!;

        var page = JsonNode.Parse(await http.GetStringAsync($"{host.BaseUrl}/api/InvoiceSummary?SourceSystem=DUES&Balance=gt:0&SoldToPartyId={party}&limit=100"))!;

        var expected = JsonNode.Parse(Fixture("section8_2.json"))!;
        Assert.Equal(expected.AsObject().Select(p => p.Key), page.AsObject().Select(p => p.Key));
        Conforms(expected, page, "$");
    }

    [Fact]
    public async Task Party_Sandbox_ConformsToSection83()
    {
        await using var host = await Sandbox.StartAsync(members: 200);
        using var http = await AuthorizedAsync(host);
        var people = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/Person?OrganizationPartyId=notEmpty&limit=200"))!;
        var person = people["Items"]!["$values"]!.AsArray().First(p => p!["PersonName"]!["NamePrefix"] is not null)!;

        var party = JsonNode.Parse(await http.GetStringAsync($"{host.BaseUrl}/api/Party/{(string)person["PartyId"]!}"))!.AsObject();

        var expected = JsonNode.Parse(Fixture("section8_3.json"))!.AsObject();
        Assert.Equal("Asi.Soa.Membership.DataContracts.PersonData, Asi.Contracts", (string?)party["$type"]);
        expected.Remove("$type");
        party.Remove("$type");
        Conforms(expected, party, "$");
    }

    [Fact]
    public async Task PanelRow_SandboxEchoOfSection84Body_IsTheSameDocument()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = await AuthorizedAsync(host);
        var body = Fixture("section8_4.json").Replace("23179", "10002", StringComparison.Ordinal);

        using var response = await http.PostAsync(host.BaseUrl + "/api/AI_Review_Queue", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal(Minify(body), Minify(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task ErrorAnswer_Sandbox_CarriesErrorsValuesMessage()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = await AuthorizedAsync(host);

        using var response = await http.GetAsync(host.BaseUrl + "/api/Subscription/~10002");

        Assert.Equal(400, (int)response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("ArgumentFault: Incorrect number of identity element", (string?)json["Errors"]!["$values"]![0]!["Message"]);
    }

    [Theory]
    [InlineData("/api/Party")]
    [InlineData("/api/InvoiceSummary")]
    public async Task Api_WithoutToken_Is401(string path)
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = new HttpClient();

        using var response = await http.GetAsync(host.BaseUrl + path);

        Assert.Equal(401, (int)response.StatusCode);
    }

    [Fact]
    public async Task Paging_LimitAboveTheCap_IsClamped()
    {
        await using var host = await Sandbox.StartAsync(members: 700, configure: o => o.MaxLimit = 250);
        using var http = await AuthorizedAsync(host);

        var page = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/Party?limit=1000"))!;
        var last = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/Party?limit=250&offset=500"))!;

        Assert.Equal(250, (int)page["Limit"]!);
        Assert.Equal(250, (int)page["Count"]!);
        Assert.Equal(250, (int)page["NextOffset"]!);
        Assert.False((bool)last["HasNext"]!);
        Assert.Equal(0, (int)last["NextOffset"]!);
    }

    /// <summary>
    /// <paramref name="actual"/> has the documented shape: every documented key, first and in the documented order,
    /// the same <c>$type</c> strings, and values of the same JSON kind. Extra (undocumented) fields may follow.
    /// </summary>
    internal static void Conforms(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case JsonObject e:
                var a = Assert.IsType<JsonObject>(actual, exactMatch: false);
                var actualKeys = a.Select(p => p.Key).Take(e.Count).ToList();
                Assert.True(e.Select(p => p.Key).SequenceEqual(actualKeys), $"{path}: keys [{string.Join(",", actualKeys)}] should start with [{string.Join(",", e.Select(p => p.Key))}]");
                foreach (var (key, value) in e)
                {
                    if (key == "$type") Assert.True((string?)value == (string?)a[key], $"{path}.$type: {(string?)a[key]} should be {(string?)value}");
                    else Conforms(value, a[key], path + "." + key);
                }

                break;
            case JsonArray e:
                var arr = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(arr.Count >= e.Count, $"{path}: expected at least {e.Count} items");
                for (var i = 0; i < e.Count; i++) Conforms(e[i], arr[i], $"{path}[{i}]");
                break;
            case null:
                Assert.True(actual is null, $"{path}: should be null");
                break;
            default:
                Assert.True(actual is not null && expected.GetValueKind() == actual.GetValueKind(), $"{path}: {actual?.GetValueKind()} should be {expected.GetValueKind()}");
                break;
        }
    }

    private static async Task<JsonObject> TokenJsonAsync(HttpClient http, ImisSandboxHost host)
    {
        using var content = new FormUrlEncodedContent([new("grant_type", "password"), new("username", "admin"), new("password", "admin")]);
        using var response = await http.PostAsync(host.BaseUrl + "/token", content);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    internal static async Task<HttpClient> AuthorizedAsync(ImisSandboxHost host)
    {
        var http = new HttpClient();
        var token = (string)(await TokenJsonAsync(http, host))["access_token"]!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
