using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Demo;

namespace DuesPilot.Cli.Chaos;

/// <summary>One Stripe <c>charge.succeeded</c> delivery of a chaos run: its event id, payment intent and body.</summary>
public sealed record ChaosEvent(string EventId, string PaymentIntent, long AmountMinor, string Body);

/// <summary>
/// The webhook traffic the chaos scenarios replay: seeded <c>charge.succeeded</c> events shaped like
/// <see cref="GenerateDemoDay"/>'s, signed at send time the way Stripe signs, and posted to
/// <c>/webhooks/stripe</c>. A 200 is an acknowledgement (queued or duplicate); anything else is not.
/// </summary>
public static class ChaosWebhooks
{
    public const string Secret = "whsec_chaos_only_for_local_runs";

    public static IReadOnlyList<ChaosEvent> Make(int count, int seed, string? description = null)
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var list = new List<ChaosEvent>(count);
        for (var n = 0; n < count; n++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{seed}x{n:D6}");
            var amount = 5_000L + random.Next(0, 60_000);
            list.Add(Charge(id, amount, $"Payer {n}", $"payer{n}@example.org", description ?? "Membership dues", new Dictionary<string, string>(), start.AddSeconds(n)));
        }

        return list;
    }

    /// <summary>One signed-at-send-time <c>charge.succeeded</c> event (id <c>evt_chaos{id}</c>, payment intent <c>pi_chaos{id}</c>).</summary>
    public static ChaosEvent Charge(string id, long amount, string name, string email, string description, IReadOnlyDictionary<string, string> metadata, DateTimeOffset created)
    {
        var charge = new Dictionary<string, object?>
        {
            ["id"] = $"ch_chaos{id}",
            ["object"] = "charge",
            ["amount"] = amount,
            ["amount_captured"] = amount,
            ["captured"] = true,
            ["currency"] = "usd",
            ["payment_intent"] = $"pi_chaos{id}",
            ["billing_details"] = new Dictionary<string, object?> { ["name"] = name, ["email"] = email },
            ["description"] = description,
            ["metadata"] = metadata,
            ["payment_method_details"] = new Dictionary<string, object?> { ["type"] = "card", ["card"] = new Dictionary<string, object?> { ["brand"] = "visa", ["last4"] = "4242" } },
            ["created"] = created.ToUnixTimeSeconds(),
        };
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = $"evt_chaos{id}",
            ["object"] = "event",
            ["type"] = "charge.succeeded",
            ["api_version"] = "2024-06-20",
            ["created"] = created.ToUnixTimeSeconds(),
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["data"] = new Dictionary<string, object?> { ["object"] = charge },
        });
        return new ChaosEvent($"evt_chaos{id}", $"pi_chaos{id}", amount, body);
    }

    /// <summary>Posts one event signed now; returns the status (0 when the connection failed) and the latency.</summary>
    public static async Task<(int Status, TimeSpan Latency)> SendAsync(HttpClient http, ChaosEvent e, TimeProvider clock, CancellationToken ct, string secret = Secret)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(e.Body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign(e.Body, secret, clock.GetUtcNow().ToUnixTimeSeconds()));
            using var response = await http.SendAsync(request, ct);
            return ((int)response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (0, Stopwatch.GetElapsedTime(started));
        }
    }

    public static bool Acknowledged(int status) => status == (int)HttpStatusCode.OK;

    /// <summary>Waits until no Stripe inbox item is pending (the worker has processed everything), or the timeout passes.</summary>
    public static async Task<bool> WaitProcessedAsync(Store store, TimeSpan timeout, CancellationToken ct)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            await using (var c = await store.OpenConnectionAsync(ct))
            {
                if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE source = 'stripe' AND state = 'pending'") == 0) return true;
            }

            await Task.Delay(100, ct);
        }

        return false;
    }
}

