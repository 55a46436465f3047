using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Rollout;

public class RolloutPhasesTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));

    private static RolloutOptions Options() => new()
    {
        DefaultPhase = RolloutPhase.Shadow,
        Segments =
        [
            new SegmentRule { Channel = "card", Segment = "REG", Phase = RolloutPhase.Guarded },
            new SegmentRule { Channel = "card", Segment = "*", Phase = RolloutPhase.Assist },
            new SegmentRule { Channel = "*", Segment = "CORP", Phase = RolloutPhase.Assist },
        ],
    };

    [Theory]
    [InlineData("card", "REG", RolloutPhase.Guarded)]
    [InlineData("card", "STU", RolloutPhase.Assist)]
    [InlineData("ach", "CORP", RolloutPhase.Assist)]
    [InlineData("check", "REG", RolloutPhase.Shadow)]
    public async Task PhaseFor_MostSpecificRuleWins(string channel, string segment, RolloutPhase expected)
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        Assert.Equal(expected, await new RolloutPhases(store, _clock, Options()).PhaseForAsync(channel, segment));
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Set_StaffPhaseWinsOverConfiguration_AndIsAudited(StoreEngine engine)
    {
        await using var store = await TestStores.CreateAsync(engine);
        var phases = new RolloutPhases(store, _clock, Options());
        await phases.SetAsync("check", "REG", RolloutPhase.Guarded, "ada", "shadow precision 100% over 412 payments");
        await phases.SetAsync("card", "REG", RolloutPhase.Assist, "ada", "override spike after price change");
        Assert.Equal(RolloutPhase.Guarded, await phases.PhaseForAsync("check", "REG"));
        Assert.Equal(RolloutPhase.Assist, await phases.PhaseForAsync("card", "REG"));
        var audit = await new AuditTrail(store, _clock).ListAsync();
        Assert.Contains(audit, r => r.Event.Action == "rollout.promoted" && r.Event.Subject == "segment:check:REG" && r.Event.Actor == "ada");
        Assert.Contains(audit, r => r.Event.Action == "rollout.demoted" && r.Event.Subject == "segment:card:REG");
        var listed = await phases.ListAsync();
        Assert.Contains(listed, s => s.Channel == "check" && s.Segment == "REG" && s.Source == "set by staff");
    }

    [Fact]
    public async Task Measure_ComparesShadowDecisionsWithWhatStaffDid()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var accounts = new ChartOfAccounts();
        var options = new PostingOptions();
        var staff = new StaffActor("kim", new HashSet<string> { StaffRoles.Reviewer });
        for (var i = 0; i < 4; i++)
        {
            await store.InTransactionAsync(async (c, tx) =>
            {
                var member = new MemberId($"M{i}");
                var amount = Money.Usd(100m);
                await MemberCache.UpsertAsync(c, tx, new Member(member, PartyKind.Person, $"M {i}", null, null, null, "REG", MemberStatus.Active, null, null), _clock.GetUtcNow());
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"I{i}"), member, new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), amount, amount, "DUES-REG", "dues"), _clock.GetUtcNow());
                var payment = new Payment(new PaymentId($"P{i}"), PaymentChannel.Check, amount, _clock.GetUtcNow(), null, null, null, null);
                await ReceivePayment.HandleAsync(c, tx, _clock, accounts, payment, "test");
                // The engine, in shadow, would have applied P0–P2 to their own invoices; P3 it sent to review.
                var engineAllocations = i < 3 ? new[] { new Allocation(payment.Id, member, new InvoiceId($"I{i}"), amount) } : [];
                await SegmentMetrics.RecordAsync(c, tx, _clock, new RecordedDecision(payment.Id.Value, "check", "REG", RolloutPhase.Shadow, i < 3 ? "apply" : "review", "shadow",
                    0.97m, member.Value, engineAllocations, "test", "rules-1", 3));
                var item = await OpenReviewItem.HandleAsync(c, tx, _clock, new OpenReviewItem.Request(ReviewKinds.Payment, payment.Id.Value, member.Value, 10, 0.97m, "apply", "shadow", null, amount));
                // Staff agree on P0 and P1, and put P2 on account instead.
                var action = i == 2 ? ReviewAction.PutOnAccount : ReviewAction.PickCandidate;
                await ResolveReviewItem.HandleAsync(c, tx, _clock, accounts, options, new ResolveReviewItem.Request(item.ItemId, action, staff, MemberId: member.Value));
            });
        }

        var measure = Assert.Single(await SegmentMetrics.MeasureAsync(store, _clock.GetUtcNow().AddDays(-1)));
        Assert.Equal(4, measure.Decisions);
        Assert.Equal(3, measure.EngineApply);
        Assert.Equal(3, measure.Checked);
        Assert.Equal(2, measure.Agreed);
        Assert.Equal(0.6667m, measure.Precision);
        Assert.Equal(0.75m, measure.Coverage);
    }
}
