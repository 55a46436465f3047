using System.Data.Common;
using System.Globalization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.ImisSync;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Review;

/// <summary>
/// Puts an item in the review queue, or refreshes the open one for the same subject (one item per
/// kind and subject, by a unique key). A resolved item for the subject is reopened, keeping its history.
/// </summary>
public static class OpenReviewItem
{
    public sealed record Request(string Kind, string SubjectId, string? MemberId, int Priority, decimal? Confidence, string SuggestedAction, string Reason, ReviewAnalysis? Analysis, Money? Amount);

    public sealed record Outcome(string ItemId, bool Created);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Request r, string actor = "duespilot")
    {
        var now = DbTime.Format(clock.GetUtcNow());
        var newId = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
        var confidence = r.Confidence?.ToString("0.000", CultureInfo.InvariantCulture);
        var itemId = (await c.ExecuteScalarAsync<string>(
            """
            INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, confidence, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
            VALUES (@newId, @Kind, @SubjectId, @MemberId, 'open', @Priority, @confidence, @SuggestedAction, @Reason, @analysis, @amount, @currency, @now, @now)
            ON CONFLICT (kind, subject_id) DO UPDATE SET state = 'open', priority = excluded.priority, confidence = excluded.confidence,
                suggested_action = excluded.suggested_action, reason = excluded.reason, analysis = COALESCE(excluded.analysis, review_items.analysis),
                member_id = COALESCE(excluded.member_id, review_items.member_id), amount_minor = excluded.amount_minor, currency = excluded.currency,
                updated_at = excluded.updated_at, resolved_at = NULL, resolution = NULL
            RETURNING item_id
            """,
            new
            {
                newId,
                r.Kind,
                r.SubjectId,
                r.MemberId,
                r.Priority,
                confidence,
                r.SuggestedAction,
                r.Reason,
                analysis = r.Analysis?.ToJson(),
                amount = r.Amount?.MinorUnits,
                currency = r.Amount?.Currency.Code,
                now,
            }, tx))!;
        var created = itemId == newId;
        await c.ExecuteAsync("INSERT INTO review_events (event_id, item_id, actor, action, detail, at) VALUES (@id, @itemId, @actor, @action, @detail, @now)",
            new { id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), itemId, actor, action = created ? "opened" : "reopened", detail = r.Reason, now }, tx);
        if (created)
        {
            Hosting.DuesPilotMetrics.PaymentsSentToReview.Add(1, new KeyValuePair<string, object?>("kind", r.Kind));
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "review.opened", $"{r.Kind}:{r.SubjectId}", r.Reason, r.MemberId,
                Inputs: r.Analysis?.ToJson()));
        }

        if (r.MemberId is not null)
        {
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ReviewQueueRow, $"imis:review:{itemId}:{now}",
                new ReviewQueueRow(itemId, r.MemberId, r.Kind == ReviewKinds.Invoice ? r.SubjectId : r.Analysis?.Candidates.FirstOrDefault()?.Allocations.FirstOrDefault()?.InvoiceId,
                    r.Amount?.MinorUnits, true, r.Reason, "open", r.Amount?.Currency.Code));
        }

        return new Outcome(itemId, created);
    }
}