/// <summary>
/// The exactly-once figures of a run, read from the store afterwards: every event in the inbox once,
/// one payment per payment intent, one receipt entry per payment, no allocation applied twice, a clean ledger audit.
/// </summary>
public sealed record ExactlyOnceFigures(
    int Events,
    long InboxItems,
    long Processed,
    long DeadLettered,
    long Payments,
    long ReceiptEntries,
    long Lost,
    long Duplicated,
    long AppliedTwice,
    bool LedgerClean,
    IReadOnlyList<string> Problems)
{
    public bool ExactlyOnce => Lost == 0 && Duplicated == 0 && AppliedTwice == 0 && LedgerClean && DeadLettered == 0 && Processed == InboxItems;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"events {Events}, inbox items {InboxItems} (processed {Processed}, dead {DeadLettered}), payments {Payments}, receipt entries {ReceiptEntries}; lost {Lost}, duplicated {Duplicated}, applied twice {AppliedTwice}, ledger audit {(LedgerClean ? "clean" : "NOT clean")}");

    public static async Task<ExactlyOnceFigures> ReadAsync(Store store, IReadOnlyList<ChaosEvent> events, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var keys = (await c.QueryAsync<string>("SELECT idempotency_key FROM inbox WHERE source = 'stripe'")).ToList();
        var states = (await c.QueryAsync<(string State, long N)>("SELECT state, COUNT(*) FROM inbox WHERE source = 'stripe' GROUP BY state")).ToDictionary(r => r.State, r => r.N, StringComparer.Ordinal);
        var payments = (await c.QueryAsync<(string Id, long Amount)>("SELECT payment_id, amount_minor FROM payments WHERE source = 'stripe'")).ToList();
        var receipts = (await c.QueryAsync<string>("SELECT idempotency_key FROM journal_entries WHERE idempotency_key LIKE 'payment:stripe:%:receipt'")).ToList();
        var appliedTwice = await c.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM (
                SELECT a.payment_id FROM allocations a JOIN payments p ON p.payment_id = a.payment_id
                GROUP BY a.payment_id, p.amount_minor
                HAVING CAST(SUM(a.amount_minor) AS BIGINT) > p.amount_minor OR COUNT(DISTINCT COALESCE(a.invoice_id, a.member_id)) < COUNT(*)) twice
            """);

        var problems = new List<string>();
        var wantedKeys = events.Select(e => $"stripe:{e.EventId}").ToHashSet(StringComparer.Ordinal);
        var wantedPayments = events.ToDictionary(e => $"stripe:{e.PaymentIntent}", e => e.AmountMinor, StringComparer.Ordinal);
        var keySet = keys.ToHashSet(StringComparer.Ordinal);
        var paymentIds = payments.Select(p => p.Id).ToList();
        var paymentSet = paymentIds.ToHashSet(StringComparer.Ordinal);
        long lost = wantedKeys.Count(k => !keySet.Contains(k)) + wantedPayments.Keys.Count(p => !paymentSet.Contains(p));
        long duplicated = (keys.Count - keySet.Count) + (paymentIds.Count - paymentSet.Count);
        var receiptCounts = receipts.GroupBy(r => r, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var p in payments)
        {
            var n = receiptCounts.GetValueOrDefault($"payment:{p.Id}:receipt");
            if (n == 0) { lost++; problems.Add($"{p.Id}: no receipt entry"); }
            if (n > 1) { duplicated += n - 1; problems.Add($"{p.Id}: {n} receipt entries"); }
            if (wantedPayments.TryGetValue(p.Id, out var amount) && amount != p.Amount) problems.Add($"{p.Id}: amount {p.Amount} instead of {amount}");
        }

        var audit = await new Journal(store).AuditAsync(ct);
        problems.AddRange(audit.Problems);
        if (appliedTwice > 0) problems.Add($"{appliedTwice} payment(s) with allocations applied twice");
        return new ExactlyOnceFigures(events.Count, keys.Count, states.GetValueOrDefault(InboxStates.Processed), states.GetValueOrDefault(InboxStates.Dead),
            payments.Count, receipts.Count, lost, duplicated, appliedTwice, audit.IsClean, problems);
    }
}

/// <summary>Latency percentiles from a list of samples.</summary>
public static class Percentiles
{
    public static TimeSpan Of(IReadOnlyList<TimeSpan> samples, double percentile)
    {
        if (samples.Count == 0) return TimeSpan.Zero;
        var sorted = samples.OrderBy(s => s).ToList();
        var index = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
