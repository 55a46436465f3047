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
}
