using Dapper;
using DuesPilot.Features.Inquiries;
using DuesPilot.Persistence;

namespace DuesPilot.Ai.Tests;

/// <summary>The discrepancy workflow on both engines: real errors become one review item each, misunderstandings are explained, every exchange is audited.</summary>
public abstract class DiscrepancyTests(StoreEngine engine)
{
    [Fact]
    public async Task Dispute_WrongTier_OpensOneReviewItemWithTheDifference()
    {
        await using var golden = await GoldenStore.CreateAsync(engine);

        var first = await golden.AskAsync("10517", "I'm a student, why is my invoice $395.00?");
        var again = await golden.AskAsync("10517", "My invoice INV-27-1005 is wrong, I am a student");

        Assert.Equal(InquiryStatus.HandedToStaff, first.Status);
        Assert.Equal("wrong-tier", first.Finding!.Kind);
        Assert.Equal(first.ReviewItemId, again.ReviewItemId);
        var items = await golden.Store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Kind, string Subject, string Member, long Amount, string Action)>(
            "SELECT kind, subject_id, member_id, amount_minor, suggested_action FROM review_items", transaction: tx)).ToList());
        var item = Assert.Single(items);
        Assert.Equal(("inquiry", "INV-27-1005:wrong-tier", "10517", 30000L), (item.Kind, item.Subject, item.Member, item.Amount));
        Assert.Contains("expected $95.00", item.Action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispute_DuplicateInvoice_OpensAReviewItemForTheSecondInvoice()
    {
        await using var golden = await GoldenStore.CreateAsync(engine);

        var outcome = await golden.AskAsync("10620", "I was billed twice for 2027");

        Assert.Equal("duplicate-invoice", outcome.Finding!.Kind);
        Assert.Equal("INV-27-1016", outcome.Finding.InvoiceId.Value);
        var subject = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>("SELECT subject_id FROM review_items WHERE item_id = @id", new { id = outcome.ReviewItemId }, tx));
        Assert.Equal("INV-27-1016:duplicate-invoice", subject);
    }

    [Fact]
    public async Task Dispute_CorrectProratedCharge_IsExplainedWithoutAReviewItem()
    {
        await using var golden = await GoldenStore.CreateAsync(engine);

        var outcome = await golden.AskAsync("10231", "I think $296.25 is a mistake, the dues are $395");

        Assert.Equal(InquiryStatus.Answered, outcome.Status);
        Assert.Contains("Regular annual dues of $395.00 × 9 months (April through December 2026) ÷ 12 = $296.25", outcome.Answer, StringComparison.Ordinal);
        Assert.Null(outcome.ReviewItemId);
        var count = await golden.Store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM review_items", transaction: tx));
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Inquiry_AnyOutcome_IsLoggedAndAuditedInTheChain()
    {
        await using var golden = await GoldenStore.CreateAsync(engine);

        var answered = await golden.AskAsync("11002", "Did my bank transfer go through?");
        var staff = await golden.AskAsync("11110", "My invoice for $275.00 is wrong");

        var rows = await golden.Store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Id, string Outcome, string? Item)>(
            "SELECT inquiry_id, outcome, review_item_id FROM inquiries ORDER BY asked_at, inquiry_id", transaction: tx)).ToList());
        Assert.Contains((answered.InquiryId!, "answered", (string?)null), rows);
        Assert.Contains((staff.InquiryId!, "handed-to-staff", staff.ReviewItemId), rows);
        var trail = new Features.Audit.AuditTrail(golden.Store, golden.Clock);
        Assert.Equal("inquiry.handed-to-staff", (await trail.ListAsync($"inquiry:{staff.InquiryId}")).Single().Event.Action);
        Assert.True((await trail.VerifyAsync()).IsIntact);
    }

    [Fact]
    public async Task HouseholdStatement_PaymentForTwoMembers_IsVisibleToBoth()
    {
        await using var golden = await GoldenStore.CreateAsync(engine);

        var priya = await golden.AskAsync("10402", "Did you get my check?");
        var arjun = await golden.AskAsync("10403", "Did you get my check?");

        Assert.Contains("$575.00", priya.Answer, StringComparison.Ordinal);
        Assert.Contains("$180.00 to invoice INV-26-0221 for Arjun Raman", priya.Answer, StringComparison.Ordinal);
        Assert.Contains("$395.00 to invoice INV-26-0220 for Priya Raman", arjun.Answer, StringComparison.Ordinal);
    }
}

public sealed class DiscrepancyTestsOnSqlite() : DiscrepancyTests(StoreEngine.Sqlite);

public sealed class DiscrepancyTestsOnPostgres() : DiscrepancyTests(StoreEngine.Postgres);
