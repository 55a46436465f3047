using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Review;

/// <summary>Review items move only by their transition table, and only from the state their handler read.</summary>
public class ReviewItemStatesTests
{
    [Theory]
    [InlineData("open", ReviewItemEvent.Assign, "assigned")]
    [InlineData("assigned", ReviewItemEvent.Assign, "assigned")]
    [InlineData("open", ReviewItemEvent.Resolve, "resolved")]
    [InlineData("assigned", ReviewItemEvent.Resolve, "resolved")]
    [InlineData("resolved", ReviewItemEvent.Resolve, null)]
    [InlineData("resolved", ReviewItemEvent.Assign, null)]
    [InlineData("in_review", ReviewItemEvent.Resolve, null)]
    public void Table_ListsEveryMove(string from, ReviewItemEvent @event, string? to) => Assert.Equal(to, ReviewItemStates.Next(from, @event));

    [Fact]
    public async Task StaleDecision_IsRefusedAndWritesNothing()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var itemId = await store.InTransactionAsync(async (c, tx) =>
            (await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(ReviewKinds.Payment, "chk-1", null, 50, null, "review", "two checks", null, Money.Usd(10m)))).ItemId);

        // The first decision read "open" and resolves it.
        await store.InTransactionAsync((c, tx) => ReviewItemStates.TransitionAsync(c, tx, itemId, ReviewItemStates.Open, ReviewItemEvent.Resolve, clock.GetUtcNow(), resolution: "first"));

        // A second decision that also read "open" (a concurrent staff action) is refused; the item keeps the first resolution.
        var ex = await Assert.ThrowsAsync<ReviewItemStateConflictException>(() =>
            store.InTransactionAsync((c, tx) => ReviewItemStates.TransitionAsync(c, tx, itemId, ReviewItemStates.Open, ReviewItemEvent.Resolve, clock.GetUtcNow(), resolution: "second")));
        Assert.Contains("another decision came first", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ReviewItemStateConflictException>(() =>
            store.InTransactionAsync((c, tx) => ReviewItemStates.TransitionAsync(c, tx, itemId, ReviewItemStates.Resolved, ReviewItemEvent.Assign, clock.GetUtcNow(), assignedTo: "kim")));
        var row = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string State, string Resolution, string? AssignedTo)>(
            "SELECT state, resolution, assigned_to FROM review_items WHERE item_id = @itemId", new { itemId }, tx));
        Assert.Equal(("resolved", "first", (string?)null), row);
    }
}
