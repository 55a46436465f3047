using System.Data.Common;
using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Review;

/// <summary>What can happen to a review item.</summary>
public enum ReviewItemEvent
{
    /// <summary>Given to a colleague (again): open or assigned → assigned.</summary>
    Assign,

    /// <summary>Decided: open or assigned → resolved.</summary>
    Resolve,
}

/// <summary>A review item was not in the state its handler read: another decision came first. The unit of work rolls back.</summary>
public sealed class ReviewItemStateConflictException(string message) : InvalidOperationException(message);

/// <summary>
/// The one place a review item's state changes after it is opened, on the pattern of payments
/// (<see cref="Payments.PaymentStates"/>): a closed set of states, a transition table, and an update that only
/// moves a row still in the state the handler read (<c>UPDATE … WHERE state = @from</c>, one row or the unit of
/// work rolls back). Two staff resolving the same item at the same moment on PostgreSQL: one resolves it, the
/// other is told it was already resolved, and nothing of its decision is written. (Opening, and re-opening
/// when the same subject comes back, is <see cref="OpenReviewItem"/>'s insert.)
/// </summary>
public static class ReviewItemStates
{
    public const string Open = "open";
    public const string Assigned = "assigned";
    public const string Resolved = "resolved";

    /// <summary>The state <paramref name="event"/> leads to from <paramref name="from"/>; null when the table has no such move.</summary>
    public static string? Next(string from, ReviewItemEvent @event) => (from, @event) switch
    {
        (Open or Assigned, ReviewItemEvent.Assign) => Assigned,
        (Open or Assigned, ReviewItemEvent.Resolve) => Resolved,
        _ => null,
    };

    /// <summary>
    /// Moves item <paramref name="itemId"/> from <paramref name="from"/> by <paramref name="event"/>, writing the
    /// assignee or the resolution with it. A move the table does not have, or a row no longer in
    /// <paramref name="from"/>, throws <see cref="ReviewItemStateConflictException"/>.
    /// </summary>
    public static async Task<string> TransitionAsync(DbConnection c, DbTransaction tx, string itemId, string from, ReviewItemEvent @event, DateTimeOffset now, string? assignedTo = null, string? resolution = null)
    {
        var to = Next(from, @event) ?? throw new ReviewItemStateConflictException($"review item {itemId} is {from}: it cannot be {(@event == ReviewItemEvent.Assign ? "assigned" : "resolved")}");
        var at = DbTime.Format(now);
        var moved = @event == ReviewItemEvent.Assign
            ? await c.ExecuteAsync("UPDATE review_items SET state = @to, assigned_to = @assignedTo, updated_at = @at WHERE item_id = @itemId AND state = @from",
                new { to, assignedTo, at, itemId, from }, tx)
            : await c.ExecuteAsync("UPDATE review_items SET state = @to, resolution = @resolution, resolved_at = @at, updated_at = @at WHERE item_id = @itemId AND state = @from",
                new { to, resolution, at, itemId, from }, tx);
        if (moved != 1) throw new ReviewItemStateConflictException($"review item {itemId} is no longer {from}: another decision came first; nothing of this one was written");
        return to;
    }
}
