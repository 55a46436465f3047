using System.Net;
using DuesPilot.Cli.Chaos;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.Web;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Reliability.Tests;

/// <summary>Two service instances on one store need no sticky sessions: a sign-in on one is honoured by the other.</summary>
public sealed class ScaleOutTests
{
    [Fact]
    public async Task SignIn_OnOneInstance_CookieValidOnTheOther()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-scaleout-").FullName;
        var first = await ChaosHost.StartAsync(new StoreOptions(folder));
        var second = await ChaosHost.StartAsync(new StoreOptions(folder));
        try
        {
            await first.Services.GetRequiredService<StaffAccounts>().SaveAsync("kim", "Kim Reviewer", SecurityHost.Password, [StaffRoles.Reviewer]);
            var cookies = new CookieContainer();
            using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
            using var toFirst = new HttpClient(handler, disposeHandler: false) { BaseAddress = ServerHost.Address(first) };
            var token = await SecurityHost.AntiforgeryTokenAsync(toFirst, "/Account/Login");
            using var signIn = await toFirst.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["UserName"] = "kim", ["Password"] = SecurityHost.Password, ["__RequestVerificationToken"] = token,
            }));
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

            // The same cookies (both instances are 127.0.0.1; cookies are per host, not per port) sent to the other instance.
            using var toSecond = new HttpClient(handler, disposeHandler: false) { BaseAddress = ServerHost.Address(second) };
            using var page = await toSecond.GetAsync("/Review");

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            // The key ring is in the shared store, not in a per-machine folder.
            await using var c = await first.Services.GetRequiredService<Store>().OpenConnectionAsync();
            Assert.True(await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM data_protection_keys") >= 1);
        }
        finally
        {
            await first.StopAsync();
            await second.StopAsync();
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
