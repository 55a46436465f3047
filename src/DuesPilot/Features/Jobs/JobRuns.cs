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
/// </summary>
public sealed class JobRuns(Store store, TimeProvider clock)
{
    public static string InstanceName { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <param name="scheduledFor">The schedule tick this run is for: when another instance already started a run at or after it, this one is skipped, so a tick runs once across instances (not merely never concurrently).</param>
    public async Task<JobRunView?> RunAsync(string job, Func<CancellationToken, Task<JobResult>> handler, CancellationToken ct, DateTimeOffset? scheduledFor = null)
    {
        await using var lockConnection = store.Engine == StoreEngine.Postgres ? await store.OpenConnectionAsync(ct) : null;
        if (lockConnection is not null && !await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@k)", new { k = LockKey(job) }))
            return null; // another instance runs it now

        if (lockConnection is not null && scheduledFor is { } tick)
        {
            // Clocks and timers of two instances differ by a little: the other may have finished this tick's run before we got the lock.
            // Started-at times are stored as fixed-width UTC text, so text order is time order on both engines.
            var already = await lockConnection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM job_runs WHERE job = @job AND started_at >= @tick",
                new { job, tick = DbTime.Format(tick.AddSeconds(-5)) });
            if (already > 0)
            {
                await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_advisory_unlock(@k)", new { k = LockKey(job) });
                return null;
            }
        }

        var runId = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
        var started = clock.GetUtcNow();
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO job_runs (run_id, job, instance, started_at) VALUES (@runId, @job, @instance, @started)",
            new { runId, job, instance = InstanceName, started = DbTime.Format(started) }, tx), ct);
        string outcome;
        string? counts = null;
        string? error = null;
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
            if (lockConnection is not null)
                await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_advisory_unlock(@k)", new { k = LockKey(job) });
        }

        var finished = clock.GetUtcNow();
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            "UPDATE job_runs SET finished_at = @finished, outcome = @outcome, counts = @counts, error = @error WHERE run_id = @runId",
            new { finished = DbTime.Format(finished), outcome, counts, error, runId }, tx), CancellationToken.None);
        return new JobRunView(runId, job, InstanceName, started, finished, outcome, counts, error);
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
