using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Intake;

namespace DuesPilot.Persistence;

/// <summary>What the card-number repair did.</summary>
/// <param name="RowsChanged">Rows whose text held a card number (every table).</param>
/// <param name="AuditRowsMasked">Audit rows among them (seq numbers), whose chain was re-anchored.</param>
public sealed record CardRepairReport(long RowsChanged, IReadOnlyList<string> Columns, IReadOnlyList<long> AuditRowsMasked, string? OldTailHash, string? NewTailHash, string ChainBefore);

/// <summary>
/// One-off repairs of stored data, run at start after the migrations and recorded in <c>data_repairs</c>
/// so each runs once. <see cref="MaskCardNumbersAsync"/> masks card numbers that earlier versions stored
/// (security finding 1): every text and blob column of every table is read, JSON is decoded before it is
/// masked (<see cref="RedactCardNumbers"/>), and changed rows are rewritten in one transaction. The audit
/// log is append-only and hash-chained: its update trigger is lifted inside that transaction only, the
/// chain is relinked from the first masked row, and an <c>audit.reanchored</c> event records which rows
/// were masked, the chain's old and new tail hashes and whether the chain verified before, so the
/// rewrite is visible in the log itself, never silent.
/// </summary>
public static class StoreRepairs
{
    public const string CardNumbersRepair = "mask-card-numbers-v2";

    /// <summary>Tables never touched: keys and bookkeeping, none of which holds input.</summary>
    private static readonly HashSet<string> SkippedTables = new(StringComparer.OrdinalIgnoreCase) { "schema_migrations", "data_repairs", "data_protection_keys", "staff_users" };

