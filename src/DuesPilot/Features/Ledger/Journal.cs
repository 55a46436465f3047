using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Ledger;

/// <summary>An account's balance: debits minus credits over every recorded line.</summary>
public sealed record AccountBalance(AccountCode Account, Money Balance);

/// <summary>
/// The ledger in the store. Entries are checked by the domain first (<see cref="JournalEntry"/>,
/// <see cref="LedgerRules"/>) and again by the database (balance and immutability triggers,
/// unique idempotency keys, one resolution per pending entry), so neither a bug here nor a hand-written
/// SQL statement can record an unbalanced or edited entry.
/// </summary>
public sealed class Journal(Store store)
{
    public Store Store => store;

    /// <summary>Records an entry in its own transaction.</summary>
    public Task<LedgerResult> RecordAsync(JournalEntry entry, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => RecordAsync(c, tx, entry), ct);

    /// <summary>Records an entry inside the caller's unit of work.</summary>
    public static async Task<LedgerResult> RecordAsync(DbConnection connection, DbTransaction tx, JournalEntry entry)
    {
        var existingHash = await connection.ExecuteScalarAsync<string?>(
            "SELECT payload_hash FROM journal_entries WHERE idempotency_key = @key", new { key = entry.IdempotencyKey }, tx);
        if (existingHash is not null)
            return existingHash == entry.PayloadHash ? LedgerResult.Exists : LedgerResult.ExistsWithDifferentData;

        JournalEntry? target = null;
        JournalEntry? resolvedBy = null;
        if (entry.Resolves is { } targetId)
        {
            target = await FindAsync(connection, tx, targetId);
            resolvedBy = await FindResolutionAsync(connection, tx, targetId);
        }

        var check = LedgerRules.Check(entry, _ => target, _ => resolvedBy);
        if (check != LedgerResult.Created) return check;

        var id = entry.Id.ToString();
        for (var i = 0; i < entry.Lines.Count; i++)
        {
            var line = entry.Lines[i];
            await connection.ExecuteAsync(
                "INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) VALUES (@id, @no, @account, @currency, @amount)",
                new { id, no = i + 1, account = line.Account.Value, currency = line.Amount.Currency.Code, amount = line.Amount.MinorUnits }, tx);
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO journal_entries (entry_id, idempotency_key, kind, resolves_entry_id, currency, total_minor, created_at, release_at, memo, payload_hash, effective_date)
            VALUES (@id, @key, @kind, @resolves, @currency, @total, @created, @release, @memo, @hash, @effective)
            """,
            new
            {
                id,
                key = entry.IdempotencyKey,
                kind = entry.Kind.ToString(),
                resolves = entry.Resolves?.ToString(),
                currency = entry.Currency.Code,
                total = entry.Total.MinorUnits,
                created = DbTime.Format(entry.CreatedAt),
                release = DbTime.Format(entry.ReleaseAt),
                memo = entry.Memo,
                hash = entry.PayloadHash,
                effective = DbTime.Format(entry.EffectiveDate ?? DateOnly.FromDateTime(entry.CreatedAt.UtcDateTime)),
            }, tx);
        return LedgerResult.Created;
    }

    public Task<JournalEntry?> FindAsync(EntryId id, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => FindAsync(c, tx, id), ct);

    public Task<JournalEntry?> FindByKeyAsync(string idempotencyKey, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var id = await c.ExecuteScalarAsync<string?>("SELECT entry_id FROM journal_entries WHERE idempotency_key = @idempotencyKey", new { idempotencyKey }, tx);
            return id is null ? null : await FindAsync(c, tx, EntryId.Parse(id));
        }, ct);

    public static async Task<JournalEntry?> FindByKeyAsync(DbConnection connection, DbTransaction? tx, string idempotencyKey)
    {
        var id = await connection.ExecuteScalarAsync<string?>("SELECT entry_id FROM journal_entries WHERE idempotency_key = @idempotencyKey", new { idempotencyKey }, tx);
        return id is null ? null : await FindAsync(connection, tx, EntryId.Parse(id));
    }

    public static async Task<JournalEntry?> FindAsync(DbConnection connection, DbTransaction? tx, EntryId id)
    {
        var row = await connection.QuerySingleOrDefaultAsync<EntryRow>(
            "SELECT entry_id, idempotency_key, kind, resolves_entry_id, currency, created_at, release_at, memo FROM journal_entries WHERE entry_id = @id",
            new { id = id.ToString() }, tx);
        if (row is null) return null;
        var lines = await connection.QueryAsync<LineRow>(
            "SELECT entry_id, line_no, account, currency, amount_minor FROM journal_lines WHERE entry_id = @id ORDER BY line_no", new { id = id.ToString() }, tx);
        return ToEntry(row, lines);
    }

    /// <summary>The post, void or reversal entry that resolved <paramref name="target"/>, if any.</summary>
    public static async Task<JournalEntry?> FindResolutionAsync(DbConnection connection, DbTransaction? tx, EntryId target)
    {
        var id = await connection.ExecuteScalarAsync<string?>(
            "SELECT entry_id FROM journal_entries WHERE resolves_entry_id = @target", new { target = target.ToString() }, tx);
        return id is null ? null : await FindAsync(connection, tx, EntryId.Parse(id));
    }

    public Task<Money> BalanceAsync(AccountCode account, Currency currency, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) => Money.FromMinor(
            await c.ExecuteScalarAsync<long?>("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM journal_lines WHERE account = @a AND currency = @c",
                new { a = account.Value, c = currency.Code }, tx) ?? 0, currency), ct);

    /// <summary>Every account's balance, computed in SQL from the lines.</summary>
    public Task<IReadOnlyList<AccountBalance>> TrialBalanceAsync(CancellationToken ct = default) => TrialBalanceAsync(null, ct);

    /// <param name="asOf">Only entries whose effective (accounting) date is on or before this day; null: every entry.</param>
    public Task<IReadOnlyList<AccountBalance>> TrialBalanceAsync(DateOnly? asOf, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<AccountBalance>>(async (c, tx) =>
        {
            var rows = await c.QueryAsync<(string Account, string Currency, long Total)>(
                asOf is null
                    ? "SELECT account, currency, CAST(SUM(amount_minor) AS BIGINT) FROM journal_lines GROUP BY account, currency ORDER BY account, currency"
                    : """
                      SELECT l.account, l.currency, CAST(SUM(l.amount_minor) AS BIGINT) FROM journal_lines l JOIN journal_entries e ON e.entry_id = l.entry_id
                      WHERE e.effective_date <= @asOf GROUP BY l.account, l.currency ORDER BY l.account, l.currency
                      """,
                new { asOf = DbTime.Format(asOf) }, tx);
            return rows.Select(r => new AccountBalance(new AccountCode(r.Account), Money.FromMinor(r.Total, Currency.Parse(r.Currency)))).ToList();
        }, ct);

    /// <summary>Pending entries not yet posted or voided; with <paramref name="dueBy"/>, only those whose window has ended.</summary>
    public Task<IReadOnlyList<JournalEntry>> OpenHoldsAsync(DateTimeOffset? dueBy = null, int limit = 1000, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<JournalEntry>>(async (c, tx) =>
        {
            var ids = await c.QueryAsync<string>(
                """
                SELECT p.entry_id FROM journal_entries p
                WHERE p.kind = 'Pending'
                  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.resolves_entry_id = p.entry_id)
                  AND (@due IS NULL OR p.release_at <= @due)
                ORDER BY p.release_at, p.entry_id
                LIMIT @limit
                """, new { due = DbTime.Format(dueBy), limit }, tx);
            var result = new List<JournalEntry>();
            foreach (var id in ids) result.Add((await FindAsync(c, tx, EntryId.Parse(id)))!);
            return result;
        }, ct);

    /// <summary>
    /// The auditor's check, independent of any cached figure: every entry is rebuilt from its lines and
    /// must balance and hash to its stored payload hash; every resolution must point at the right kind;
    /// the hold account must equal the sum of open holds.
    /// </summary>
    public Task<LedgerAudit> AuditAsync(CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var problems = new List<string>();
            var rows = (await c.QueryAsync<EntryRow>(
                "SELECT entry_id, idempotency_key, kind, resolves_entry_id, currency, created_at, release_at, memo, payload_hash FROM journal_entries ORDER BY entry_id", transaction: tx)).ToList();
            var lines = (await c.QueryAsync<LineRow>("SELECT entry_id, line_no, account, currency, amount_minor FROM journal_lines ORDER BY entry_id, line_no", transaction: tx))
                .GroupBy(l => l.entry_id).ToDictionary(g => g.Key, g => g.ToList());
            var ledger = new InMemoryLedger();
            foreach (var row in InDependencyOrder(rows))
            {
                try
                {
                    var entry = ToEntry(row, lines.GetValueOrDefault(row.entry_id) ?? []);
                    if (entry.PayloadHash != row.payload_hash) problems.Add($"entry {row.entry_id}: lines do not match the recorded payload hash");
                    var result = ledger.Record(entry);
                    if (result != LedgerResult.Created) problems.Add($"entry {row.entry_id}: {result.Describe()}");
                }
                catch (Exception ex) when (ex is LedgerRuleException or CurrencyMismatchException or FormatException)
                {
                    problems.Add($"entry {row.entry_id}: {ex.Message}");
                }
            }

            var orphanLines = lines.Keys.Except(rows.Select(r => r.entry_id)).ToList();
            problems.AddRange(orphanLines.Select(id => $"lines without an entry: {id}"));
            var holdByCurrency = ledger.OpenHolds().GroupBy(h => h.Currency);
            foreach (var group in holdByCurrency)
            {
                var expected = Money.Sum(group.Select(h => h.HeldAmount), group.Key);
                var actual = -ledger.Balance(AccountCode.Hold, group.Key);
                if (expected != actual) problems.Add($"GL_AI_Hold holds {actual} but open holds total {expected}");
            }

            // Invoice balances are money too: each is recomputed from its base and its standing applications.
            foreach (var d in await Payments.InvoiceBalances.AuditAsync(c, tx))
                problems.Add($"invoice {d.InvoiceId}: balance {d.Stored.ToDisplayString()} but {d.Why}");

            return new LedgerAudit(rows.Count, ledger.OpenHolds().Count(), problems);
        }, ct);

    /// <summary>Creation order, except that an entry resolving another always comes after it (clocks can tie).</summary>
    private static IEnumerable<EntryRow> InDependencyOrder(List<EntryRow> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var waiting = rows.OrderBy(r => r.created_at, StringComparer.Ordinal).ThenBy(r => r.entry_id, StringComparer.Ordinal).ToList();
        while (waiting.Count > 0)
        {
            var ready = waiting.Where(r => r.resolves_entry_id is null || seen.Contains(r.resolves_entry_id)).ToList();
            if (ready.Count == 0)
            {
                // Dangling references: hand them over anyway so the audit reports them.
                ready = waiting;
            }

            foreach (var r in ready)
            {
                seen.Add(r.entry_id);
                yield return r;
            }

            waiting = waiting.Except(ready).ToList();
        }
    }

    private static JournalEntry ToEntry(EntryRow row, IEnumerable<LineRow> lines) =>
        JournalEntry.Restore(
            EntryId.Parse(row.entry_id),
            row.idempotency_key,
            Enum.Parse<EntryKind>(row.kind),
            row.resolves_entry_id is null ? null : EntryId.Parse(row.resolves_entry_id),
            DbTime.ParseInstant(row.created_at),
            DbTime.ParseInstantOrNull(row.release_at),
            row.memo,
            lines.Select(l => new LedgerLine(new AccountCode(l.account), Money.FromMinor(l.amount_minor, Currency.Parse(l.currency)))).ToList());

#pragma warning disable IDE1006, CA1812 // Dapper rows mirror column names.
    private sealed class EntryRow
    {
        public string entry_id { get; set; } = "";
        public string idempotency_key { get; set; } = "";
        public string kind { get; set; } = "";
        public string? resolves_entry_id { get; set; }
        public string currency { get; set; } = "";
        public string created_at { get; set; } = "";
        public string? release_at { get; set; }
        public string memo { get; set; } = "";
        public string payload_hash { get; set; } = "";
    }

    private sealed class LineRow
    {
        public string entry_id { get; set; } = "";
        public long line_no { get; set; }
        public string account { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
    }
#pragma warning restore IDE1006, CA1812
}

/// <summary>The result of <see cref="Journal.AuditAsync"/>: clean when there are no problems.</summary>
public sealed record LedgerAudit(int Entries, int OpenHolds, IReadOnlyList<string> Problems)
{
    public bool IsClean => Problems.Count == 0;
}
