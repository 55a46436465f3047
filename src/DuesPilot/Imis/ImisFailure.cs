using System.Net;
using System.Text.Json;

namespace DuesPilot.Imis;

/// <summary>What kind of failure iMIS (or the way to it) gave.</summary>
public enum ImisFailureKind
{
    /// <summary>400: the request was refused (validation); retrying the same request will not help.</summary>
    Rejected,
    /// <summary>401/403 after re-authenticating: credentials or rights are wrong.</summary>
    Unauthorized,
    /// <summary>404: no such record or entity (e.g. a custom panel that was never created).</summary>
    NotFound,
    /// <summary>429: throttled; retryable.</summary>
    Throttled,
    /// <summary>5xx; retryable.</summary>
    ServerError,
    /// <summary>No answer in time or the connection dropped; retryable, and for a write the outcome is unknown.</summary>
    NoAnswer,
    /// <summary>The answer was not the JSON iMIS sends.</summary>
    Protocol,
}

/// <summary>A typed iMIS failure: kind, HTTP status and the messages iMIS gave (<c>Errors.$values[].Message</c>).</summary>
public sealed record ImisFailure(ImisFailureKind Kind, int? StatusCode, IReadOnlyList<string> Messages, string Request)
{
    public bool IsRetryable => Kind is ImisFailureKind.Throttled or ImisFailureKind.ServerError or ImisFailureKind.NoAnswer;

    public string Message => Messages.Count == 0 ? $"{Kind} ({StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"})" : string.Join(" | ", Messages);

    public override string ToString() => $"iMIS {Request}: {Kind}{(StatusCode is { } s ? " " + s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}: {Message}";

    public static ImisFailureKind KindOf(HttpStatusCode status) => (int)status switch
    {
        400 or 409 or 422 => ImisFailureKind.Rejected,
        401 or 403 => ImisFailureKind.Unauthorized,
        404 => ImisFailureKind.NotFound,
        408 => ImisFailureKind.NoAnswer,
        429 => ImisFailureKind.Throttled,
        >= 500 => ImisFailureKind.ServerError,
        _ => ImisFailureKind.Protocol,
    };

    /// <summary>Reads the messages from an error body: <c>Errors.$values[].Message</c> (iMIS), else <c>Message</c> or OAuth's <c>error_description</c>, else the text itself.</summary>
    public static IReadOnlyList<string> MessagesFrom(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return [];
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (ImisJson.Prop(root, "Errors") is { } errors)
                {
                    var list = ImisJson.Values(errors).Select(e => ImisJson.Str(e, "Message")).OfType<string>().ToList();
                    if (list.Count > 0) return list;
                }

                if (ImisJson.Str(root, "Message") is { } message) return [message];
                if (ImisJson.Str(root, "error_description") is { } description) return [description];
                if (ImisJson.Str(root, "error") is { } error) return [error];
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): fall through to the raw text.
        }

        return [body.Length > 300 ? body[..300] : body];
    }
}

/// <summary>Thrown by reads that fail after retries; carries the typed <see cref="ImisFailure"/>.</summary>
public sealed class ImisRequestException(ImisFailure failure, Exception? inner = null) : Exception(failure.ToString(), inner)
{
    public ImisFailure Failure { get; } = failure;
}
