using System.Globalization;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Imis;

/// <summary>
/// Change detection by polling, since iMIS has no general outbound webhooks: read records with
/// <c>UpdatedOn &gt;= mark</c> ordered by UpdatedOn, hand each new one to the caller, then store the new
/// high-water mark (and the ids already handled at exactly that timestamp) in <c>imis_poll_marks</c>.
/// The caller runs before the mark moves, so delivery is at least once: a crash between the two repeats a
/// batch, never loses one. Paging moves the mark instead of a growing offset, so records updated while
/// the poll runs cannot shift a page boundary and be skipped.
/// Invoices are polled that way only when <c>duespilot imis probe</c> confirmed a change filter on the site
/// (<c>InvoiceSummaryData</c> has no top-level <c>UpdatedOn</c>); otherwise every open dues invoice is re-read and
/// compared with its stored fingerprint (<c>imis_invoice_marks</c>), and an invoice that was open and is no longer
/// listed is read by id, so a payment made in iMIS is seen too.
/// </summary>
public static class PollImisChanges
{
    /// <summary>Where a stream starts when it has no mark yet: everything.</summary>
    public static readonly DateTime Beginning = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>The outcome of one poll.</summary>
    /// <param name="Changed">Records handed to the caller.</param>
    /// <param name="Mark">The high-water mark after the poll (site-local UpdatedOn), or null if the stream is still empty.</param>
    /// <param name="MorePending">True when the poll stopped at <c>maxPages</c> with more to read.</param>
    public sealed record Outcome(int Pages, int Changed, DateTime? Mark, bool MorePending);

    public static async Task<Outcome> InvoicesAsync(Store store, IImisClient client, TimeProvider clock, Func<IReadOnlyList<ImisInvoice>, CancellationToken, Task> onChanged,
        int maxPages = 50, CancellationToken ct = default)
    {
        if (await ImisProbeFindings.ConfirmedValueAsync(store, ImisProbePoints.InvoiceChangeFilter, ct) is { Length: > 0 } filter)
        {
            return await RunAsync(store, "invoices", clock, (since, offset, token) => client.ReadInvoicesPageAsync(new InvoiceQuery(UpdatedSince: since, ChangeFilter: filter), offset, token),
                i => i.Invoice.Id.Value, i => i.UpdatedOn, onChanged, maxPages, ct);
        }

        return await RereadInvoicesAsync(store, client, clock, onChanged, ct);
    }