    public static async Task<CardRepairReport?> MaskCardNumbersAsync(Store store, TimeProvider clock, CancellationToken ct = default) =>
        await store.InTransactionAsync(async (c, tx) =>
        {
            if (store.Engine == StoreEngine.Postgres) await c.ExecuteAsync("SELECT pg_advisory_xact_lock(7402)", transaction: tx);
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM data_repairs WHERE repair = @r", new { r = CardNumbersRepair }, tx) > 0) return null;

            var chainBefore = await VerifyChainAsync(c, tx);
            long changed = 0;
            var columns = new SortedSet<string>(StringComparer.Ordinal);
            var auditSeqs = new List<long>();
            foreach (var (table, cols) in await TextColumnsAsync(store.Engine, c, tx))
            {
                var updates = new List<(string Key, Dictionary<string, object> Values)>();
                var key = store.Engine == StoreEngine.Sqlite ? "rowid" : "ctid::text";
                await using (var read = c.CreateCommand())
                {
                    read.Transaction = tx;
                    read.CommandText = $"SELECT {key}, {string.Join(", ", cols.Select(Quote))} FROM {Quote(table)}";
                    await using var reader = await read.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        Dictionary<string, object>? values = null;
                        for (var i = 1; i < reader.FieldCount; i++)
                        {
                            if (reader.IsDBNull(i)) continue;
                            object? masked = reader.GetValue(i) switch
                            {
                                string s when RedactCardNumbers.Run(MaskJsonText(s)) is var m && m != s => m,
                                byte[] b when RedactCardNumbers.Run(b) is var mb && !ReferenceEquals(mb, b) => mb,
                                _ => null,
                            };
                            if (masked is null) continue;
                            (values ??= [])[cols[i - 1]] = masked;
                            columns.Add($"{table}.{cols[i - 1]}");
                        }

                        if (values is not null) updates.Add((Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!, values));
                    }
                }

                if (updates.Count == 0) continue;
                if (table == "audit_events")
                {
                    // Which audit rows are masked, found by the keys read above BEFORE they are updated: on PostgreSQL an
                    // UPDATE gives the row a new ctid, so the old ones would find nothing and the chain would not be relinked.
                    auditSeqs.AddRange(store.Engine == StoreEngine.Sqlite
                        ? await c.QueryAsync<long>("SELECT seq FROM audit_events WHERE rowid IN @keys ORDER BY seq",
                            new { keys = updates.Select(u => long.Parse(u.Key, CultureInfo.InvariantCulture)).ToList() }, tx)
                        : await c.QueryAsync<long>("SELECT seq FROM audit_events WHERE ctid::text = ANY(@keys) ORDER BY seq",
                            new { keys = updates.Select(u => u.Key).ToArray() }, tx));
                }

                var lifted = await LiftUpdateTriggersAsync(store.Engine, c, tx, table);
                foreach (var (rowKey, values) in updates)
                {
                    var p = new DynamicParameters(values.ToDictionary(kv => "p_" + kv.Key, kv => kv.Value));
                    p.Add("k", store.Engine == StoreEngine.Sqlite ? long.Parse(rowKey, CultureInfo.InvariantCulture) : rowKey);
                    var where = store.Engine == StoreEngine.Sqlite ? "rowid = @k" : "ctid = @k::tid";
                    await c.ExecuteAsync($"UPDATE {Quote(table)} SET {string.Join(", ", values.Keys.Select(k => $"{Quote(k)} = @p_{k}"))} WHERE {where}", p, tx);
                }

                changed += updates.Count;
                await RestoreTriggersAsync(store.Engine, c, tx, table, lifted);
            }

            string? oldTail = null, newTail = null;
            if (auditSeqs.Count > 0)
            {
                oldTail = await c.ExecuteScalarAsync<string?>("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1", transaction: tx);
                var lifted = await LiftUpdateTriggersAsync(store.Engine, c, tx, "audit_events");
                newTail = await AuditTrail.RelinkFromAsync(c, tx, auditSeqs[0]);
                await RestoreTriggersAsync(store.Engine, c, tx, "audit_events", lifted);
            }

            var report = new CardRepairReport(changed, [.. columns], auditSeqs, oldTail, newTail, chainBefore);
            var detail = JsonSerializer.Serialize(new
            {
                rows = changed, columns = report.Columns, audit_rows_masked = auditSeqs, old_tail_hash = oldTail, new_tail_hash = newTail, chain_before = chainBefore,
            });
            if (auditSeqs.Count > 0)
            {
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "audit.reanchored", "audit:chain", $"{auditSeqs.Count} audit row(s) had card numbers masked; chain relinked from row {auditSeqs[0]}",
                    Inputs: detail, RuleVersion: CardNumbersRepair, Before: oldTail, After: newTail));
            }

            await c.ExecuteAsync("INSERT INTO data_repairs (repair, ran_at, rows_changed, detail) VALUES (@r, @at, @changed, @detail)",
                new { r = CardNumbersRepair, at = DbTime.Format(clock.GetUtcNow()), changed, detail }, tx);
            return report;
        }, ct);

    /// <summary>Text columns hold JSON bodies too: decode before masking so escapes cannot hide a number.</summary>
    private static string MaskJsonText(string s)
    {
        if (s.Length == 0 || (s[0] != '{' && s[0] != '[')) return s;
        return RedactCardNumbers.TryMaskJson(Encoding.UTF8.GetBytes(s), out var masked) && masked is not null ? Encoding.UTF8.GetString(masked) : s;
    }

    private static async Task<string> VerifyChainAsync(DbConnection c, DbTransaction tx)
    {
        var rows = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events", transaction: tx);
        if (rows == 0) return "empty";
        var verification = await AuditTrail.VerifyWithinAsync(c, tx);
        return verification.IsIntact ? $"intact ({verification.Rows} rows)" : $"broken before the repair: {verification.Problem}";
    }

    private static async Task<List<(string Table, List<string> Columns)>> TextColumnsAsync(StoreEngine engine, DbConnection c, DbTransaction tx)
    {
        var result = new List<(string, List<string>)>();
        if (engine == StoreEngine.Sqlite)
        {
            foreach (var table in (await c.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", transaction: tx)).ToList())
            {
                if (SkippedTables.Contains(table)) continue;
                var cols = (await c.QueryAsync<(long Cid, string Name, string Type)>($"SELECT cid, name, type FROM pragma_table_info('{table.Replace("'", "''", StringComparison.Ordinal)}')", transaction: tx))
                    .Where(x => Keep(x.Name) && (x.Type.Length == 0 || x.Type.Contains("TEXT", StringComparison.OrdinalIgnoreCase) || x.Type.Contains("BLOB", StringComparison.OrdinalIgnoreCase) || x.Type.Contains("CHAR", StringComparison.OrdinalIgnoreCase)))
                    .Select(x => x.Name).ToList();
                if (cols.Count > 0) result.Add((table, cols));
            }

            return result;
        }

        var pg = await c.QueryAsync<(string Table, string Column)>(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'bytea', 'character varying')
            ORDER BY c.table_name, c.ordinal_position
            """, transaction: tx);
        foreach (var g in pg.Where(x => !SkippedTables.Contains(x.Table) && Keep(x.Column)).GroupBy(x => x.Table))
            result.Add((g.Key, g.Select(x => x.Column).ToList()));
        return result;

        // Hashes, signatures and digests are the store's own computation, never input.
        static bool Keep(string column) => !column.Contains("hash", StringComparison.OrdinalIgnoreCase) && !column.Contains("sha256", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Drops (SQLite) or disables (PostgreSQL) the table's update triggers inside the transaction; returns what to restore.</summary>
    private static async Task<List<string>> LiftUpdateTriggersAsync(StoreEngine engine, DbConnection c, DbTransaction tx, string table)
    {
        if (engine == StoreEngine.Postgres)
        {
            await c.ExecuteAsync($"ALTER TABLE {Quote(table)} DISABLE TRIGGER USER", transaction: tx);
            return [];
        }

        var triggers = (await c.QueryAsync<(string Name, string Sql)>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = @table", new { table }, tx))
            .Where(t => t.Sql.Contains("UPDATE", StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var (name, _) in triggers) await c.ExecuteAsync($"DROP TRIGGER {Quote(name)}", transaction: tx);
        return [.. triggers.Select(t => t.Sql)];
    }

    private static async Task RestoreTriggersAsync(StoreEngine engine, DbConnection c, DbTransaction tx, string table, List<string> lifted)
    {
        if (engine == StoreEngine.Postgres)
        {
            await c.ExecuteAsync($"ALTER TABLE {Quote(table)} ENABLE TRIGGER USER", transaction: tx);
            return;
        }

        foreach (var sql in lifted) await c.ExecuteAsync(sql, transaction: tx);
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
