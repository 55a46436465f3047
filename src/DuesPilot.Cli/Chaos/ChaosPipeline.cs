using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Ledger;
using DuesPilot.Imis;
using DuesPilot.Persistence;
using Microsoft.Data.Sqlite;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// Crash run over the whole pipeline. The iMIS sandbox runs as its own child process (<c>duespilot imis-sandbox</c>,
/// persistent data file) and seeds an association; the store is synced from it; then signed Stripe webhooks
/// whose payer names and e-mails are the members' and whose amounts are their open invoices' balances are sent
/// to one or two child <c>duespilot serve</c> processes, which receive, match, hold (a window of seconds), release
/// and write each payment to iMIS through the outbox. Meanwhile serve processes are SIGKILLed and restarted at
/// random moments and, in the second mode, so is the sandbox. Afterwards: every payment received once, applied
/// at most once, every application written to iMIS exactly once (sandbox balances and receipts, invoice by
/// invoice, against the ledger), no hold left unresolved past its window, a clean ledger audit.
/// </summary>
public static class ChaosPipeline
{
    public sealed record Request(int Payments, int ServeKills, int SandboxKills, int Seed, string DataDirectory, string? ConnectionString = null, int Instances = 1,
        int Concurrency = 8, double HoldSeconds = 3, int TimeoutSeconds = 900, int KillPauseMinMs = 300, int KillPauseMaxMs = 2500, int LeaseSeconds = 5);

