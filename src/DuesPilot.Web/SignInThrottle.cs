using System.Collections.Concurrent;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Web;

/// <summary>Sign-in limits (configuration <c>Staff:SignIn</c>).</summary>
public sealed class SignInLimits
{
    /// <summary>Wrong passwords for one user name within the window before the account is locked.</summary>
    public int MaxFailuresPerUser { get; set; } = 5;

    /// <summary>Wrong passwords from one address within the window before the address is refused.</summary>
    public int MaxFailuresPerAddress { get; set; } = 20;

    /// <summary>The window and the lockout, in minutes.</summary>
    public double LockoutMinutes { get; set; } = 15;
}

/// <summary>
/// Sign-in throttling and lockout (security finding 8): after <see cref="SignInLimits.MaxFailuresPerUser"/>
/// wrong passwords for a user name (or <see cref="SignInLimits.MaxFailuresPerAddress"/> from one address)
/// within the window, sign-in is refused for the lockout period even with the right password, and the
/// lockout is written to the audit log. Counts are per instance (in memory): with N instances an attacker
/// gets at most N times the attempts.
/// </summary>
public sealed class SignInThrottle(SignInLimits limits, Store store, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.OrdinalIgnoreCase);

    public bool IsLocked(string userName, string? address) => Locked("user:" + userName) || (address is not null && Locked("addr:" + address));

    public async Task FailedAsync(string userName, string? address, CancellationToken ct)
    {
        var lockedNow = Fail("user:" + userName, limits.MaxFailuresPerUser);
        var addressLocked = address is not null && Fail("addr:" + address, limits.MaxFailuresPerAddress);
        if (lockedNow || addressLocked)
        {
            await new AuditTrail(store, clock).AppendAsync(new AuditEvent(userName, "staff.sign-in-locked", $"staff:{userName}",
                lockedNow ? $"{limits.MaxFailuresPerUser} wrong passwords; sign-in locked for {limits.LockoutMinutes:0.#} minutes" : $"{limits.MaxFailuresPerAddress} wrong passwords from {address}; address locked for {limits.LockoutMinutes:0.#} minutes",
                Inputs: address is null ? null : $"address {address}"), ct);
        }
    }

    public void Succeeded(string userName) => _counters.TryRemove("user:" + userName, out _);

    private bool Locked(string key) => _counters.TryGetValue(key, out var c) && c.LockedUntil is { } until && clock.GetUtcNow() < until;

    /// <summary>Counts a failure; true when this failure locks the key.</summary>
    private bool Fail(string key, int max)
    {
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromMinutes(limits.LockoutMinutes);
        var counter = _counters.GetOrAdd(key, _ => new Counter());
        lock (counter)
        {
            if (now - counter.WindowStart > window) (counter.WindowStart, counter.Failures) = (now, 0);
            counter.Failures++;
            if (counter.Failures < max || (counter.LockedUntil is { } until && now < until)) return false;
            counter.LockedUntil = now + window;
            return true;
        }
    }

    private sealed class Counter
    {
        public DateTimeOffset WindowStart { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
    }
}
