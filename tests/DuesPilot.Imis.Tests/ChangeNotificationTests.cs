using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Imis.Tests;

public sealed class ChangeNotificationTests
{
    [Fact]
    public void Read_ValidationEvent_ReturnsTheCode()
    {
        var delivery = ReceiveImisChangeNotifications.Read("""
            [{"id":"2d1781af","topic":"/subscriptions/x","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://x"},
              "eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-06-01T10:00:00Z","dataVersion":"1"}]
            """);

        Assert.Equal(new ReceiveImisChangeNotifications.Delivery.Validation("512d38b6-c7b8-40c8-89fe-f46f9e9622b6"), delivery);
    }

    [Theory]
    [InlineData("""[{"id":"e1","eventType":"Party.Updated","subject":"Party/23179","eventTime":"2026-06-01T10:00:00Z","data":{}}]""", "Party", "Updated", "23179")]
    [InlineData("""{"id":"e2","eventType":"Invoice.Created","subject":"x","data":{"InvoiceId":"CASH:1:20260101-1"}}""", "Invoice", "Created", "CASH:1:20260101-1")]
    public void Read_EntityEvents_BecomeNotices(string body, string entity, string action, string id)
    {
        var delivery = Assert.IsType<ReceiveImisChangeNotifications.Delivery.Notices>(ReceiveImisChangeNotifications.Read(body));

        var notice = Assert.Single(delivery.Items);
        Assert.Equal((entity, action, id), (notice.Entity, notice.Action, notice.RecordId));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""[{"id":"x"}]""")]
    public void Read_Garbage_IsMalformed(string body) =>
        Assert.IsType<ReceiveImisChangeNotifications.Delivery.Malformed>(ReceiveImisChangeNotifications.Read(body));

    [Fact]
    public async Task Endpoint_HandshakeKeyAndNotices_OverHttp()
    {
        var received = new ConcurrentBag<ImisChangeNotice>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapImisChangeNotifications("/imis/notifications", "s3cret", (notices, ct) =>
        {
            foreach (var n in notices) received.Add(n);
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/imis/notifications";
        using var http = new HttpClient();
        static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

        using var noKey = await http.PostAsync(url, Json("""[{"id":"1","eventType":"Party.Updated","subject":"Party/1"}]"""));
        using var handshake = await http.PostAsync(url + "?key=s3cret", Json("""[{"id":"v","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"abc"}}]"""));
        using var notice = await http.PostAsync(url + "?key=s3cret", Json("""[{"id":"1","eventType":"Party.Updated","subject":"Party/10002"}]"""));
        using var bad = await http.PostAsync(url + "?key=s3cret", Json("nope"));
        await app.StopAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("abc", (string?)JsonNode.Parse(await handshake.Content.ReadAsStringAsync())!["validationResponse"]);
        Assert.Equal(HttpStatusCode.OK, notice.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("10002", Assert.Single(received).RecordId);
    }
}
