using DuesPilot.Cli.Chaos;
using Xunit.Abstractions;

namespace DuesPilot.Reliability.Tests;

/// <summary>The short forms of <c>duespilot chaos duplicates|load</c>: zero lost, zero duplicated (the crash run is <see cref="ChaosPipelineTests"/>).</summary>
public sealed class ChaosTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("duespilot-chaos-test-").FullName;

    [Fact]
    public async Task Duplicates_EachWebhookDeliveredOneToThreeTimesShuffledSomeLate_OnePaymentEach()
    {
        var o = await ChaosDuplicates.RunAsync(new ChaosDuplicates.Request(200, 7, _folder, TimeSpan.FromMilliseconds(500)), CancellationToken.None);
        output.WriteLine($"seed {o.Seed}: {o.Deliveries} deliveries ({o.Late} late); {o.Figures.Describe()}");
        Assert.True(o.Deliveries > 200, "some webhooks must be delivered more than once");
        Assert.True(o.Late > 0, "some deliveries must arrive late");
        Assert.Equal(0, o.NotAcknowledged);
        AssertExactlyOnce(o.Figures, 200);
    }

    [Fact]
    public async Task Load_FiveSecondsAtFiftyPerSecond_NoErrorsAndExactlyOnce()
    {
        var o = await ChaosLoad.RunAsync(new ChaosLoad.Request(50, 5, 11, _folder), CancellationToken.None);
        output.WriteLine($"sent {o.Sent}, acknowledged {o.Acknowledged}, errors {o.Errors}, p50 {o.P50.TotalMilliseconds:F1} ms, p99 {o.P99.TotalMilliseconds:F1} ms; {o.Figures.Describe()}");
        Assert.Equal(0, o.Errors);
        Assert.Equal(0, o.Skipped);
        Assert.Equal(250, o.Acknowledged);
        AssertExactlyOnce(o.Figures, 250);
    }

    internal static void AssertExactlyOnce(ExactlyOnceFigures f, int events)
    {
        Assert.Empty(f.Problems);
        Assert.Equal(0, f.Lost);
        Assert.Equal(0, f.Duplicated);
        Assert.Equal(0, f.AppliedTwice);
        Assert.True(f.LedgerClean);
        Assert.Equal(events, f.InboxItems);
        Assert.Equal(events, f.Processed);
        Assert.Equal(events, f.Payments);
        Assert.Equal(events, f.ReceiptEntries);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
