using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DuesPilot.ImisSandbox;

/// <summary>Everything the endpoints share: options, the database, issued tokens, the fault dice and counters.</summary>
internal sealed class SandboxState(ImisSandboxOptions options, SandboxDb db)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly Random _dice = new(options.Faults.Seed);
    private readonly Lock _diceLock = new();
    private long _tokensIssued;
    private long _faultsInjected;
    private long _writesDropped;
    private long _requests;
    private int _inFlight;
    private int _maxInFlight;

    public ImisSandboxOptions Options { get; } = options;
    public SandboxDb Db { get; } = db;
    public TimeProvider Clock => Options.Clock;

    public long TokensIssued => Interlocked.Read(ref _tokensIssued);
    public long FaultsInjected => Interlocked.Read(ref _faultsInjected);
    public long WritesDropped => Interlocked.Read(ref _writesDropped);
    public long Requests => Interlocked.Read(ref _requests);

    public (string Token, DateTimeOffset Issued, DateTimeOffset Expires) IssueToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        var issued = Clock.GetUtcNow();
        var expires = issued.AddSeconds(Options.TokenLifetimeSeconds);
        _tokens[token] = expires;
        Interlocked.Increment(ref _tokensIssued);
        return (token, issued, expires);
    }

    public bool IsValid(string token) => _tokens.TryGetValue(token, out var expires) && Clock.GetUtcNow() < expires;

    /// <summary>Makes every issued token invalid, as a site restore or a password change does.</summary>
    public void ExpireAllTokens() => _tokens.Clear();

    public bool Roll(double probability)
    {
        if (probability <= 0) return false;
        lock (_diceLock) return _dice.NextDouble() < probability;
    }

    public int Pick(int count)
    {
        lock (_diceLock) return _dice.Next(count);
    }

    /// <summary>The most <c>/api</c> requests ever being handled at once (to check a client's concurrency cap).</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
    public void CountFault() => Interlocked.Increment(ref _faultsInjected);
    public void CountDroppedWrite() => Interlocked.Increment(ref _writesDropped);
}