    public sealed record Outcome(
        int Seed, int Payments, int Instances, int ServeKills, int SandboxKills, long Deliveries, long Redeliveries,
        long AutoApplied, long HoldsPosted, long SentToReview, long ImisPaymentWritesDone, long ImisReceiptsAdded, long ImisCentsApplied, long LedgerCentsApplied,
        long OutboxRetries, long OutboxFailed, long AuditRowsSent, long AuditRowsInImis, long AbandonedJobRuns,
        long WritesMissing, long WritesDoubled, long HoldsUnresolved, ExactlyOnceFigures Figures, IReadOnlyList<string> Problems, TimeSpan Elapsed)
    {
        public bool Passed => Problems.Count == 0 && Figures.ExactlyOnce;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"""
            seed {Seed}: {Payments} payments, {Instances} serve instance(s); {ServeKills} serve kills, {SandboxKills} sandbox kills; {Deliveries} deliveries ({Redeliveries} redeliveries of acknowledged events)
            pipeline: {AutoApplied} auto-applied (held), {HoldsPosted} holds posted after the window, {SentToReview} sent to review; {ImisPaymentWritesDone} iMIS payment writes done, {OutboxRetries} outbox retries, {OutboxFailed} failed; {AbandonedJobRuns} job runs abandoned by killed instances
            iMIS: {ImisReceiptsAdded} receipts added, {ImisCentsApplied / 100m:N2} applied in iMIS vs {LedgerCentsApplied / 100m:N2} in the ledger; audit rows {AuditRowsSent} sent, {AuditRowsInImis} in iMIS
            {Figures.Describe()}
            writes missing {WritesMissing}, writes doubled {WritesDoubled}, holds unresolved past their window {HoldsUnresolved}
            """);
    }

    private sealed record Target(string InvoiceId, string MemberId, long BalanceCents, ChaosEvent Event);

    public static async Task<Outcome> RunAsync(Request request, Action<string> log, CancellationToken ct)
    {
        if (request.Instances is < 1 or > 2) throw new ArgumentException("one or two serve instances", nameof(request));
        if (request.Instances > 1 && string.IsNullOrWhiteSpace(request.ConnectionString)) throw new ArgumentException("two instances need PostgreSQL (a connection string)", nameof(request));
        var started = Stopwatch.GetTimestamp();
        // Every line says when it happened, so a run's phases (start-ups, sending, kills, draining) can be read off the log.
        var raw = log;
        log = line => raw(string.Create(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(started).TotalSeconds,6:F1} s] {line}"));
        var random = new Random(request.Seed);
        var storeDir = Path.Combine(request.DataDirectory, "store");
        var sandboxDir = Path.Combine(request.DataDirectory, "sandbox");
        var sandboxDb = Path.Combine(sandboxDir, "imis-sandbox", "imis-sandbox.db");
        var storeOptions = new StoreOptions(storeDir, request.ConnectionString);

        // 1. The sandbox, as its own process, seeds an association big enough for one open invoice per payment.
        var sandboxPort = ChildCli.FreePort();
        var members = Math.Max(200, request.Payments * 3);
        string[] sandboxArgs = ["imis-sandbox", "--port", sandboxPort.ToString(CultureInfo.InvariantCulture), "--data", sandboxDir, "--members", members.ToString(CultureInfo.InvariantCulture),
            "--seed", request.Seed.ToString(CultureInfo.InvariantCulture)];
        var sandboxEnv = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["Logging__LogLevel__Default"] = "Warning" };
        Task<ChildCli> StartSandboxAsync() => ChildCli.StartAsync("sandbox", sandboxArgs, sandboxEnv, sandboxPort, "/api/Party", anyStatus: true, log, ct);
        var sandbox = await StartSandboxAsync();
        var serves = new ChildCli?[request.Instances];
        var retired = new List<ChildCli>();
        try
        {
            var imis = new ImisOptions { BaseUrl = sandbox.Address.ToString(), Username = "admin", Password = "admin", RetryBaseDelayMs = 50, WriteReadbackDelayMs = 20, AttemptTimeoutSeconds = 10 };
            var client = ImisClient.Create(imis, TimeProvider.System);
            var targets = await ChooseTargetsAsync(client, request, ct);
            var before = ReadSandbox(sandboxDb, targets);
            log(string.Create(CultureInfo.InvariantCulture, $"sandbox on port {sandboxPort}: {members} members; {targets.Count} open invoices chosen"));

            // 2. The store is synced from the sandbox (members and invoices), as the imis-sync job does.
            await using (var seedStore = await Store.OpenAsync(storeOptions, ct))
                await SyncFromImis.HandleAsync(seedStore, client, TimeProvider.System, null, maxPages: 100_000, ct: ct);

            // 3. The serve children: fast job schedules, a hold window of seconds, leases of seconds.
            var serveEnv = ServeEnvironment(request, sandbox.Address);
            Task<ChildCli> StartServeAsync(int i)
            {
                var port = ChildCli.FreePort();
                List<string> args = ["serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", storeDir];
                if (request.ConnectionString is { } cs) args.AddRange(["--db", cs]);
                return ChildCli.StartAsync($"serve{i}", args, serveEnv, port, "/health", anyStatus: false, log, ct);
            }

            var first = await Task.WhenAll(Enumerable.Range(0, serves.Length).Select(StartServeAsync));
            for (var i = 0; i < serves.Length; i++) serves[i] = first[i];
            log($"store synced, {serves.Length} serve process(es) ready; sending");

            var events = targets.Select(t => t.Event).ToList();
            var acknowledged = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            long deliveries = 0, redeliveries = 0;
            int serveKills = 0, sandboxKills = 0;
            var clock = TimeProvider.System;
            var sendRandom = new Random(unchecked(request.Seed + 1));

            var sending = Task.Run(async () =>
            {
                while (acknowledged.Count < events.Count)
                {
                    var round = events.Where(e => !acknowledged.ContainsKey(e.EventId)).ToList();
                    List<ChaosEvent> again;
                    lock (sendRandom) again = events.Where(e => acknowledged.ContainsKey(e.EventId) && sendRandom.Next(10) == 0).Take(25).ToList();
                    await Parallel.ForEachAsync(round.Concat(again), new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = ct }, async (e, token) =>
                    {
                        int pick;
                        lock (sendRandom) pick = sendRandom.Next(serves.Length);
                        var to = serves[pick];
                        if (to is null || !to.IsRunning) return;
                        Interlocked.Increment(ref deliveries);
                        if (acknowledged.ContainsKey(e.EventId)) Interlocked.Increment(ref redeliveries);
                        var (status, _) = await ChaosWebhooks.SendAsync(to.Http, e, clock, token);
                        if (ChaosWebhooks.Acknowledged(status)) acknowledged[e.EventId] = true;
                    });
                    if (acknowledged.Count < events.Count) await Task.Delay(100, ct);
                }
            }, ct);

            // Kills at random moments while payments arrive and move through the pipeline.
            // A killed instance restarts in the background: with two instances the next kill may hit the other one
            // while the first is still starting; an instance is only killed again once it is back.
            var serveKiller = Task.Run(async () =>
            {
                var r = new Random(unchecked(request.Seed + 2));
                var restarting = new bool[serves.Length];
                var restarts = new List<Task>();
                for (var k = 0; k < request.ServeKills; k++)
                {
                    await Task.Delay(r.Next(request.KillPauseMinMs, request.KillPauseMaxMs), ct);
                    int i;
                    while (true)
                    {
                        int[] up;
                        lock (restarting) up = [.. Enumerable.Range(0, serves.Length).Where(j => !restarting[j])];
                        if (up.Length > 0)
                        {
                            i = up[r.Next(up.Length)];
                            break;
                        }

                        await Task.Delay(50, ct);
                    }

                    var victim = serves[i]!;
                    lock (restarting) restarting[i] = true;
                    victim.Kill();
                    Interlocked.Increment(ref serveKills);
                    await victim.DisposeAsync();
                    lock (retired) retired.Add(victim);
                    log(string.Create(CultureInfo.InvariantCulture, $"killed serve{i} ({acknowledged.Count} acknowledged); restarting"));
                    var which = i;
                    restarts.Add(Task.Run(async () =>
                    {
                        serves[which] = await StartServeAsync(which);
                        lock (restarting) restarting[which] = false;
                        log(string.Create(CultureInfo.InvariantCulture, $"serve{which} back"));
                    }, ct));
                }

                await Task.WhenAll(restarts);
            }, ct);
            var sandboxKiller = Task.Run(async () =>
            {
                var r = new Random(unchecked(request.Seed + 3));
                for (var k = 0; k < request.SandboxKills; k++)
                {
                    await Task.Delay(r.Next(request.KillPauseMinMs * 3, request.KillPauseMaxMs * 12 / 5), ct);
                    var victim = sandbox;
                    victim.Kill();
                    Interlocked.Increment(ref sandboxKills);
                    await victim.DisposeAsync();
                    lock (retired) retired.Add(victim);
                    log(string.Create(CultureInfo.InvariantCulture, $"killed the iMIS sandbox; down for a moment"));
                    await Task.Delay(r.Next(request.KillPauseMinMs * 2 / 3, request.KillPauseMaxMs * 4 / 5), ct);
                    sandbox = await StartSandboxAsync();
                    log("sandbox back");
                }
            }, ct);
            await sending;
            log(string.Create(CultureInfo.InvariantCulture, $"all {events.Count} payments acknowledged"));
            await Task.WhenAll(serveKiller, sandboxKiller);
            log("kills done; waiting for the pipeline to drain");

            // 4. Wait until the pipeline is through: nothing pending in the inbox, no payment waiting to be matched or held, no write queued.
            await using var store = await Store.OpenAsync(storeOptions, ct);
            var problems = new List<string>();
            var deadline = Stopwatch.GetTimestamp() + request.TimeoutSeconds * Stopwatch.Frequency;
            string waiting = "";
            while (true)
            {
                await using (var c = await store.OpenConnectionAsync(ct))
                {
                    var inbox = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE source = 'stripe' AND state = 'pending'");
                    var received = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE source = 'stripe' AND state IN ('received', 'held')");
                    var outbox = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE state = 'pending'");
                    waiting = string.Create(CultureInfo.InvariantCulture, $"{inbox} inbox item(s) pending, {received} payment(s) received or held, {outbox} iMIS write(s) pending");
                    if (inbox == 0 && received == 0 && outbox == 0) break;
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    problems.Add($"the pipeline did not finish within {request.TimeoutSeconds} s: {waiting}");
                    break;
                }

                await Task.Delay(250, ct);
            }

            log("drained: " + waiting);
            foreach (var s in serves) if (s is not null) await s.DisposeAsync();
            await sandbox.DisposeAsync();

            // 5. The end checks.
            var figures = await ExactlyOnceFigures.ReadAsync(store, events, ct);
            var after = ReadSandbox(sandboxDb, targets);
            await using var db = await store.OpenConnectionAsync(ct);
            var ledger = (await db.QueryAsync<(string Invoice, long Cents, long Payments)>(
                """
                SELECT a.invoice_id, SUM(a.amount_minor), COUNT(DISTINCT a.payment_id) FROM allocations a JOIN payments p ON p.payment_id = a.payment_id
                WHERE a.voided_by IS NULL AND a.invoice_id IS NOT NULL AND p.source = 'stripe' GROUP BY a.invoice_id
                """)).ToDictionary(r => r.Invoice, r => (r.Cents, r.Payments), StringComparer.Ordinal);
            long missing = 0, doubled = 0, imisCents = 0, ledgerCents = 0, receiptsAdded = 0;
            foreach (var t in targets)
            {
                var (cents, payments) = ledger.GetValueOrDefault(t.InvoiceId);
                var moved = before[t.InvoiceId].Balance - after[t.InvoiceId].Balance;
                var receipts = after[t.InvoiceId].Receipts - before[t.InvoiceId].Receipts;
                imisCents += moved;
                ledgerCents += cents;
                receiptsAdded += receipts;
                if (moved < cents || receipts < payments)
                {
                    missing++;
                    if (problems.Count < 30) problems.Add($"invoice {t.InvoiceId}: the ledger applied {cents} cents in {payments} payment(s), iMIS moved {moved} in {receipts} receipt(s)");
                }
                else if (moved > cents || receipts > payments)
                {
                    doubled++;
                    if (problems.Count < 30) problems.Add($"invoice {t.InvoiceId}: the ledger applied {cents} cents in {payments} payment(s), iMIS moved {moved} in {receipts} receipt(s)");
                }
            }

            var unresolved = (await new Journal(store).OpenHoldsAsync(TimeProvider.System.GetUtcNow(), 100_000, ct)).Count;
            if (unresolved > 0) problems.Add($"{unresolved} hold(s) past their window without a resolution");
            var outboxStates = (await db.QueryAsync<(string Kind, string State, long N, long Attempts)>("SELECT kind, state, COUNT(*), SUM(attempts) FROM imis_outbox GROUP BY kind, state")).ToList();
            var failed = outboxStates.Where(s => s.State is "failed" or "conflict").Sum(s => s.N);
            if (failed > 0) problems.Add($"{failed} iMIS write(s) stopped as failed or conflict");
            var retries = outboxStates.Sum(s => s.Attempts) - outboxStates.Where(s => s.State == "done").Sum(s => s.N);
            var paymentWrites = outboxStates.Where(s => s.Kind == ImisWriteKinds.ApplyPayment && s.State == "done").Sum(s => s.N);
            var auditSent = outboxStates.Where(s => s.Kind == ImisWriteKinds.AuditLogRow && s.State == "done").Sum(s => s.N);
            var (auditInImis, auditDoubled) = AuditRows(sandboxDb);
            if (auditDoubled > 0) problems.Add($"{auditDoubled} audit row(s) written to iMIS more than once");
            var autoApplied = await db.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT payment_id) FROM allocations WHERE mode = 'hold'");
            var posted = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal_entries WHERE idempotency_key LIKE 'payment:%:hold%:post'");
            var review = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM review_items WHERE kind = 'payment'");
            var abandoned = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM job_runs WHERE outcome = 'abandoned'");
            if (posted != autoApplied) problems.Add($"{autoApplied} payment(s) auto-applied but {posted} hold(s) posted");
            if (paymentWrites != posted) problems.Add($"{posted} hold(s) posted but {paymentWrites} iMIS payment write(s) done");
            if (serveKills != request.ServeKills || sandboxKills != request.SandboxKills) problems.Add($"{serveKills} serve and {sandboxKills} sandbox kills instead of {request.ServeKills} and {request.SandboxKills}");
            problems.AddRange(figures.Problems.Take(20));
            return new Outcome(request.Seed, events.Count, request.Instances, serveKills, sandboxKills, deliveries, redeliveries, autoApplied, posted, review, paymentWrites, receiptsAdded, imisCents, ledgerCents,
                retries, failed, auditSent, auditInImis, abandoned, missing, doubled, unresolved, figures, problems, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            foreach (var s in serves)
            {
                if (s is null) continue;
                await s.DisposeAsync();
                s.DisposeClient();
            }

            await sandbox.DisposeAsync();
            sandbox.DisposeClient();
            foreach (var r in retired) r.DisposeClient();
            SqliteConnection.ClearAllPools();
        }
    }

    private static Dictionary<string, string> ServeEnvironment(Request request, Uri sandbox)
    {
        var everySecond = "* * * * * *";
        return new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Intake__Stripe__WebhookSecret"] = ChaosWebhooks.Secret,
            ["Intake__Worker__PollMilliseconds"] = "100",
            // A killed instance's inbox leases and job-run leases lapse after seconds, not minutes.
            ["Intake__Worker__LeaseSeconds"] = request.LeaseSeconds.ToString(CultureInfo.InvariantCulture),
            ["Jobs__LeaseSeconds"] = (request.LeaseSeconds + 1).ToString(CultureInfo.InvariantCulture),
            ["Matching__UseEmbeddings"] = "false",
            ["Staff__InitialAdminPassword"] = "chaos-admin-password",
            ["Rollout__DefaultPhase"] = "Guarded",
            ["Posting__HoldWindowHours"] = (request.HoldSeconds / 3600.0).ToString("R", CultureInfo.InvariantCulture),
            ["Imis__BaseUrl"] = sandbox.ToString(),
            ["Imis__Username"] = "admin",
            ["Imis__Password"] = "admin",
            ["Imis__RetryBaseDelayMs"] = "100",
            ["Imis__AttemptTimeoutSeconds"] = "10",
            ["Imis__WriteReadbackDelayMs"] = "50",
            ["Imis__Writes__Concurrency"] = "4",
            ["Imis__Writes__RetryBaseSeconds"] = "1",
            ["Imis__Writes__MaxSecondsPerRun"] = "20",
            ["Jobs__Schedules__match-payments"] = everySecond,
            ["Jobs__Schedules__hold-release"] = everySecond,
            ["Jobs__Schedules__imis-writes"] = everySecond,
            // The store was synced once before the run; the other jobs are not part of it.
            ["Jobs__Schedules__imis-sync"] = "",
            ["Jobs__Schedules__nightly-reconciliation"] = "",
            ["Jobs__Schedules__daily-summary-email"] = "",
        };
    }

    /// <summary>One open invoice per member (persons with an e-mail), read from the sandbox through the iMIS API; each gets one payment of its balance.</summary>
    private static async Task<IReadOnlyList<Target>> ChooseTargetsAsync(IImisClient client, Request request, CancellationToken ct)
    {
        var people = new Dictionary<string, Domain.Member>(StringComparer.Ordinal);
        for (var offset = 0; ;)
        {
            var page = await client.ReadMembersPageAsync(null, offset, ct);
            foreach (var m in page.Items)
                if (m.Member.Kind == Domain.PartyKind.Person && !string.IsNullOrWhiteSpace(m.Member.Email)) people[m.Member.Id.Value] = m.Member;
            if (!page.HasNext) break;
            offset = page.NextOffset;
        }

        var open = new List<ImisInvoice>();
        for (var offset = 0; ;)
        {
            var page = await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), offset, ct);
            open.AddRange(page.Items.Where(i => i.Invoice.Balance.MinorUnits > 0));
            if (!page.HasNext) break;
            offset = page.NextOffset;
        }

        var perMember = open.GroupBy(i => i.Invoice.MemberId.Value, StringComparer.Ordinal).Where(g => g.Count() == 1 && people.ContainsKey(g.Key)).Select(g => g.Single()).ToList();
        new Random(request.Seed).Shuffle(CollectionsMarshalSpan(perMember));
        if (perMember.Count < request.Payments) throw new InvalidOperationException($"the sandbox has {perMember.Count} suitable open invoices, fewer than {request.Payments} payments");
        var start = new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
        return perMember.Take(request.Payments).Select((i, n) =>
        {
            var m = people[i.Invoice.MemberId.Value];
            var id = string.Create(CultureInfo.InvariantCulture, $"{request.Seed}p{n:D6}");
            var e = ChaosWebhooks.Charge(id, i.Invoice.Balance.MinorUnits, m.FullName, m.Email!, $"Membership dues, invoice {i.InvoiceNumber ?? i.Invoice.Id.Value}",
                new Dictionary<string, string> { ["member_id"] = m.Id.Value }, start.AddSeconds(n));
            return new Target(i.Invoice.Id.Value, m.Id.Value, i.Invoice.Balance.MinorUnits, e);
        }).ToList();

        static Span<ImisInvoice> CollectionsMarshalSpan(List<ImisInvoice> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);
    }

    /// <summary>Balance and receipt lines of each chosen invoice, read from the sandbox's own file (not through our client).</summary>
    private static Dictionary<string, (long Balance, long Receipts)> ReadSandbox(string file, IReadOnlyList<Target> targets)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        var balances = c.Query<(string Id, long Balance)>("SELECT invoice_id, balance_cents FROM invoices").ToDictionary(r => r.Id, r => r.Balance, StringComparer.Ordinal);
        var receipts = c.Query<(string Id, long N)>("SELECT invoice_id, COUNT(*) FROM receipt_lines GROUP BY invoice_id").ToDictionary(r => r.Id, r => r.N, StringComparer.Ordinal);
        return targets.ToDictionary(t => t.InvoiceId, t => (balances[t.InvoiceId], receipts.GetValueOrDefault(t.InvoiceId)), StringComparer.Ordinal);
    }

    /// <summary>AI_Audit_Log rows in the sandbox, and how many audit events appear there more than once.</summary>
    private static (long Rows, long Doubled) AuditRows(string file)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        var subjects = c.Query<string>("SELECT properties FROM custom_rows WHERE entity = 'AI_Audit_Log'").Select(SubjectOf).ToList();
        return (subjects.Count, subjects.Where(s => s is not null).GroupBy(s => s, StringComparer.Ordinal).Sum(g => (long)g.Count() - 1));

        static string? SubjectOf(string properties)
        {
            try
            {
                using var doc = JsonDocument.Parse(properties);
                return FindSubject(doc.RootElement);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        static string? FindSubject(JsonElement e)
        {
            // Stored either as a plain object or as iMIS's GenericPropertyData list; either way the "Subject" value.
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    if (e.TryGetProperty("Subject", out var s) && s.ValueKind == JsonValueKind.String) return s.GetString();
                    if (e.TryGetProperty("Name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == "Subject" && e.TryGetProperty("Value", out var v)) return v.ToString();
                    foreach (var p in e.EnumerateObject()) if (FindSubject(p.Value) is { } found) return found;
                    return null;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) if (FindSubject(item) is { } found) return found;
                    return null;
                default:
                    return null;
            }
        }
    }
}
