using System.Data.Common;
using Dapper;
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
/// lockout is written to the audit log. The counts live in the store (<c>sign_in_counters</c>), counted
/// with one atomic upsert per key, so every instance sharing the store shares them: two hosts behind a
/// load balancer give an attacker no more attempts than one.
/// </summary>
public sealed class SignInThrottle(SignInLimits limits, Store store, TimeProvider clock)
{
    public async Task<bool> IsLockedAsync(string userName, string? address, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var keys = address is null ? new[] { UserKey(userName) } : [UserKey(userName), "addr:" + address];
        var now = DbTime.Format(clock.GetUtcNow());
        foreach (var key in keys)
        {
            var until = await c.ExecuteScalarAsync<string?>("SELECT locked_until FROM sign_in_counters WHERE counter_key = @key", new { key });
            if (until is not null && string.CompareOrdinal(now, until) < 0) return true;
        }

        return false;
    }

    public Task FailedAsync(string userName, string? address, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var lockedNow = await FailAsync(c, tx, UserKey(userName), limits.MaxFailuresPerUser);
            var addressLocked = address is not null && await FailAsync(c, tx, "addr:" + address, limits.MaxFailuresPerAddress);
            if (lockedNow || addressLocked)
            {
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(userName, "staff.sign-in-locked", $"staff:{userName}",
                    lockedNow ? $"{limits.MaxFailuresPerUser} wrong passwords; sign-in locked for {limits.LockoutMinutes:0.#} minutes" : $"{limits.MaxFailuresPerAddress} wrong passwords from {address}; address locked for {limits.LockoutMinutes:0.#} minutes",
                    Inputs: address is null ? null : $"address {address}"));
            }

            return 0;
        }, ct);

    /// <summary>A right password clears the user name's count (not the address's).</summary>
    public async Task SucceededAsync(string userName, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM sign_in_counters WHERE counter_key = @key", new { key = UserKey(userName) }, cancellationToken: ct));
    }

    private static string UserKey(string userName) => "user:" + userName.ToLowerInvariant();

    /// <summary>Counts a failure in one statement (a new window when the last began longer ago than the window); true when this failure locks the key.</summary>
    private async Task<bool> FailAsync(DbConnection c, DbTransaction tx, string key, int max)
    {
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromMinutes(limits.LockoutMinutes);
        var args = new { key, now = DbTime.Format(now), cutoff = DbTime.Format(now - window), until = DbTime.Format(now + window), max };
        await c.ExecuteAsync(
            """
            INSERT INTO sign_in_counters (counter_key, window_start, failures, locked_until) VALUES (@key, @now, 1, NULL)
            ON CONFLICT (counter_key) DO UPDATE SET
                failures = CASE WHEN sign_in_counters.window_start < @cutoff THEN 1 ELSE sign_in_counters.failures + 1 END,
                window_start = CASE WHEN sign_in_counters.window_start < @cutoff THEN @now ELSE sign_in_counters.window_start END
            """, args, tx);
        // The row is now locked by this transaction (PostgreSQL) or the only writer's (SQLite): one host locks it, once.
        var locked = await c.ExecuteAsync(
            "UPDATE sign_in_counters SET locked_until = @until WHERE counter_key = @key AND failures >= @max AND (locked_until IS NULL OR locked_until <= @now)", args, tx);
        return locked == 1;
    }
}
