using DuesPilot.Cli.Chaos;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Xunit.Abstractions;

namespace DuesPilot.Reliability.Tests;

/// <summary>The short form of <c>duespilot chaos two-instances</c>: two hosts on one PostgreSQL database.</summary>
public sealed class TwoInstancesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TwoInstances_SameInboxAndConcurrentMatching_NothingProcessedOrAppliedTwice()
    {
        var options = await TestStores.CreateOptionsAsync(StoreEngine.Postgres);
        var store = options with { DataDirectory = Directory.CreateTempSubdirectory("duespilot-two-").FullName };

        var o = await ChaosTwoInstances.RunAsync(new ChaosTwoInstances.Request(150, 3, store), CancellationToken.None);

        output.WriteLine($"seed {o.Seed}: {o.Deliveries} deliveries, {o.MatchRuns} match runs decided {o.Decided}, applied {o.Applied}; {o.Figures.Describe()}");
        Assert.True(o.Deliveries > 150, "some webhooks must reach both instances");
        Assert.Equal(0, o.NotAcknowledged);
        Assert.Equal(150, o.Decided);
        Assert.Equal(150, o.Applied);
        Assert.Equal(0, o.PaymentsDecidedTwice);
        ChaosTests.AssertExactlyOnce(o.Figures, 150);
    }
}