    /// <summary>What makes an invoice "changed" when it is re-read: its balance, amount, lines and who it is for.</summary>
    private static string Fingerprint(ImisInvoice i) => string.Join("|",
        i.Invoice.Balance.MinorUnits.ToString(CultureInfo.InvariantCulture), i.Invoice.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture),
        i.Invoice.Lines.Count.ToString(CultureInfo.InvariantCulture), i.Invoice.MemberId.Value, i.BillTo.Value, i.Invoice.InvoiceDate.ToString("O", CultureInfo.InvariantCulture));

    /// <summary>
    /// The fallback poll: the first run reads every dues invoice, later runs every open one, each page handed over (new or
    /// changed invoices only) before its fingerprints are stored, so delivery is at least once. An invoice stored as open
    /// that the full read no longer lists (paid, written off) is read by id.
    /// </summary>
    private static async Task<Outcome> RereadInvoicesAsync(Store store, IImisClient client, TimeProvider clock, Func<IReadOnlyList<ImisInvoice>, CancellationToken, Task> onChanged, CancellationToken ct)
    {
        Dictionary<string, (string Fingerprint, bool Open)> known;
        await using (var c = await store.OpenConnectionAsync(ct))
        {
            known = (await c.QueryAsync<(string Id, string Fingerprint, long Open)>("SELECT invoice_id, fingerprint, is_open FROM imis_invoice_marks"))
                .ToDictionary(r => r.Id, r => (r.Fingerprint, r.Open != 0), StringComparer.Ordinal);
        }

        var query = new InvoiceQuery(OpenOnly: known.Count > 0);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int pages = 0, changed = 0, offset = 0;
        while (true)
        {
            var page = await client.ReadInvoicesPageAsync(query, offset, ct);
            pages++;
            changed += await HandOverAsync(page.Items);
            foreach (var i in page.Items) listed.Add(i.Invoice.Id.Value);
            if (!page.HasNext || page.Items.Count == 0 || page.NextOffset <= offset) break;
            offset = page.NextOffset;
        }

        foreach (var (id, mark) in known.ToList())
        {
            if (!mark.Open || listed.Contains(id)) continue;
            if (await client.GetInvoiceAsync(new InvoiceId(id), ct) is { } now) changed += await HandOverAsync([now]);
            else await SaveMarksAsync([(id, mark.Fingerprint, false)]);
        }

        return new Outcome(pages, changed, null, false);

        async Task<int> HandOverAsync(IReadOnlyList<ImisInvoice> items)
        {
            var fresh = items.Where(i => !known.TryGetValue(i.Invoice.Id.Value, out var k) || k.Fingerprint != Fingerprint(i)).ToList();
            if (fresh.Count > 0) await onChanged(fresh, ct);
            await SaveMarksAsync(items.Select(i => (i.Invoice.Id.Value, Fingerprint(i), i.Invoice.Balance.IsPositive)).ToList());
            foreach (var i in items) known[i.Invoice.Id.Value] = (Fingerprint(i), i.Invoice.Balance.IsPositive);
            return fresh.Count;
        }

        Task SaveMarksAsync(IReadOnlyList<(string Id, string Fingerprint, bool Open)> marks) => store.InTransactionAsync(async (c, tx) =>
        {
            var now = DbTime.Format(clock.GetUtcNow());
            foreach (var m in marks)
            {
                await c.ExecuteAsync(
                    """
                    INSERT INTO imis_invoice_marks (invoice_id, fingerprint, is_open, seen_at) VALUES (@Id, @Fingerprint, @open, @now)
                    ON CONFLICT (invoice_id) DO UPDATE SET fingerprint = excluded.fingerprint, is_open = excluded.is_open, seen_at = excluded.seen_at
                    """, new { m.Id, m.Fingerprint, open = m.Open ? 1L : 0L, now }, tx);
            }
        }, ct);
    }

    public static Task<Outcome> MembersAsync(Store store, IImisClient client, TimeProvider clock, Func<IReadOnlyList<ImisMember>, CancellationToken, Task> onChanged,
        int maxPages = 50, CancellationToken ct = default) =>
        RunAsync(store, "members", clock, (since, offset, token) => client.ReadMembersPageAsync(since, offset, token),
            m => m.Member.Id.Value, m => m.UpdatedOn, onChanged, maxPages, ct);

    private static async Task<Outcome> RunAsync<T>(Store store, string stream, TimeProvider clock, Func<DateTime, int, CancellationToken, Task<ImisPage<T>>> read,
        Func<T, string> key, Func<T, DateTime?> updatedOn, Func<IReadOnlyList<T>, CancellationToken, Task> onChanged, int maxPages, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPages, 1);
        var (mark, seen) = await LoadAsync(store, stream, ct);
        var changed = 0;
        for (var pages = 1; ; pages++)
        {
            var page = await read(mark ?? Beginning, seen.Count, ct);
            var fresh = page.Items.Where(i => !seen.Contains(key(i))).ToList();
            if (fresh.Count > 0) await onChanged(fresh, ct);
            changed += fresh.Count;
            foreach (var item in page.Items)
            {
                var at = updatedOn(item) ?? throw new ImisRequestException(new ImisFailure(ImisFailureKind.Protocol, null,
                    [$"{stream}: record {key(item)} has no UpdateInformation.UpdatedOn; this entity cannot be polled."], "poll"));
                if (mark is null || at > mark)
                {
                    mark = at;
                    seen = new HashSet<string>(StringComparer.Ordinal) { key(item) };
                }
                else if (at == mark)
                {
                    seen.Add(key(item));
                }
            }

            if (mark is { } m) await SaveAsync(store, stream, m, seen, fresh.Count, clock, ct);
            if (!page.HasNext || page.Items.Count == 0) return new Outcome(pages, changed, mark, false);
            if (pages >= maxPages) return new Outcome(pages, changed, mark, true);
        }
    }

    private static async Task<(DateTime? Mark, HashSet<string> Seen)> LoadAsync(Store store, string stream, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<(string Mark, string Ids)?>(
            "SELECT mark, ids_at_mark FROM imis_poll_marks WHERE stream = @stream", new { stream });
        if (row is not { } r) return (null, new HashSet<string>(StringComparer.Ordinal));
        var ids = JsonSerializer.Deserialize<string[]>(r.Ids) ?? [];
        return (DateTime.ParseExact(r.Mark, "yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture), new HashSet<string>(ids, StringComparer.Ordinal));
    }

    private static Task<int> SaveAsync(Store store, string stream, DateTime mark, HashSet<string> seen, int fresh, TimeProvider clock, CancellationToken ct) =>
        store.InTransactionAsync((c, tx) => c.ExecuteAsync("""
            INSERT INTO imis_poll_marks (stream, mark, ids_at_mark, rows_seen, updated_at) VALUES (@stream, @mark, @ids, @fresh, @now)
            ON CONFLICT (stream) DO UPDATE SET mark = excluded.mark, ids_at_mark = excluded.ids_at_mark,
              rows_seen = imis_poll_marks.rows_seen + excluded.rows_seen, updated_at = excluded.updated_at
            """, new { stream, mark = ImisJson.FormatTimestamp(mark), ids = JsonSerializer.Serialize(seen.Order(StringComparer.Ordinal)), fresh = (long)fresh, now = DbTime.Format(clock.GetUtcNow()) }, tx), ct);
}
