using System.Globalization;
using System.Text;
using System.Text.Json;
using DuesPilot.Features.Intake;
using DuesPilot.Imis;
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
        // The Intake options themselves are bound with the other settings (AddDuesPilotSettings).
        services.AddHttpClient(nameof(FetchAuthorizeNetTransaction), http => http.Timeout = TimeSpan.FromSeconds(20));
        services.AddTransient(sp => new FetchAuthorizeNetTransaction(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(FetchAuthorizeNetTransaction)), sp.GetRequiredService<IOptions<IntakeOptions>>().Value.AuthorizeNet));
        services.AddSingleton<InboxWriter>();
        services.AddHostedService<InboxWorker>();
        return services;
    }

    public static IEndpointRouteBuilder MapIntake(this IEndpointRouteBuilder app)
    {
        // Senders are servers proving themselves by signature or shared secret, never by the staff cookie.
        var group = app.MapGroup("/webhooks").WithMetadata(new DuesPilot.Web.CrossSiteAllowedAttribute("webhooks authenticate by signature, not by cookie")).AllowAnonymous();
        // Anything unexpected is still a recorded refusal, never an unrecorded 500.
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var http = context.HttpContext;
                var source = http.Request.Path.Value?.Split('/').LastOrDefault() ?? "webhook";
                await RecordRejectedRequest.RunAsync(http.RequestServices.GetRequiredService<Store>(), http.RequestServices.GetRequiredService<TimeProvider>(),
                    new RejectedRequest(source, RedactCardNumbers.Run($"Error: {ex.GetType().Name}"), http.Connection.RemoteIpAddress?.ToString(), Headers(http), []), CancellationToken.None);
                return TypedResults.Problem("The delivery could not be handled; it was recorded and was not queued. Send it again later.", statusCode: StatusCodes.Status500InternalServerError, title: "Not received");
            }
        });
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
        var (body, unread) = await ReadBodyAsync(http, o, ct);
        if (unread is not null) return await RefuseAsync(http, store, clock, InboxSources.Stripe, unread, body, ct);
        if (VerifyStripeSignature.Decode(body) is not { } text) return await RejectAsync(http, store, clock, InboxSources.Stripe, SignatureVerdict.Malformed, "the body is not UTF-8 text", body, ct);
        // Verified, then parsed once: event id, payload hash and card-number masking all come from one parse.
        var delivery = VerifyStripeSignature.Read(body, text, http.Request.Headers["Stripe-Signature"], secrets, o.Stripe.ToleranceSeconds, clock);
        if (delivery.Verdict != SignatureVerdict.Valid) return await RejectAsync(http, store, clock, InboxSources.Stripe, delivery.Verdict, delivery.Detail, body, ct);
        // Correctly signed but not an event (e.g. "{}"): a shape refusal, not "Valid".
        if (string.IsNullOrWhiteSpace(delivery.EventId))
            return await RefuseAsync(http, store, clock, InboxSources.Stripe, new Refusal(StatusCodes.Status400BadRequest, "Not a Stripe event", "the signed body has no event id"), body, ct);
        // The hash is of what was sent (so a redelivery is recognised); what is stored has card numbers masked.
        return await QueueAsync(http, inbox, InboxSources.Stripe, RedactCardNumbers.Run($"stripe:{delivery.EventId}"), delivery.PayloadHash!, delivery.Stored!, ct);
    }

    public static async Task<Results<Ok<Received>, Conflict<ProblemHttpResult>, ProblemHttpResult>> AuthorizeNet(HttpContext http, Store store, InboxWriter inbox, TimeProvider clock, IOptions<IntakeOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.AuthorizeNet.SignatureKey)) return Off("Authorize.Net", "Intake:AuthorizeNet:SignatureKey");
        var (body, unread) = await ReadBodyAsync(http, o, ct);
        if (unread is not null) return await RefuseAsync(http, store, clock, InboxSources.AuthorizeNet, unread, body, ct);
        var verdict = VerifyAuthorizeNetSignature.Run(body, http.Request.Headers["X-ANET-Signature"], o.AuthorizeNet.SignatureKey);
        if (verdict != SignatureVerdict.Valid) return await RejectAsync(http, store, clock, InboxSources.AuthorizeNet, verdict, "X-ANET-Signature " + verdict.ToString().ToLowerInvariant(), body, ct);
        string? notificationId;
        try
        {
            using var doc = JsonDocument.Parse(body);
            // Only a string is an id: a number, object or array is a body of the wrong shape, refused below.
            notificationId = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("notificationId", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        }
        catch (JsonException)
        {
            notificationId = null;
        }

        if (string.IsNullOrWhiteSpace(notificationId))
            return await RefuseAsync(http, store, clock, InboxSources.AuthorizeNet, new Refusal(StatusCodes.Status400BadRequest, "Not a notification", "the signed body is not an Authorize.Net notification (no notificationId text)"), body, ct);
        return await QueueAsync(http, inbox, InboxSources.AuthorizeNet, RedactCardNumbers.Run($"authorizenet:{notificationId}"), QueueInboxItem.Hash(body), RedactCardNumbers.Run(body), ct);
    }

    public static async Task<Results<Ok<Received>, Ok<EventGridValidation>, Conflict<ProblemHttpResult>, ProblemHttpResult>> Imis(HttpContext http, Store store, TimeProvider clock, IOptions<IntakeOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.Imis.SharedSecret)) return Off("iMIS", "Intake:Imis:SharedSecret");
        var (body, unread) = await ReadBodyAsync(http, o, ct);
        if (unread is not null) return await RefuseAsync(http, store, clock, InboxSources.Imis, unread, body, ct);
        var given = http.Request.Headers["X-DuesPilot-Secret"].FirstOrDefault() ?? http.Request.Query["code"].FirstOrDefault();
        if (given is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(o.Imis.SharedSecret)))
            return await RejectAsync(http, store, clock, InboxSources.Imis, given is null ? SignatureVerdict.Missing : SignatureVerdict.Invalid, "shared secret " + (given is null ? "missing" : "wrong"), body, ct);

        // One reading of an Event Grid delivery (ReceiveImisChangeNotifications): the subscription-validation
        // handshake is answered with its code; each Entity.Action event is queued, and the inbox worker re-reads
        // the changed member or invoice from iMIS (RereadImisChange).
        switch (ReceiveImisChangeNotifications.Read(Encoding.UTF8.GetString(body)))
        {
            case ReceiveImisChangeNotifications.Delivery.Validation v:
                return TypedResults.Ok(new EventGridValidation(v.Code));
            case ReceiveImisChangeNotifications.Delivery.Malformed m:
                return await RefuseAsync(http, store, clock, InboxSources.Imis, new Refusal(StatusCodes.Status400BadRequest, "Not an Event Grid delivery", m.Reason), body, ct);
            case ReceiveImisChangeNotifications.Delivery.Notices n when n.Items.Count == 0 || n.Items.Any(i => i.EventId.Length == 0):
                return await RefuseAsync(http, store, clock, InboxSources.Imis, new Refusal(StatusCodes.Status400BadRequest, "Not an Event Grid delivery", "every event needs an id"), body, ct);
        }

        List<JsonElement> events;
        using (var doc = JsonDocument.Parse(body))
            events = doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())] : [doc.RootElement.Clone()];
        var headers = Headers(http);
        var results = await store.InTransactionAsync(async (c, tx) =>
        {
            var list = new List<QueueResult>();
            foreach (var e in events)
            {
                var one = JsonSerializer.SerializeToUtf8Bytes(e);
                // The hash is of what was sent; what is stored has card numbers masked (after decoding).
                list.Add(await QueueInboxItem.RunAsync(c, tx, clock, new InboxItem(InboxSources.Imis, RedactCardNumbers.Run($"imis:{DuesPilot.JsonPath.Text(e, "id")}"), QueueInboxItem.Hash(one), RedactCardNumbers.Run(one), "application/json", headers)));
            }

            return list;
        }, ct);
        if (results.Any(r => r.Outcome == QueueOutcome.Conflict))
            return TypedResults.Problem("An event id was already received with different content; recorded as an alert.", statusCode: StatusCodes.Status409Conflict, title: "Duplicate id, different payload");
        return TypedResults.Ok(new Received(results[0].ItemId, results.All(r => r.Outcome == QueueOutcome.Duplicate) ? "duplicate" : "queued"));
    }

    /// <summary>The payload hash of a Stripe body (see <see cref="VerifyStripeSignature.PayloadHash"/>): what the event says, not the raw bytes.</summary>
    public static string StripePayloadHash(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        return VerifyStripeSignature.PayloadHash(doc.RootElement);
    }

    private static async Task<Results<Ok<Received>, Conflict<ProblemHttpResult>, ProblemHttpResult>> QueueAsync(HttpContext http, InboxWriter inbox, string source, string key, string hash, byte[] body, CancellationToken ct)
    {
        var result = await inbox.QueueAsync(new InboxItem(source, key, hash, body, http.Request.ContentType, Headers(http)), ct);
        return result.Outcome switch
        {
            QueueOutcome.Queued => TypedResults.Ok(new Received(result.ItemId, "queued")),
            QueueOutcome.Duplicate => TypedResults.Ok(new Received(result.ItemId, "duplicate")),
            // A plain ProblemDetails body with status 409 (not wrapped in another object).
            _ => TypedResults.Problem($"{key} was already received with different content; recorded as an alert.", statusCode: StatusCodes.Status409Conflict, title: "Duplicate id, different payload"),
        };
    }

    private static Task<ProblemHttpResult> RejectAsync(HttpContext http, Store store, TimeProvider clock, string source, SignatureVerdict verdict, string detail, byte[] body, CancellationToken ct)
    {
        var status = verdict is SignatureVerdict.Missing or SignatureVerdict.Invalid ? StatusCodes.Status401Unauthorized : StatusCodes.Status400BadRequest;
        return RefuseAsync(http, store, clock, source, new Refusal(status, verdict == SignatureVerdict.Stale ? "Stale signature" : "Signature refused", detail, verdict.ToString()), body, ct);
    }

    /// <summary>Every refusal is recorded in <c>inbox_rejections</c> with its reason (never the body or a secret), then answered as plain ProblemDetails.</summary>
    private static async Task<ProblemHttpResult> RefuseAsync(HttpContext http, Store store, TimeProvider clock, string source, Refusal refusal, byte[] body, CancellationToken ct)
    {
        // Recorded even when the sender has gone (a stalled body): the refusal must not be lost with the request.
        await RecordRejectedRequest.RunAsync(store, clock, new RejectedRequest(source, RedactCardNumbers.Run($"{refusal.Kind ?? refusal.Title}: {refusal.Detail}"), http.Connection.RemoteIpAddress?.ToString(), Headers(http), body), CancellationToken.None);
        return TypedResults.Problem(refusal.Detail, statusCode: refusal.Status, title: refusal.Title);
    }

    /// <summary>Why a request is refused: the status, a title, the detail, and the kind recorded (the title when none).</summary>
    public sealed record Refusal(int Status, string Title, string Detail, string? Kind = null);

    private static ProblemHttpResult Off(string what, string setting) =>
        TypedResults.Problem($"{what} webhooks are off: set {setting} to turn them on.", statusCode: StatusCodes.Status404NotFound, title: $"{what} intake is off");

    /// <summary>
    /// Reads the body up to the size limit and within the time limit: a larger body is 413 (as soon as it is
    /// known), a sender that stalls is 408; the part read so far comes back for the record's hash and length.
    /// </summary>
    private static async Task<(byte[] Body, Refusal? Refusal)> ReadBodyAsync(HttpContext http, IntakeOptions options, CancellationToken ct)
    {
        var limit = options.MaxWebhookBodyBytes;
        var tooLarge = new Refusal(StatusCodes.Status413PayloadTooLarge, "Body too large", string.Create(CultureInfo.InvariantCulture, $"webhook bodies are limited to {limit:N0} bytes"));
        if (http.Request.ContentLength > limit) return ([], tooLarge);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.BodyTimeoutSeconds));
        if (http.Request.ContentLength is { } declared)
        {
            // The usual case (webhook senders state the length): read straight into an array of that size.
            var exact = new byte[declared];
            var read = 0;
            try
            {
                int got;
                while (read < exact.Length && (got = await http.Request.Body.ReadAsync(exact.AsMemory(read), timeout.Token)) > 0) read += got;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return (exact[..read], Stalled(options.BodyTimeoutSeconds));
            }
            catch (BadHttpRequestException ex)
            {
                return (exact[..read], ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? tooLarge : ex.StatusCode == StatusCodes.Status408RequestTimeout ? Stalled(options.BodyTimeoutSeconds) : new Refusal(ex.StatusCode, "Bad request", ex.Message));
            }

            return (read == exact.Length ? exact : exact[..read], null);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + n > limit) return (buffer.ToArray(), tooLarge);
                buffer.Write(chunk, 0, n);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (buffer.ToArray(), Stalled(options.BodyTimeoutSeconds));
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limits: the minimum data rate (a stall) is 408, an oversize body 413.
            return (buffer.ToArray(), ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? tooLarge : ex.StatusCode == StatusCodes.Status408RequestTimeout ? Stalled(options.BodyTimeoutSeconds) : new Refusal(ex.StatusCode, "Bad request", ex.Message));
        }

        return (buffer.ToArray(), null);

        static Refusal Stalled(double seconds) =>
            new(StatusCodes.Status408RequestTimeout, "Body stalled", string.Create(CultureInfo.InvariantCulture, $"the body did not arrive within {seconds:0.#} s"));
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

