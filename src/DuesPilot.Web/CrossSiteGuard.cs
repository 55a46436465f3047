using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Web;

/// <summary>
/// Endpoint metadata: a state-changing endpoint that does not act on the staff cookie (a webhook verifies
/// its signature, the member assistant a signed member token), so a request from another site gains
/// nothing from the browser's cookies. Every other state-changing endpoint is guarded by <see cref="CrossSiteGuard"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class CrossSiteAllowedAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Refuses cross-site requests to every state-changing route (security finding 2). SameSite cookies do not
/// separate sites on one host (another port) or sibling subdomains, so a signed-in reviewer's browser could
/// be made to post. A POST/PUT/PATCH/DELETE is refused with 403 when
/// <list type="bullet">
/// <item><c>Sec-Fetch-Site</c> says it comes from anywhere but this origin (<c>same-site</c> included), or</item>
/// <item><c>Origin</c> names another host or port than the request's, or</item>
/// <item>its content type is one a plain form or <c>fetch</c> can send without a preflight (none,
/// <c>text/plain</c>, form encodings) and it carries no valid antiforgery token (form field or the
/// <c>RequestVerificationToken</c> header).</item>
/// </list>
/// Scripts and integrations send <c>application/json</c> (which a cross-site page cannot without a CORS
/// preflight, which is never granted) or the token.
/// </summary>
public static class CrossSiteGuard
{
    public const string TokenHeader = "RequestVerificationToken";

    public static IApplicationBuilder UseCrossSiteGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (IsSafe(http.Request.Method) || http.GetEndpoint()?.Metadata.GetMetadata<CrossSiteAllowedAttribute>() is not null)
        {
            await next(http);
            return;
        }

        if (await RefusalAsync(http) is { } reason)
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await Results.Problem(reason, statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused").ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    public static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    /// <summary>Content types a cross-site form or <c>fetch</c> sends without a CORS preflight.</summary>
    public static bool IsSimpleContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return true;
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<string?> RefusalAsync(HttpContext http)
    {
        var site = http.Request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && !site.Equals("same-origin", StringComparison.OrdinalIgnoreCase) && !site.Equals("none", StringComparison.OrdinalIgnoreCase))
            return $"This request came from another site (Sec-Fetch-Site: {site}).";
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return "This request came from another origin.";
        if (IsSimpleContentType(http.Request.ContentType))
        {
            var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(http))
                return $"Send application/json or the antiforgery token (form field or the {TokenHeader} header).";
        }

        return null;
    }

    /// <summary>Staff pages and the API may not be framed (clickjacking); a response that set its own policy keeps it.</summary>
    public static IApplicationBuilder UseFrameProtection(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            if (!headers.ContainsKey("Content-Security-Policy"))
            {
                headers.XFrameOptions = "DENY";
                headers.ContentSecurityPolicy = "frame-ancestors 'none'";
            }

            headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        await next(http);
    });
}
