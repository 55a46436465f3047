using System.Diagnostics;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using DuesPilot.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// Two service instances on one PostgreSQL database: every webhook goes to one of them at random and a
/// third of them to the other as well, both inbox workers lease from the same queue, and both run
/// <see cref="MatchReceivedPayments"/> at the same moments. No item may be processed twice and no payment
/// applied or sent to review twice.
/// </summary>
public static class ChaosTwoInstances
{
    public sealed record Request(int Events, int Seed, StoreOptions Store, int Concurrency = 8);

    public sealed record Outcome(int Seed, long Deliveries, long NotAcknowledged, long MatchRuns, long Decided, long Applied, long PaymentsDecidedTwice, ExactlyOnceFigures Figures, TimeSpan Elapsed);

    public static async Task<Outcome> RunAsync(Request request, CancellationToken ct)
    {
        if (request.Store.Engine != StoreEngine.Postgres) throw new InvalidOperationException("two instances need PostgreSQL (a connection string with Host=)");
        var started = Stopwatch.GetTimestamp();
        var events = ChaosWebhooks.Make(request.Events, request.Seed);
        await SeedMembersAsync(request.Store, events, ct);

        // Matching is driven below, concurrently on both instances; the timer job is turned off so the figures are the run's own.
        var settings = ChaosHost.Settings();
        settings["Jobs:Schedules:match-payments"] = "";
        var a = await ChaosHost.StartAsync(request.Store, settings, ct: ct);
        var b = await ChaosHost.StartAsync(request.Store, settings, ct: ct);
        await using (a)
        await using (b)
        {
            using var toA = new HttpClient { BaseAddress = ServerHost.Address(a), Timeout = TimeSpan.FromSeconds(30) };
            using var toB = new HttpClient { BaseAddress = ServerHost.Address(b), Timeout = TimeSpan.FromSeconds(30) };
            var random = new Random(request.Seed);
            var deliveries = events.SelectMany(e =>
            {
                var first = random.Next(2) == 0;
                return random.Next(3) == 0 ? new[] { (e, first), (e, !first) } : new[] { (e, first) };
            }).ToArray();
            random.Shuffle(deliveries);
            long notAcknowledged = 0, matchRuns = 0, decided = 0;
            using var sending = new CancellationTokenSource();
            var matching = Task.Run(async () =>
            {
                // Both instances match at the same moments while webhooks arrive, then a last round after.
                while (!sending.IsCancellationRequested)
                {
                    var both = await Task.WhenAll(MatchAsync(a, ct), MatchAsync(b, ct));
                    Interlocked.Add(ref matchRuns, 2);
                    Interlocked.Add(ref decided, both.Sum());
                    await Task.Delay(50, ct);
                }
            }, ct);
            await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = ct }, async (d, token) =>
            {
                var (status, _) = await ChaosWebhooks.SendAsync(d.Item2 ? toA : toB, d.Item1, TimeProvider.System, token);
                if (!ChaosWebhooks.Acknowledged(status)) Interlocked.Increment(ref notAcknowledged);
            });
            var store = a.Services.GetRequiredService<Store>();
            await ChaosWebhooks.WaitProcessedAsync(store, TimeSpan.FromMinutes(2), ct);
            await sending.CancelAsync();
            await matching;
            var last = await Task.WhenAll(MatchAsync(a, ct), MatchAsync(b, ct));
            decided += last.Sum();
            matchRuns += 2;

            var figures = await ExactlyOnceFigures.ReadAsync(store, events, ct);
            await using var c = await store.OpenConnectionAsync(ct);
            var applied = await c.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT payment_id) FROM allocations");
            var decidedTwice = await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM (SELECT subject_id FROM review_items WHERE kind = 'payment' GROUP BY subject_id HAVING COUNT(*) > 1) twice");
            await a.StopAsync(ct);
            await b.StopAsync(ct);
            return new Outcome(request.Seed, deliveries.Length, notAcknowledged, matchRuns, decided, applied, decidedTwice, figures, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task<long> MatchAsync(WebApplication app, CancellationToken ct)
    {
        var s = app.Services;
        var o = await MatchReceivedPayments.HandleAsync(s.GetRequiredService<Store>(), s.GetRequiredService<TimeProvider>(), s.GetRequiredService<ChartOfAccounts>(),
            s.GetRequiredService<PostingOptions>(), s.GetRequiredService<RolloutPhases>(), s.GetRequiredService<MatchOptions>(), null, ct: ct);
        // Decided counts the batch it loaded, skipped ones included; what this instance actually decided is the rest.
        return o.Held + o.ToReview + o.Shadowed;
    }

    /// <summary>One member per event (the payer's name and email) with one open invoice of exactly the amount, so matching applies money.</summary>
    private static async Task SeedMembersAsync(StoreOptions options, IReadOnlyList<ChaosEvent> events, CancellationToken ct)
    {
        await using var store = await Store.OpenAsync(options, ct);
        var now = TimeProvider.System.GetUtcNow();
        await store.InTransactionAsync(async (c, tx) =>
        {
            for (var n = 0; n < events.Count; n++)
            {
                var id = new MemberId($"{500000 + n}");
                await MemberCache.UpsertAsync(c, tx, new Member(id, PartyKind.Person, $"Payer {n}", "Payer", $"{n}", $"payer{n}@example.org", "REG", MemberStatus.Active, null, null), now);
                var amount = Money.FromMinor(events[n].AmountMinor, Currency.USD);
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"{900000 + n}"), id, new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), amount, amount, "DUES-REG", "2027 dues"), now);
            }

            return true;
        }, ct);
    }
}
