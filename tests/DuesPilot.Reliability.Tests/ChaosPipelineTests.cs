using DuesPilot.Cli.Chaos;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Xunit.Abstractions;

namespace DuesPilot.Reliability.Tests;

/// <summary>
/// The short forms of <c>duespilot chaos pipeline</c>: child serve processes (and the iMIS sandbox, its own child
/// process) SIGKILLed while payments are received, matched, held, released and written to iMIS.
/// </summary>
public sealed class ChaosPipelineTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("duespilot-chaos-pipeline-").FullName;

    [Fact]
    public async Task Pipeline_ServeKilledTwiceAndSandboxOnce_EveryPaymentAppliedAndWrittenToImisExactlyOnce()
    {
        var o = await ChaosPipeline.RunAsync(new ChaosPipeline.Request(40, 2, 1, 1701, _folder, HoldSeconds: 1, TimeoutSeconds: 240, KillPauseMinMs: 200, KillPauseMaxMs: 1000, LeaseSeconds: 3), output.WriteLine, CancellationToken.None);

        output.WriteLine(o.Describe());
        AssertEndToEnd(o, 40, serveKills: 2, sandboxKills: 1);
    }

    [Fact]
    public async Task Pipeline_TwoServeProcessesOnOnePostgres_KilledAtRandom_EveryPaymentAppliedAndWrittenToImisExactlyOnce()
    {
        var options = await TestStores.CreateOptionsAsync(StoreEngine.Postgres);

        var o = await ChaosPipeline.RunAsync(new ChaosPipeline.Request(40, 3, 0, 1702, _folder, options.ConnectionString, Instances: 2, HoldSeconds: 1, TimeoutSeconds: 240,
            KillPauseMinMs: 200, KillPauseMaxMs: 1000, LeaseSeconds: 3),
            output.WriteLine, CancellationToken.None);

        output.WriteLine(o.Describe());
        AssertEndToEnd(o, 40, serveKills: 3, sandboxKills: 0);
    }

    private static void AssertEndToEnd(ChaosPipeline.Outcome o, int payments, int serveKills, int sandboxKills)
    {
        Assert.Empty(o.Problems);
        ChaosTests.AssertExactlyOnce(o.Figures, payments);
        Assert.Equal(serveKills, o.ServeKills);
        Assert.Equal(sandboxKills, o.SandboxKills);
        // The pipeline really ran: payments matched and held, holds posted, each application written to iMIS once.
        Assert.True(o.AutoApplied > payments / 2, $"only {o.AutoApplied} of {payments} payments were auto-applied");
        Assert.Equal(o.AutoApplied, o.HoldsPosted);
        Assert.Equal(o.HoldsPosted, o.ImisPaymentWritesDone);
        Assert.Equal(o.HoldsPosted, o.ImisReceiptsAdded);
        Assert.Equal(o.LedgerCentsApplied, o.ImisCentsApplied);
        Assert.Equal(0, o.WritesMissing);
        Assert.Equal(0, o.WritesDoubled);
        Assert.Equal(0, o.HoldsUnresolved);
        Assert.Equal(0, o.OutboxFailed);
        Assert.True(o.Passed);
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
