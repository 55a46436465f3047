using Dapper;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DuesPilot.Web;

/// <summary>A staff account as stored: the password only as a salted PBKDF2 hash (ASP.NET Core Identity's hasher).</summary>
public sealed record StaffAccount(string UserName, string DisplayName, IReadOnlySet<string> Roles, bool Disabled);

/// <summary>Local staff accounts. OpenID Connect can replace them (see <see cref="StaffUiOptions.Oidc"/>).</summary>
public sealed class StaffAccounts(Store store, TimeProvider clock)
{
    private static readonly PasswordHasher<string> Hasher = new();

    /// <summary>Creates or replaces an account. Roles must come from <see cref="StaffRoles.All"/>.</summary>
    public Task SaveAsync(string userName, string displayName, string password, IEnumerable<string> roles, CancellationToken ct = default)
    {
        var roleList = roles.Select(r => r.Trim().ToLowerInvariant()).Distinct().ToList();
        var unknown = roleList.Except(StaffRoles.All).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown role(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", StaffRoles.All)}.", nameof(roles));
        if (password.Length < 8) throw new ArgumentException("A staff password needs at least 8 characters.", nameof(password));
        var hash = Hasher.HashPassword(userName, password);
        return store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO staff_users (user_name, display_name, password_hash, roles, created_at, disabled) VALUES (@userName, @displayName, @hash, @roles, @now, 0)
            ON CONFLICT (user_name) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash, roles = excluded.roles, disabled = 0
            """,
            new { userName, displayName, hash, roles = string.Join(',', roleList), now = DbTime.Format(clock.GetUtcNow()) }, tx), ct);
    }

    /// <summary>
    /// Creates the first administrator only while no account exists, in one statement (insert-if-absent):
    /// of two instances starting on a fresh database, exactly one creates it and reports true, so only one
    /// prints a password, and it is the one that works.
    /// </summary>
    public async Task<bool> CreateFirstAdministratorAsync(string userName, string password, CancellationToken ct = default)
    {
        if (password.Length < 8) throw new ArgumentException("A staff password needs at least 8 characters.", nameof(password));
        var hash = Hasher.HashPassword(userName, password);
        var rows = await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO staff_users (user_name, display_name, password_hash, roles, created_at, disabled)
            SELECT @userName, 'Administrator', @hash, @roles, @now, 0 WHERE NOT EXISTS (SELECT 1 FROM staff_users)
            ON CONFLICT (user_name) DO NOTHING
            """,
            new { userName, hash, roles = StaffRoles.Administrator, now = DbTime.Format(clock.GetUtcNow()) }, tx), ct);
        return rows == 1;
    }

    /// <summary>The account when the password is right and the account enabled; otherwise null (no hint which part was wrong).</summary>
    public async Task<StaffAccount?> VerifyAsync(string userName, string password, CancellationToken ct = default)
    {
        var row = await store.InTransactionAsync((c, tx) => c.QuerySingleOrDefaultAsync<(string User, string Display, string Hash, string Roles, long Disabled)?>(
            "SELECT user_name, display_name, password_hash, roles, disabled FROM staff_users WHERE user_name = @userName", new { userName }, tx), ct);
        if (row is not { } r || r.Disabled != 0) return null;
        var result = Hasher.VerifyHashedPassword(r.User, r.Hash, password);
        return result == PasswordVerificationResult.Failed ? null : new StaffAccount(r.User, r.Display, r.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(), false);
    }

    /// <summary>An enabled account by name, without checking a password: for the CLI, whose user already holds the store.</summary>
    public async Task<StaffAccount?> FindAsync(string userName, CancellationToken ct = default)
    {
        var row = await store.InTransactionAsync((c, tx) => c.QuerySingleOrDefaultAsync<(string User, string Display, string Roles, long Disabled)?>(
            "SELECT user_name, display_name, roles, disabled FROM staff_users WHERE user_name = @userName", new { userName }, tx), ct);
        return row is { Disabled: 0 } r ? new StaffAccount(r.User, r.Display, r.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(), false) : null;
    }

    public Task<IReadOnlyList<string>> UserNamesAsync(CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<string>>(async (c, tx) =>
            (await c.QueryAsync<string>("SELECT user_name FROM staff_users WHERE disabled = 0 ORDER BY user_name", transaction: tx)).ToList(), ct);

    public Task<long> CountAsync(CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM staff_users", transaction: tx), ct);
}
