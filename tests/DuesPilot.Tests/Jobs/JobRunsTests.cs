using DuesPilot.Features.Jobs;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Jobs;

public class JobRunsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 2, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Run_RecordsCountsAndFailures(StoreEngine engine)
    {
        await using var store = await TestStores.CreateAsync(engine);
        var runs = new JobRuns(store, _clock, new JobScheduleOptions());
        var ok = await runs.RunAsync("hold-release", _ => Task.FromResult(new JobResult("posted 3", new Dictionary<string, long> { ["posted"] = 3 })), CancellationToken.None);
        var failed = await runs.RunAsync("imis-poll", _ => throw new HttpRequestException("iMIS answered 503"), CancellationToken.None);
        Assert.Equal("posted 3", ok!.Outcome);
        Assert.Contains("\"posted\":3", ok.Counts);
        Assert.Equal("failed", failed!.Outcome);
        Assert.Equal("iMIS answered 503", failed.Error);
        Assert.Equal(2, (await runs.RecentAsync()).Count);
    }

    [Fact]
    public async Task TwoInstances_OnOnePostgres_RunAJobOnceAtATime()
    {
        var options = await TestStores.CreateOptionsAsync(StoreEngine.Postgres);
        await using var a = await Store.OpenAsync(options);
        await using var b = await Store.OpenAsync(options);
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var first = new JobRuns(a, _clock, new JobScheduleOptions()).RunAsync("nightly-reconciliation", async _ =>
        {
            entered.SetResult();
            await release.Task;
            return new JobResult("done", new Dictionary<string, long>());
        }, CancellationToken.None);
        await entered.Task;
        var second = await new JobRuns(b, _clock, new JobScheduleOptions()).RunAsync("nightly-reconciliation", _ => Task.FromResult(new JobResult("should not run", new Dictionary<string, long>())), CancellationToken.None);
        release.SetResult();
        Assert.Null(second);
        Assert.Equal("done", (await first)!.Outcome);
    }
}
