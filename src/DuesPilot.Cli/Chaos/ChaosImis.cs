using System.Diagnostics;
using Dapper;
using DuesPilot.Features.ImisSync;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// iMIS faults: the bundled sandbox answers 30 % of requests 500/503/429, drops the connection after
/// carrying out some writes, and rejects valid tokens now and then; every token is also expired in the
/// middle of the run. Meanwhile <see cref="SendImisWrites"/> drains an outbox of payment applications.
/// Afterwards every sandbox invoice balance must have moved by exactly what was applied — no receipt
/// written twice, none missing.
/// </summary>
public static class ChaosImis
{
    public sealed record Request(int Payments, int Seed, string DataDirectory, double ErrorRate = 0.30, double TimeoutAfterWriteRate = 0.10, double TokenRejectRate = 0.05);

    public sealed record Outcome(int Seed, int Payments, int Rounds, long FaultsInjected, long WritesDropped, long TokensIssued, int Done, int NotDone, int WrongBalances, IReadOnlyList<string> Problems, TimeSpan Elapsed)
    {
        public bool Exact => NotDone == 0 && WrongBalances == 0 && Problems.Count == 0;
    }

    public static async Task<Outcome> RunAsync(Request request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var sandbox = await ImisSandboxHost.StartAsync(new ImisSandboxOptions { Members = Math.Max(100, request.Payments * 5), Seed = request.Seed, AsOf = new DateOnly(2026, 6, 15) }, ct);
        var imis = new ImisOptions { BaseUrl = sandbox.BaseUrl, Username = "admin", Password = "admin", RetryBaseDelayMs = 5, WriteReadbackDelayMs = 5, AttemptTimeoutSeconds = 2 };
        var client = ImisClient.Create(imis, TimeProvider.System);

        // Open invoices with a balance, read before the faults start; each gets one payment (half of them partial).
        var open = new List<ImisInvoice>();
        for (var offset = 0; open.Count < request.Payments;)
        {
            var page = await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), offset, ct);
            open.AddRange(page.Items.Where(i => i.Invoice.Balance.MinorUnits > 1));
            if (!page.HasNext) break;
            offset = page.NextOffset;
        }

        var random = new Random(request.Seed);
        var chosen = open.Take(request.Payments).Select(i => (Invoice: i, Pay: random.Next(2) == 0 ? i.Invoice.Balance.MinorUnits : i.Invoice.Balance.MinorUnits / 2)).ToList();
        var before = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (i, _) in chosen) before[i.Invoice.Id.Value] = await sandbox.BalanceCentsAsync(i.Invoice.Id.Value);

        await using var store = await Store.OpenAsync(new StoreOptions(request.DataDirectory), ct);
        var clock = new SteppingClock();
        await store.InTransactionAsync(async (c, tx) =>
        {
            var n = 0;
            foreach (var (i, pay) in chosen)
            {
                var id = $"chaos-{request.Seed}-{n++}";
                await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ApplyPayment, $"payment:{id}",
                    new PaymentWrite(id, i.Invoice.MemberId.Value, i.Invoice.Balance.Currency.Code, pay, "card", id, "1000", [new PaymentWriteLine(i.Invoice.Id.Value, pay)], 0));
            }

            return true;
        }, ct);

        sandbox.Faults = new SandboxFaults { ErrorRate = request.ErrorRate, TimeoutAfterWriteRate = request.TimeoutAfterWriteRate, TokenRejectRate = request.TokenRejectRate, Seed = request.Seed };
        var rounds = 0;
        while (rounds < 100)
        {
            rounds++;
            if (rounds == 2) sandbox.ExpireAllTokens(); // token expiry mid-run
            // A third of the outbox per round, so the token expiry falls in the middle of the run.
            await SendImisWrites.HandleAsync(store, client, clock, imis, batchSize: Math.Max(1, chosen.Count / 3), ct: ct);
            // The outbox backs off (15 s, 30 s, …): step the outbox's clock past it instead of waiting.
            clock.Advance(TimeSpan.FromHours(2));
            await using var c = await store.OpenConnectionAsync(ct);
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE state = 'pending'") == 0) break;
        }

        sandbox.Faults = new SandboxFaults();
        var problems = new List<string>();
        int done, notDone;
        await using (var c = await store.OpenConnectionAsync(ct))
        {
            var states = (await c.QueryAsync<(string State, long N)>("SELECT state, COUNT(*) FROM imis_outbox GROUP BY state")).ToDictionary(r => r.State, r => r.N, StringComparer.Ordinal);
            done = (int)states.GetValueOrDefault("done");
            notDone = chosen.Count - done;
            foreach (var (state, n) in states.Where(s => s.Key != "done")) problems.Add($"{n} outbox write(s) {state}");
        }

        var wrong = 0;
        foreach (var (i, pay) in chosen)
        {
            var after = await sandbox.BalanceCentsAsync(i.Invoice.Id.Value);
            if (after != before[i.Invoice.Id.Value] - pay)
            {
                wrong++;
                if (problems.Count < 20) problems.Add($"invoice {i.Invoice.Id}: balance {after} instead of {before[i.Invoice.Id.Value] - pay}");
            }
        }

        return new Outcome(request.Seed, chosen.Count, rounds, sandbox.FaultsInjected, sandbox.WritesDropped, sandbox.TokensIssued, done, notDone, wrong, problems, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>System time plus an offset the run steps forward, so outbox back-offs pass without waiting.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private TimeSpan _offset;

        public void Advance(TimeSpan by) => _offset += by;

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;
    }
}
