using System.Text.Json;

namespace DuesPilot.Imis;

/// <summary>One change iMIS pushed: entity, action and record id (e.g. Party, Updated, 23179).</summary>
/// <param name="RecordId">From <c>data.Id</c>/<c>data.PartyId</c>/<c>data.InvoiceId</c>, else the last segment of the subject; the payload's <c>data</c> is unconfirmed for iMIS.</param>
public sealed record ImisChangeNotice(string EventId, string Entity, string Action, string? RecordId, DateTimeOffset? EventTime);

/// <summary>
/// The one reading of an Event Grid delivery of iMIS Change Notifications (an extra-licence feature): the
/// subscription-validation handshake, or <c>Entity.Action</c> notices. The service's <c>/webhooks/imis</c> answers
/// the handshake and queues the notices; the inbox worker re-reads each changed record from iMIS
/// (<c>RereadImisChange</c>): notifications only say that something changed; the data is still read through the API.
/// </summary>
public static class ReceiveImisChangeNotifications
{
    public const string ValidationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    /// <summary>The outcome of reading one delivery.</summary>
    public abstract record Delivery
    {
        /// <summary>Event Grid's handshake: answer <c>{"validationResponse": code}</c>.</summary>
        public sealed record Validation(string Code) : Delivery;

        public sealed record Notices(IReadOnlyList<ImisChangeNotice> Items) : Delivery;

        public sealed record Malformed(string Reason) : Delivery;
    }

    /// <summary>Reads an Event Grid delivery (a JSON array of events, or a single event).</summary>
    public static Delivery Read(string body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return new Delivery.Malformed("not JSON: " + ex.Message);
        }

        using (doc)
        {
            var events = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToList() : [doc.RootElement];
            var notices = new List<ImisChangeNotice>();
            foreach (var e in events)
            {
                var type = ImisJson.Str(e, "eventType") ?? ImisJson.Str(e, "type");
                if (type is null) return new Delivery.Malformed("an event without eventType");
                if (string.Equals(type, ValidationEventType, StringComparison.OrdinalIgnoreCase))
                {
                    var code = ImisJson.Str(e, "data", "validationCode");
                    return code is null ? new Delivery.Malformed("a validation event without data.validationCode") : new Delivery.Validation(code);
                }

                var dot = type.LastIndexOf('.');
                var entity = dot > 0 ? type[..dot] : type;
                var action = dot > 0 ? type[(dot + 1)..] : "";
                var id = ImisJson.Str(e, "data", "Id") ?? ImisJson.Str(e, "data", "PartyId") ?? ImisJson.Str(e, "data", "InvoiceId")
                    ?? ImisJson.Str(e, "subject")?.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
                DateTimeOffset? at = ImisJson.Str(e, "eventTime") is { } t && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
                notices.Add(new ImisChangeNotice(ImisJson.Str(e, "id") ?? "", entity, action, id, at));
            }

            return new Delivery.Notices(notices);
        }
    }
}
