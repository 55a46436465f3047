using System.Globalization;
using System.Text;
using System.Text.Json;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Server.Intake;

/// <summary>What a webhook endpoint answers when it has written the delivery (or found it already written).</summary>
public sealed record Received(string ItemId, string Outcome);

/// <summary>
/// The intake webhooks. Each one: refuses an oversize body (413), verifies the signature or secret
/// (400/401, recorded without secrets, never queued), writes raw body + allow-listed headers + key to
/// the inbox in a durable transaction, and only then answers 2xx. Same key and payload → 200 and
/// nothing new; same key, different payload → 409 and an alert row.
/// </summary>
public static class IntakeEndpoints
{
    /// <summary>Headers kept with an inbox item or a rejection: enough to audit and re-verify, never a secret.</summary>
    private static readonly string[] KeptHeaders =
        ["Content-Type", "Content-Length", "User-Agent", "Stripe-Signature", "X-ANET-Signature", "aeg-event-type", "aeg-subscription-name", "aeg-delivery-count", "aeg-data-version", "X-Forwarded-For"];

    public static IServiceCollection AddIntake(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IntakeOptions>().Bind(configuration.GetSection("Intake")).Validate(o => o.Worker.MaxAttempts >= 1 && o.Worker.BatchSize >= 1 && o.MaxWebhookBodyBytes > 0, "Intake:Worker:MaxAttempts, BatchSize and MaxWebhookBodyBytes must be positive").ValidateOnStart();
        services.AddHttpClient(nameof(FetchAuthorizeNetTransaction), http => http.Timeout = TimeSpan.FromSeconds(20));
        services.AddTransient(sp => new FetchAuthorizeNetTransaction(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(FetchAuthorizeNetTransaction)), sp.GetRequiredService<IOptions<IntakeOptions>>().Value.AuthorizeNet));
        services.AddSingleton<InboxWriter>();
        services.AddHostedService<InboxWorker>();
        return services;
    }

    public static IEndpointRouteBuilder MapIntake(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/webhooks");
        group.MapPost("/stripe", Stripe);
        group.MapPost("/authorizenet", AuthorizeNet);
        group.MapPost("/imis", Imis);
        return app;
    }

    public static async Task<Results<Ok<Received>, Conflict<ProblemHttpResult>, ProblemHttpResult>> Stripe(HttpContext http, Store store, InboxWriter inbox, TimeProvider clock, IOptions<IntakeOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        var secrets = o.Stripe.AllSecrets();
        if (secrets.Count == 0) return Off("Stripe", "Intake:Stripe:WebhookSecret");
        var (body, tooLarge) = await ReadBodyAsync(http, o.MaxWebhookBodyBytes, ct);
        if (tooLarge is not null) return tooLarge;
        if (VerifyStripeSignature.Decode(body) is not { } text) return await RejectAsync(http, store, clock, InboxSources.Stripe, SignatureVerdict.Malformed, "the body is not UTF-8 text", body, ct);
        var (verdict, eventId, detail) = VerifyStripeSignature.Run(text, http.Request.Headers["Stripe-Signature"], secrets, o.Stripe.ToleranceSeconds, clock);
        if (verdict != SignatureVerdict.Valid || eventId is null) return await RejectAsync(http, store, clock, InboxSources.Stripe, verdict, detail, body, ct);
        // The hash is of what was sent (so a redelivery is recognised); what is stored has card numbers masked.
        return await QueueAsync(http, inbox, InboxSources.Stripe, RedactCardNumbers.Run($"stripe:{eventId}"), StripePayloadHash(body), RedactCardNumbers.Run(body), ct);
    }

    public static async Task<Results<Ok<Received>, Conflict<ProblemHttpResult>, ProblemHttpResult>> AuthorizeNet(HttpContext http, Store store, InboxWriter inbox, TimeProvider clock, IOptions<IntakeOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.AuthorizeNet.SignatureKey)) return Off("Authorize.Net", "Intake:AuthorizeNet:SignatureKey");
        var (body, tooLarge) = await ReadBodyAsync(http, o.MaxWebhookBodyBytes, ct);
        if (tooLarge is not null) return tooLarge;
        var verdict = VerifyAuthorizeNetSignature.Run(body, http.Request.Headers["X-ANET-Signature"], o.AuthorizeNet.SignatureKey);
        if (verdict != SignatureVerdict.Valid) return await RejectAsync(http, store, clock, InboxSources.AuthorizeNet, verdict, "X-ANET-Signature " + verdict.ToString().ToLowerInvariant(), body, ct);
        string? notificationId;
        try
        {
            using var doc = JsonDocument.Parse(body);
            notificationId = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("notificationId", out var n) ? n.GetString() : null;
        }
        catch (JsonException)
        {
            notificationId = null;
        }

        if (string.IsNullOrWhiteSpace(notificationId))
            return TypedResults.Problem("The signed body is not an Authorize.Net notification (no notificationId).", statusCode: StatusCodes.Status400BadRequest, title: "Not a notification");
        return await QueueAsync(http, inbox, InboxSources.AuthorizeNet, RedactCardNumbers.Run($"authorizenet:{notificationId}"), QueueInboxItem.Hash(body), RedactCardNumbers.Run(body), ct);
    }

    public static async Task<Results<Ok<Received>, Ok<EventGridValidation>, Conflict<ProblemHttpResult>, ProblemHttpResult>> Imis(HttpContext http, Store store, TimeProvider clock, IOptions<IntakeOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.Imis.SharedSecret)) return Off("iMIS", "Intake:Imis:SharedSecret");
        var (body, tooLarge) = await ReadBodyAsync(http, o.MaxWebhookBodyBytes, ct);
        if (tooLarge is not null) return tooLarge;
        var given = http.Request.Headers["X-DuesPilot-Secret"].FirstOrDefault() ?? http.Request.Query["code"].FirstOrDefault();
        if (given is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(o.Imis.SharedSecret)))
            return await RejectAsync(http, store, clock, InboxSources.Imis, given is null ? SignatureVerdict.Missing : SignatureVerdict.Invalid, "shared secret " + (given is null ? "missing" : "wrong"), body, ct);

        List<JsonElement> events;
        try
        {
            using var doc = JsonDocument.Parse(body);
            events = doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())] : [doc.RootElement.Clone()];
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem($"The body is not JSON: {ex.Message}", statusCode: StatusCodes.Status400BadRequest, title: "Not an Event Grid delivery");
        }

        // Event Grid first sends a subscription validation event; echoing its code completes the handshake.
        var validation = events.FirstOrDefault(e => JsonFields.Str(e, "eventType") == "Microsoft.EventGrid.SubscriptionValidationEvent");
        if (validation.ValueKind == JsonValueKind.Object)
            return TypedResults.Ok(new EventGridValidation(JsonFields.Str(validation, "data", "validationCode") ?? ""));

        if (events.Count == 0 || events.Any(e => JsonFields.Str(e, "id") is null))
            return TypedResults.Problem("Every event needs an id.", statusCode: StatusCodes.Status400BadRequest, title: "Not an Event Grid delivery");
        var headers = Headers(http);
        var results = await store.InTransactionAsync(async (c, tx) =>
        {
            var list = new List<QueueResult>();
            foreach (var e in events)
            {
                var one = JsonSerializer.SerializeToUtf8Bytes(e);
                // The hash is of what was sent; what is stored has card numbers masked (after decoding).
                list.Add(await QueueInboxItem.RunAsync(c, tx, clock, new InboxItem(InboxSources.Imis, RedactCardNumbers.Run($"imis:{JsonFields.Str(e, "id")}"), QueueInboxItem.Hash(one), RedactCardNumbers.Run(one), "application/json", headers)));
            }

            return list;
        }, ct);
        if (results.Any(r => r.Outcome == QueueOutcome.Conflict))
            return TypedResults.Conflict(TypedResults.Problem("An event id was already received with different content; recorded as an alert.", statusCode: StatusCodes.Status409Conflict, title: "Duplicate id, different payload"));
        return TypedResults.Ok(new Received(results[0].ItemId, results.All(r => r.Outcome == QueueOutcome.Duplicate) ? "duplicate" : "queued"));
    }

    /// <summary>
    /// Stripe may redeliver an event with a different <c>pending_webhooks</c> count, so the payload hash
    /// covers what the event says (id, type, created, data), not the raw bytes.
    /// </summary>
    public static string StripePayloadHash(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement;
        var canonical = $"{Raw(r, "id")}|{Raw(r, "type")}|{Raw(r, "created")}|{Raw(r, "data")}";
        return QueueInboxItem.Hash(Encoding.UTF8.GetBytes(canonical));

        static string Raw(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetRawText() : "";
    }

    private static async Task<Results<Ok<Received>, Conflict<ProblemHttpResult>, ProblemHttpResult>> QueueAsync(HttpContext http, InboxWriter inbox, string source, string key, string hash, byte[] body, CancellationToken ct)
    {
        var result = await inbox.QueueAsync(new InboxItem(source, key, hash, body, http.Request.ContentType, Headers(http)), ct);
        return result.Outcome switch
        {
            QueueOutcome.Queued => TypedResults.Ok(new Received(result.ItemId, "queued")),
            QueueOutcome.Duplicate => TypedResults.Ok(new Received(result.ItemId, "duplicate")),
            _ => TypedResults.Conflict(TypedResults.Problem($"{key} was already received with different content; recorded as an alert.", statusCode: StatusCodes.Status409Conflict, title: "Duplicate id, different payload")),
        };
    }

    private static async Task<ProblemHttpResult> RejectAsync(HttpContext http, Store store, TimeProvider clock, string source, SignatureVerdict verdict, string detail, byte[] body, CancellationToken ct)
    {
        await RecordRejectedRequest.RunAsync(store, clock, new RejectedRequest(source, RedactCardNumbers.Run($"{verdict}: {detail}"), http.Connection.RemoteIpAddress?.ToString(), Headers(http), body), ct);
        var status = verdict is SignatureVerdict.Missing or SignatureVerdict.Invalid ? StatusCodes.Status401Unauthorized : StatusCodes.Status400BadRequest;
        return TypedResults.Problem(detail, statusCode: status, title: verdict == SignatureVerdict.Stale ? "Stale signature" : "Signature refused");
    }

    private static ProblemHttpResult Off(string what, string setting) =>
        TypedResults.Problem($"{what} webhooks are off: set {setting} to turn them on.", statusCode: StatusCodes.Status404NotFound, title: $"{what} intake is off");

    private static async Task<(byte[] Body, ProblemHttpResult? TooLarge)> ReadBodyAsync(HttpContext http, int limit, CancellationToken ct)
    {
        ProblemHttpResult Refuse() => TypedResults.Problem(string.Create(CultureInfo.InvariantCulture, $"Webhook bodies are limited to {limit:N0} bytes."), statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large");
        if (http.Request.ContentLength > limit) return ([], Refuse());
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > limit) return ([], Refuse());
            buffer.Write(chunk, 0, n);
        }

        return (buffer.ToArray(), null);
    }

    private static string Headers(HttpContext http)
    {
        var kept = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in KeptHeaders)
        {
            if (http.Request.Headers.TryGetValue(name, out var v)) kept[name] = RedactCardNumbers.Run(v.ToString());
        }

        return JsonSerializer.Serialize(kept);
    }
}

/// <summary>The Event Grid handshake answer.</summary>
public sealed record EventGridValidation(string ValidationResponse);

/// <summary>Reads JSON fields the way the intake processors do.</summary>
internal static class JsonFields
{
    public static string? Str(JsonElement e, params string[] path)
    {
        var cur = e;
        foreach (var p in path)
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur)) return null;
        }

        return cur.ValueKind == JsonValueKind.String ? cur.GetString() : null;
    }
}
