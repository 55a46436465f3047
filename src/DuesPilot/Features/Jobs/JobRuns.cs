using System.Data.Common;
using System.Text.Json;
using Dapper;
using DuesPilot.Persistence;
using Npgsql;

namespace DuesPilot.Features.Jobs;

/// <summary>What one run of a job did: counts by name (e.g. posted: 12) and a one-line summary.</summary>
public sealed record JobResult(string Summary, IReadOnlyDictionary<string, long> Counts);

public sealed record JobRunView(string RunId, string Job, string Instance, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Outcome, string? Counts, string? Error)
{
    public TimeSpan? Duration => FinishedAt - StartedAt;
}

/// <summary>
/// Runs a job's handler once and records the run (start, end, counts, error) in <c>job_runs</c>, visible
/// in the UI and the CLI. On PostgreSQL a session advisory lock per job name makes a scheduled job run on
/// one instance at a time however many instances share the database; the others skip that tick.
/// A run holds a lease (<c>lease_until</c>) that a heartbeat renews every third of
/// <see cref="JobScheduleOptions.LeaseSeconds"/>; a run whose lease lapsed unfinished belonged to an instance
/// that died, and the next run of any job marks it <see cref="Abandoned"/>.
/// </summary>
public sealed class JobRuns(Store store, TimeProvider clock, JobScheduleOptions options)
{
    /// <summary>The outcome of a run whose instance stopped renewing its lease (killed, lost its host).</summary>
    public const string Abandoned = "abandoned";

    public static string InstanceName { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    private TimeSpan Lease => TimeSpan.FromSeconds(options.LeaseSeconds);

    /// <summary>Marks every unfinished run whose lease lapsed as abandoned (runs from before leases existed: after a day). Returns how many.</summary>
    public Task<int> MarkAbandonedAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        return store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            """
            UPDATE job_runs SET finished_at = COALESCE(lease_until, started_at), outcome = @abandoned,
                error = 'the instance running it stopped renewing its lease (killed or cut off); the job runs again on its next tick'
            WHERE finished_at IS NULL AND (lease_until < @now OR (lease_until IS NULL AND started_at < @dayAgo))
            """,
            new { abandoned = Abandoned, now = DbTime.Format(now), dayAgo = DbTime.Format(now.AddDays(-1)) }, tx), ct);
    }

    /// <param name="scheduledFor">The schedule tick this run is for: when another instance already started a run at or after it, this one is skipped, so a tick runs once across instances (not merely never concurrently).</param>
    /// <param name="tickTolerance">How much earlier than the tick another instance's run may have started and still count as this tick's (clock and timer differences): 5 s, or less for a schedule whose ticks are closer than 10 s apart.</param>
    public async Task<JobRunView?> RunAsync(string job, Func<CancellationToken, Task<JobResult>> handler, CancellationToken ct, DateTimeOffset? scheduledFor = null, TimeSpan? tickTolerance = null)
    {
        await using var lockConnection = store.Engine == StoreEngine.Postgres ? await store.OpenConnectionAsync(ct) : null;
        if (lockConnection is not null && !await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@k)", new { k = LockKey(job) }))
            return null; // another instance runs it now

        if (lockConnection is not null && scheduledFor is { } tick)
        {
            // Clocks and timers of two instances differ by a little: the other may have finished this tick's run before we got the lock.
            // Started-at times are stored as fixed-width UTC text, so text order is time order on both engines.
            var already = await lockConnection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM job_runs WHERE job = @job AND started_at >= @tick",
                new { job, tick = DbTime.Format(tick - (tickTolerance ?? TimeSpan.FromSeconds(5))) });
            if (already > 0)
            {
                await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_advisory_unlock(@k)", new { k = LockKey(job) });
                return null;
            }
        }

        var runId = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
        var started = clock.GetUtcNow();
        var lease = Lease;
        await MarkAbandonedAsync(ct);
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO job_runs (run_id, job, instance, started_at, lease_until) VALUES (@runId, @job, @instance, @started, @leaseUntil)",
            new { runId, job, instance = InstanceName, started = DbTime.Format(started), leaseUntil = DbTime.Format(started + lease) }, tx), ct);
        string outcome;
        string? counts = null;
        string? error = null;
        using var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(runId, lease, stopHeartbeat.Token);
        try
        {
            var result = await handler(ct);
            outcome = result.Summary;
            counts = JsonSerializer.Serialize(result.Counts);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            outcome = "failed";
            error = ex.Message;
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            if (lockConnection is not null)
                await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_advisory_unlock(@k)", new { k = LockKey(job) });
        }

        var finished = clock.GetUtcNow();
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            "UPDATE job_runs SET finished_at = @finished, outcome = @outcome, counts = @counts, error = @error WHERE run_id = @runId",
            new { finished = DbTime.Format(finished), outcome, counts, error, runId }, tx), CancellationToken.None);
        return new JobRunView(runId, job, InstanceName, started, finished, outcome, counts, error);
    }

    /// <summary>Renews the run's lease every third of its length until the run ends; a failed renewal is retried on the next beat.</summary>
    private async Task HeartbeatAsync(string runId, TimeSpan lease, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(lease / 3, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE job_runs SET lease_until = @until WHERE run_id = @runId AND finished_at IS NULL",
                        new { until = DbTime.Format(clock.GetUtcNow() + lease), runId }, tx), ct);
                }
                catch (System.Data.Common.DbException)
                {
                    // The store is briefly unreachable: the lease has two more beats before it lapses.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    public Task<IReadOnlyList<JobRunView>> RecentAsync(int limit = 100, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<JobRunView>>(async (c, tx) =>
            (await c.QueryAsync<(string RunId, string Job, string Instance, string Started, string? Finished, string? Outcome, string? Counts, string? Error)>(
                "SELECT run_id, job, instance, started_at, finished_at, outcome, counts, error FROM job_runs ORDER BY started_at DESC LIMIT @limit", new { limit }, tx))
            .Select(r => new JobRunView(r.RunId, r.Job, r.Instance, DbTime.ParseInstant(r.Started), DbTime.ParseInstantOrNull(r.Finished), r.Outcome, r.Counts, r.Error)).ToList(), ct);

    private static long LockKey(string job)
    {
        // Stable across processes (string.GetHashCode is randomised per process).
        long hash = 1469598103934665603;
        foreach (var ch in job) hash = unchecked((hash ^ ch) * 1099511628211);
        return hash;
    }
}
