using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace DuesPilot.Imis;

/// <summary>
/// The HTTP side of the connector: one <see cref="HttpClient"/> whose pipeline is
/// retry (exponential, jittered; only safe requests) → concurrency cap → per-attempt timeout → bearer token
/// (re-authenticating once on a 401) → sockets. The token comes from a separate client with its own
/// retry and no cap, so waiting for a token can never deadlock on the cap.
/// </summary>
public sealed class ImisTransport : IDisposable
{
    /// <summary>Marks a non-GET request as safe for the pipeline to retry (the token request, reads sent as POST).</summary>
    public static readonly HttpRequestOptionsKey<bool> SafeToRetry = new("DuesPilot.Imis.SafeToRetry");

    private readonly HttpClient _api;
    private readonly HttpClient _tokenClient;

    public ImisTransport(ImisOptions options, TimeProvider clock, HttpMessageHandler? network = null, HttpMessageHandler? tokenNetwork = null)
    {
        options.Validate();
        Options = options;
        Tokens = new ImisTokenCache(options, clock, () => _tokenClient!);
        var apiPipeline = Pipeline(options, withCap: true);
        var tokenPipeline = Pipeline(options, withCap: false);
        _tokenClient = new HttpClient(new ResilienceHandler(tokenPipeline) { InnerHandler = tokenNetwork ?? NewSockets(options) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _api = new HttpClient(new ResilienceHandler(apiPipeline)
        {
            InnerHandler = new BearerTokenHandler(Tokens) { InnerHandler = network ?? NewSockets(options) },
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            BaseAddress = options.SiteUri,
        };
    }

    public ImisOptions Options { get; }

    public ImisTokenCache Tokens { get; }

    public HttpClient Api => _api;

    internal HttpClient TokenClient => _tokenClient;

    private static SocketsHttpHandler NewSockets(ImisOptions o) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = Math.Max(o.MaxConcurrency, 2),
        AutomaticDecompression = DecompressionMethods.All,
    };

    private static ResiliencePipeline<HttpResponseMessage> Pipeline(ImisOptions o, bool withCap)
    {
        // Backoff and attempt timeouts are waits on the network, not business time: they run on the system
        // clock even when the caller's clock is a test fake (which would otherwise never let a delay end).
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = TimeProvider.System }
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, o.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(o.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(o.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome) && IsSafe(args.Context)),
            });
        if (withCap) builder.AddConcurrencyLimiter(o.MaxConcurrency, int.MaxValue);
        builder.AddTimeout(TimeSpan.FromSeconds(o.AttemptTimeoutSeconds));
        return builder.Build();
    }

    private static bool IsSafe(ResilienceContext context)
    {
        var request = context.GetRequestMessage();
        if (request is null) return false;
        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head) return true;
        return request.Options.TryGetValue(SafeToRetry, out var safe) && safe;
    }

    public void Dispose()
    {
        _api.Dispose();
        _tokenClient.Dispose();
        Tokens.Dispose();
    }

    /// <summary>Adds the bearer token; on a 401 drops the token, fetches a new one and sends once more (iMIS sometimes rejects valid tokens).</summary>
    private sealed class BearerTokenHandler(ImisTokenCache tokens) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var token = await tokens.GetAsync(cancellationToken);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
            response.Dispose();
            tokens.Invalidate(token);
            var fresh = await tokens.GetAsync(cancellationToken);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// The bearer token from <c>POST {site}/token</c> (password grant). Kept until <c>expires_in</c> minus a margin
/// by the injected clock, renewed by one caller while the others wait, dropped on a 401.
/// </summary>
public sealed class ImisTokenCache(ImisOptions options, TimeProvider clock, Func<HttpClient> client) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _renewAt;
    private int _fetched;

    /// <summary>Tokens fetched so far (for diagnostics and tests).</summary>
    public int Fetched => Volatile.Read(ref _fetched);

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        var current = Volatile.Read(ref _token);
        if (current is not null && clock.GetUtcNow() < _renewAt) return current;
        await _gate.WaitAsync(ct);
        try
        {
            if (_token is not null && clock.GetUtcNow() < _renewAt) return _token;
            var (token, lifetime) = await FetchAsync(ct);
            var margin = Math.Min(options.TokenRenewalMarginSeconds, lifetime / 2);
            _renewAt = clock.GetUtcNow().AddSeconds(lifetime - margin);
            Volatile.Write(ref _token, token);
            Interlocked.Increment(ref _fetched);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="stale"/> if it is still the current token (another caller may have renewed it already).</summary>
    public void Invalidate(string stale) => Interlocked.CompareExchange(ref _token, null, stale);

    private async Task<(string Token, int LifetimeSeconds)> FetchAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.SiteUri, "token"))
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "password"),
                new("username", options.Username),
                new("password", options.Password),
            ]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Options.Set(ImisTransport.SafeToRetry, true);
        HttpResponseMessage response;
        try
        {
            response = await client().SendAsync(request, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new ImisRequestException(new ImisFailure(ImisFailureKind.NoAnswer, null, [ex.Message], "POST /token"), ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var kind = response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized ? ImisFailureKind.Unauthorized : ImisFailure.KindOf(response.StatusCode);
                throw new ImisRequestException(new ImisFailure(kind, (int)response.StatusCode, ImisFailure.MessagesFrom(body), "POST /token"));
            }

            try
            {
                using var doc = JsonDocument.Parse(body);
                var token = ImisJson.Str(doc.RootElement, "access_token");
                if (string.IsNullOrEmpty(token)) throw new JsonException("no access_token");
                // Only access_token and expires_in are confirmed; an hour is assumed when expires_in is missing.
                var lifetime = ImisJson.Int(doc.RootElement, "expires_in") ?? 3600;
                return (token, Math.Max(1, lifetime));
            }
            catch (JsonException ex)
            {
                throw new ImisRequestException(new ImisFailure(ImisFailureKind.Protocol, (int)response.StatusCode, ["The token answer is not the expected JSON: " + ex.Message], "POST /token"), ex);
            }
        }
    }

    public void Dispose() => _gate.Dispose();
}
