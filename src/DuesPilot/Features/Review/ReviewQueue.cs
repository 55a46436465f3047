using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Review;

/// <summary>A review item as the queue and the item page show it.</summary>
public sealed record ReviewItemView(
    string ItemId,
    string Kind,
    string SubjectId,
    string? MemberId,
    string State,
    int Priority,
    decimal? Confidence,
    string? SuggestedAction,
    string? Reason,
    ReviewAnalysis? Analysis,
    Money? Amount,
    string? AssignedTo,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ResolvedAt,
    string? Resolution,
    string? AnalysisText = null);

public sealed record ReviewEventView(string Actor, string Action, string? Detail, DateTimeOffset At);

/// <summary>Filters for the queue; all optional.</summary>
public sealed record ReviewQueueFilter(string? State = "open", string? Kind = null, string? AssignedTo = null, string? Search = null, int Limit = 200);

/// <summary>Reads the review queue: highest priority first, then oldest first.</summary>
public static class ReviewQueue
{
    public static Task<IReadOnlyList<ReviewItemView>> ListAsync(Store store, ReviewQueueFilter filter, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<ReviewItemView>>(async (c, tx) =>
        {
            var search = string.IsNullOrWhiteSpace(filter.Search) ? null : "%" + filter.Search.Trim().ToUpperInvariant() + "%";
            var rows = await c.QueryAsync<Row>(
                """
                SELECT * FROM review_items
                WHERE (@state IS NULL OR state = @state OR (@state = 'open' AND state = 'assigned'))
                  AND (@kind IS NULL OR kind = @kind)
                  AND (@assigned IS NULL OR assigned_to = @assigned)
                  AND (@search IS NULL OR UPPER(subject_id) LIKE @search OR UPPER(COALESCE(member_id, '')) LIKE @search OR UPPER(COALESCE(reason, '')) LIKE @search)
                ORDER BY priority DESC, created_at
                LIMIT @limit
                """,
                new { state = filter.State, kind = filter.Kind, assigned = filter.AssignedTo, search, limit = filter.Limit }, tx);
            return rows.Select(r => r.ToView()).ToList();
        }, ct);

    public static Task<ReviewItemView?> FindAsync(Store store, string itemId, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
            (await c.QuerySingleOrDefaultAsync<Row>("SELECT * FROM review_items WHERE item_id = @itemId", new { itemId }, tx))?.ToView(), ct);

    public static Task<IReadOnlyList<ReviewEventView>> HistoryAsync(Store store, string itemId, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<ReviewEventView>>(async (c, tx) =>
            (await c.QueryAsync<(string Actor, string Action, string? Detail, string At)>(
                "SELECT actor, action, detail, at FROM review_events WHERE item_id = @itemId ORDER BY at, event_id", new { itemId }, tx))
            .Select(e => new ReviewEventView(e.Actor, e.Action, e.Detail, DbTime.ParseInstant(e.At))).ToList(), ct);

    public static Task<IReadOnlyDictionary<string, int>> CountsAsync(Store store, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyDictionary<string, int>>(async (c, tx) =>
            (await c.QueryAsync<(string State, long N)>("SELECT state, COUNT(*) FROM review_items GROUP BY state", transaction: tx))
            .ToDictionary(r => r.State, r => (int)r.N), ct);

#pragma warning disable IDE1006, CA1812
    internal sealed class Row
    {
        public string item_id { get; set; } = "";
        public string kind { get; set; } = "";
        public string subject_id { get; set; } = "";
        public string? member_id { get; set; }
        public string state { get; set; } = "";
        public long priority { get; set; }
        public string? confidence { get; set; }
        public string? suggested_action { get; set; }
        public string? reason { get; set; }
        public string? analysis { get; set; }
        public long? amount_minor { get; set; }
        public string? currency { get; set; }
        public string? assigned_to { get; set; }
        public string created_at { get; set; } = "";
        public string updated_at { get; set; } = "";
        public string? resolved_at { get; set; }
        public string? resolution { get; set; }

        public ReviewItemView ToView() => new(item_id, kind, subject_id, member_id, state, (int)priority,
            confidence is null ? null : decimal.Parse(confidence, System.Globalization.CultureInfo.InvariantCulture),
            suggested_action, reason, ReviewAnalysis.FromJson(analysis),
            amount_minor is { } a && currency is { } cur ? Money.FromMinor(a, Currency.Parse(cur)) : null,
            assigned_to, DbTime.ParseInstant(created_at), DbTime.ParseInstant(updated_at), DbTime.ParseInstantOrNull(resolved_at), resolution, analysis);
    }
#pragma warning restore IDE1006, CA1812
}
