using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DuesPilot.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Imis.Tests;

public sealed class TransportTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(2)]
    public async Task Client_ManyParallelReads_NeverMoreInFlightThanTheCap(int cap)
    {
        await using var host = await Sandbox.StartAsync(members: 60, configure: o => o.Faults.LatencyMs = 15);
        using var client = Sandbox.Client(host, configure: o => o.MaxConcurrency = cap);

        await Parallel.ForEachAsync(Enumerable.Range(10001, 40), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (id, ct) => Assert.NotNull(await client.GetMemberAsync(new MemberId(id.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct)));

        Assert.InRange(host.MaxInFlight, 1, cap);
    }

    [Fact]
    public async Task Client_BaseUrlWithVirtualDirectory_ReachesTokenAndApiUnderIt()
    {
        await using var host = await Sandbox.StartAsync(members: 15, configure: o => o.PathBase = "/Asi.Scheduler_Demo");
        using var client = Sandbox.Client(host);

        Assert.EndsWith("/Asi.Scheduler_Demo", host.BaseUrl, StringComparison.Ordinal);
        Assert.Equal(15, await client.CountAsync("Party"));
    }

    [Fact]
    public async Task Sandbox_FaultHeader_OverridesTheDefaultsForOneRequest()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent([new("grant_type", "password"), new("username", "admin"), new("password", "admin")]);
        using var tokenResponse = await http.PostAsync(host.BaseUrl + "/token", form);
        var token = (string)JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["access_token"]!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var faulty = new HttpRequestMessage(HttpMethod.Get, host.BaseUrl + "/api/Party");
        faulty.Headers.Add("X-Sandbox-Faults", "errors=1");
        using var failed = await http.SendAsync(faulty);
        using var viaQuery = await http.GetAsync(host.BaseUrl + "/api/Party?sandbox-faults=errors%3D1");
        using var normal = await http.GetAsync(host.BaseUrl + "/api/Party");

        Assert.Contains((int)failed.StatusCode, new[] { 500, 503, 429 });
        Assert.Contains((int)viaQuery.StatusCode, new[] { 500, 503, 429 });
        Assert.Equal(200, (int)normal.StatusCode);
        Assert.NotNull(JsonNode.Parse(await failed.Content.ReadAsStringAsync())!["Errors"]!["$values"]![0]!["Message"]);
    }

    [Fact]
    public async Task Registration_ImisSection_BindsOptionsAndResolvesTheClient()
    {
        await using var host = await Sandbox.StartAsync(members: 8);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Imis:BaseUrl"] = host.BaseUrl,
            ["Imis:Username"] = "admin",
            ["Imis:Password"] = "admin",
            ["Imis:PageSize"] = "3",
            ["Imis:MaxConcurrency"] = "2",
        }).Build();
        await using var services = new ServiceCollection().AddImisClient(configuration).BuildServiceProvider();

        var client = services.GetRequiredService<IImisClient>();
        var count = 0;
        await foreach (var m in client.ListMembersAsync()) count++;

        Assert.Equal(8, count);
        Assert.Equal(3, services.GetRequiredService<ImisTransport>().Options.PageSize);
    }

    [Theory]
    [InlineData("", "admin", "admin")]
    [InlineData("ftp://x", "admin", "admin")]
    [InlineData("https://x", "", "admin")]
    public void Options_Invalid_FailAtStartWithAClearMessage(string url, string user, string password)
    {
        var options = new ImisOptions { BaseUrl = url, Username = user, Password = password };

        var ex = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.StartsWith("Imis options:", ex.Message, StringComparison.Ordinal);
    }
}
