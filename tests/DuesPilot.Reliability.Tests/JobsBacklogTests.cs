using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using DuesPilot.Features.ImisSync;

namespace DuesPilot.Reliability.Tests;

/// <summary>
/// The outbox gauges read the store of the host that started last in the process, so the test that scrapes them
/// runs alone, not beside other hosts of this assembly.
/// </summary>
[CollectionDefinition(nameof(ProcessMetrics), DisableParallelization = true)]
public sealed class ProcessMetrics;

/// <summary>The running service shows what <c>imis-writes</c> still has to send (/Jobs and /metrics), and records dunning and the revenue close in job_runs.</summary>
[Collection(nameof(ProcessMetrics))]
public sealed class JobsBacklogTests
{
    [Fact]
    public async Task Service_OutboxBacklogAndDunningAndRevenueClose_OnJobsPageAndInMetrics()
    {
        await using var host = await SecurityHost.StartAsync(new Dictionary<string, string?>
        {
            ["Collections:Dunning:Enabled"] = "true",
            ["Revenue:Close:Enabled"] = "true",
        });
        var clock = TimeProvider.System;
        // No iMIS is configured, so nothing sends these: three payment applications and two audit rows wait.
        await host.Store.InTransactionAsync(async (c, tx) =>
        {
            for (var n = 0; n < 3; n++)
                await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ApplyPayment, $"imis:payment:backlog-{n}",
                    new PaymentWrite($"backlog-{n}", "1001", "USD", 5000, "card", $"backlog-{n}", "1000", [new PaymentWriteLine("INV-1", 5000)], 0));
            for (var n = 0; n < 2; n++)
                await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.AuditLogRow, $"imis:audit:backlog-{n}", new AuditLogRow(n + 1, "1001", "test.action", "tester", "ok", $"hash{n}"));
        });

        // Both jobs run their first pass at start; wait (at most 30 s on a loaded machine) until each has finished one.
        await using (var c = await host.Store.OpenConnectionAsync())
        {
            for (var i = 0; i < 300 && await c.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT job) FROM job_runs WHERE job IN ('dunning', 'revenue-close') AND finished_at IS NOT NULL") < 2; i++)
                await Task.Delay(100);
            var runs = (await c.QueryAsync<(string Job, string? Outcome, string? Lease)>("SELECT job, outcome, lease_until FROM job_runs WHERE job IN ('dunning', 'revenue-close')")).ToList();
            Assert.Contains(runs, r => r.Job == "dunning" && r.Outcome is not null && r.Outcome != "failed" && r.Lease is not null);
            Assert.Contains(runs, r => r.Job == "revenue-close" && r.Outcome is not null && r.Outcome != "failed" && r.Lease is not null);
        }

        using var staff = await host.SignedInClientAsync("ada");
        var page = await staff.GetStringAsync("/Jobs");
        var outbox = Regex.Match(page, "<table id=\"outbox\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(outbox.Success, "no outbox table on /Jobs");
        Assert.Matches(@"<td>apply-payment</td><td class=""n"">3</td>", outbox.Groups[1].Value);
        Assert.Matches(@"<td>audit-log-row</td><td class=""n"">2</td>", outbox.Groups[1].Value);
        // Payment applications are listed first: they are sent first.
        Assert.True(outbox.Groups[1].Value.IndexOf("apply-payment", StringComparison.Ordinal) < outbox.Groups[1].Value.IndexOf("audit-log-row", StringComparison.Ordinal));
        var jobs = Regex.Match(page, "<table id=\"jobs\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<td>dunning</td>", jobs, StringComparison.Ordinal);
        Assert.Contains("<td>revenue-close</td>", jobs, StringComparison.Ordinal);

        using var http = host.Client();
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = await response.Content.ReadAsStringAsync();
        Assert.Matches(@"(?m)^duespilot_imis_outbox_pending\{[^}]*kind=""apply-payment""[^}]*\} 3( |$)", metrics);
        Assert.Matches(@"(?m)^duespilot_imis_outbox_pending\{[^}]*kind=""audit-log-row""[^}]*\} 2( |$)", metrics);
        Assert.Matches(@"(?m)^duespilot_imis_outbox_failed\{[^}]*kind=""apply-payment""[^}]*\} 0( |$)", metrics);
        Assert.Matches(@"(?m)^duespilot_imis_outbox_oldest_pending_age_seconds\{[^}]*kind=""apply-payment""[^}]*\} ", metrics);
    }
}
