using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using DuesPilot.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Server.Api;

/// <summary>Limits of the member assistant (configuration <c>Inquiries:Limits</c>).</summary>
public sealed class AssistantLimits
{
    /// <summary>Questions one member link may ask per minute.</summary>
    public int PerLinkPerMinute { get; set; } = 5;

    /// <summary>Questions one address may ask per minute (all links together).</summary>
    public int PerAddressPerMinute { get; set; } = 30;

    /// <summary>Largest request body: a token and a question of at most 2,000 characters fit easily.</summary>
    public int MaxBodyBytes { get; set; } = 16 * 1024;
}

/// <summary>Who may read <c>/metrics</c> (configuration <c>Metrics</c>).</summary>
public sealed class MetricsAccessOptions
{
    /// <summary><c>loopback</c> (default: only from the machine itself), <c>token</c> (<c>Authorization: Bearer {Metrics:Token}</c>) or <c>open</c>.</summary>
    public string Access { get; set; } = "loopback";

    public string? Token { get; set; }
}

/// <summary>
/// Request limits (security finding 8): the ASP.NET Core rate limiter per address and a per-link limiter on
/// the member assistant, body size limits that fit each endpoint, and <c>/metrics</c> behind a setting.
/// </summary>
public static class ServiceLimits
{
    public const string AssistantPerAddress = "assistant-per-address";

    /// <summary>Largest body of a staff API call (JSON actions).</summary>
    public const long StaffApiMaxBodyBytes = 256 * 1024;

    public static IServiceCollection AddServiceLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var assistant = new AssistantLimits();
        Settings.Bind(configuration, "Inquiries:Limits", assistant);
        var metrics = new MetricsAccessOptions();
        Settings.Bind(configuration, "Metrics", metrics);
        if (metrics.Access is not ("loopback" or "token" or "open") || (metrics.Access == "token" && string.IsNullOrWhiteSpace(metrics.Token)))
            throw new InvalidOperationException("Metrics:Access must be loopback, token (with Metrics:Token) or open");
        if (assistant.PerLinkPerMinute < 1 || assistant.PerAddressPerMinute < 1 || assistant.MaxBodyBytes < 1024)
            throw new InvalidOperationException("Inquiries:Limits: PerLinkPerMinute and PerAddressPerMinute must be at least 1, MaxBodyBytes at least 1024");
        services.AddSingleton(assistant);
        services.AddSingleton(metrics);
        services.AddSingleton(new AssistantLinkLimiter(assistant));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(AssistantPerAddress, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = assistant.PerAddressPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return services;
    }

    public static WebApplication UseServiceLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        var metrics = app.Services.GetRequiredService<MetricsAccessOptions>();
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/metrics") && !MetricsAllowed(http, metrics))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(http);
        });
        return app;
    }

    private static bool MetricsAllowed(HttpContext http, MetricsAccessOptions o) => o.Access switch
    {
        "open" => true,
        "token" => http.Request.Headers.Authorization.ToString() is var a && a.StartsWith("Bearer ", StringComparison.Ordinal) &&
                   CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a["Bearer ".Length..].Trim()), Encoding.UTF8.GetBytes(o.Token!)),
        _ => http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip),
    };
}

/// <summary>Questions per member link per minute: the link (token) is only known once the body is read, so the handler asks this limiter.</summary>
public sealed class AssistantLinkLimiter(AssistantLimits limits)
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.PerLinkPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

    public bool TryAcquire(string token)
    {
        using var lease = _limiter.AttemptAcquire(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
        return lease.IsAcquired;
    }
}
