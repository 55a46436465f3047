using System.Collections.Concurrent;
using DuesPilot.Domain;
using DuesPilot.ImisSandbox;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Imis.Tests;

public sealed class ResilienceTests
{
    private static readonly ImisPaymentMethod Card = new("VISA", "Visa", "CreditCard");

    /// <summary>
    /// The acceptance test: 1,000 payments through the client while 30% of requests fail with 500/503/429
    /// and 30% of writes are carried out but never answered, with every token revoked halfway. Each payment is
    /// retried by the caller until it is applied; at the end every balance is exactly initial − payments.
    /// </summary>
    [Fact]
    public async Task ApplyPayments_ThousandUnderInjectedFaults_EveryBalanceExact()
    {
        const int seed = 20261125;
        await using var host = await Sandbox.StartAsync(members: 900, seed: 3);
        using var client = Sandbox.Client(host, configure: o =>
        {
            o.MaxRetries = 6;
            o.MaxWriteAttempts = 8;
            o.RetryBaseDelayMs = 2;
            o.WriteReadbackDelayMs = 2;
        });
        var open = new List<ImisInvoice>();
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
            if (i.Invoice.Balance.MinorUnits >= 5000) open.Add(i);
        Assert.True(open.Count >= 100, $"seed gave {open.Count} open invoices");
        var random = new Random(seed);
        var payments = Enumerable.Range(0, 1000).Select(n =>
        {
            var invoice = open[n % open.Count];
            var cents = random.Next(100, 1000);
            return new ImisPaymentRequest($"DP-R-{n}", invoice.BillTo, Card, [new(invoice.Invoice.Id, Money.FromMinor(cents, Currency.USD))]);
        }).ToList();
        var expected = open.ToDictionary(i => i.Invoice.Id.Value, i => i.Invoice.Balance.MinorUnits);
        foreach (var p in payments) expected[p.Invoices[0].InvoiceId.Value] -= p.Total.MinorUnits;
        Assert.All(expected.Values, v => Assert.True(v >= 0));

        host.Faults = new SandboxFaults { ErrorRate = 0.3, TimeoutAfterWriteRate = 0.3, Seed = seed };
        var outcomes = new ConcurrentBag<ImisPaymentOutcome>();
        var done = 0;
        await Parallel.ForEachAsync(payments, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (p, ct) =>
        {
            if (Interlocked.Increment(ref done) == 500) host.ExpireAllTokens();
            for (var round = 0; ; round++)
            {
                var outcome = await client.ApplyPaymentAsync(p, ct);
                outcomes.Add(outcome);
                Assert.True(outcome.Status is not (ImisPaymentStatus.Conflict or ImisPaymentStatus.Rejected), $"seed {seed}: {p.ReferenceNumber} {outcome.Status} {outcome.Failure}");
                if (outcome.Status is ImisPaymentStatus.Applied or ImisPaymentStatus.AlreadyApplied) break;
                Assert.True(round < 20, $"seed {seed}: {p.ReferenceNumber} still unavailable: {outcome.Failure}");
            }
        });
        host.Faults = new SandboxFaults();

        Assert.True(host.FaultsInjected > 300, $"faults injected: {host.FaultsInjected}");
        Assert.True(host.WritesDropped > 100, $"writes dropped: {host.WritesDropped}");
        Assert.True(client.TokensFetched >= 2);
        foreach (var (invoiceId, cents) in expected)
            Assert.True(cents == await host.BalanceCentsAsync(invoiceId), $"seed {seed}: invoice {invoiceId} balance {await host.BalanceCentsAsync(invoiceId)} should be {cents}");
        foreach (var p in payments) Assert.Single(await client.FindPaymentsAsync(p.ReferenceNumber));
    }

    [Fact]
    public async Task ApplyPayment_WriteDoneThenClientTimesOut_ReadsBackInsteadOfPayingTwice()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host, configure: o => o.AttemptTimeoutSeconds = 1);
        ImisInvoice? invoice = null;
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true))) { invoice = i; break; }
        Assert.NotNull(invoice);
        host.Faults = new SandboxFaults { TimeoutAfterWriteRate = 1.0, TimeoutAfterWriteHangMs = 3000 };

        var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-HANG", invoice.BillTo, Card, [new(invoice.Invoice.Id, invoice.Invoice.Balance)]));
        host.Faults = new SandboxFaults();

        Assert.Equal(ImisPaymentStatus.Applied, outcome.Status);
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal(1, host.WritesDropped);
        Assert.Equal(0, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task Reads_UnderInjectedFaults_StillReturnEveryRow()
    {
        await using var host = await Sandbox.StartAsync(members: 400, configure: o => o.Faults = new SandboxFaults { ErrorRate = 0.3, Seed = 5 });
        using var client = Sandbox.Client(host, configure: o =>
        {
            o.MaxRetries = 8;
            o.PageSize = 25;
        });

        var count = 0;
        await foreach (var m in client.ListMembersAsync()) count++;

        Assert.Equal(400, count);
        Assert.True(host.FaultsInjected > 0);
    }

    [Fact]
    public async Task Token_ExpiresByTheClock_ClientRenewsBeforeUsingIt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 15, 8, 0, 0, TimeSpan.Zero));
        await using var host = await Sandbox.StartAsync(members: 20, configure: o =>
        {
            o.Clock = clock;
            o.TokenLifetimeSeconds = 3600;
        });
        using var client = Sandbox.Client(host, clock, o => o.TokenRenewalMarginSeconds = 60);

        await client.GetMemberAsync(new MemberId("10002"));
        clock.Advance(TimeSpan.FromMinutes(30));
        await client.GetMemberAsync(new MemberId("10002"));
        var afterHalfAnHour = client.TokensFetched;
        clock.Advance(TimeSpan.FromMinutes(31));
        var member = await client.GetMemberAsync(new MemberId("10002"));

        Assert.NotNull(member);
        Assert.Equal(1, afterHalfAnHour);
        Assert.Equal(2, client.TokensFetched);
        Assert.Equal(2, host.TokensIssued);
    }

    [Fact]
    public async Task Token_RevokedMidRun_ClientReauthenticatesOnceAndCarriesOn()
    {
        await using var host = await Sandbox.StartAsync(members: 120);
        using var client = Sandbox.Client(host, configure: o => o.PageSize = 20);

        var count = 0;
        await foreach (var m in client.ListMembersAsync())
        {
            if (++count == 50) host.ExpireAllTokens();
        }

        Assert.Equal(120, count);
        Assert.Equal(2, client.TokensFetched);
    }

    [Fact]
    public async Task Token_RejectedEveryTime_ClientReauthenticatesExactlyOnceThenFails()
    {
        await using var host = await Sandbox.StartAsync(members: 5, configure: o => o.Faults = new SandboxFaults { TokenRejectRate = 1.0 });
        using var client = Sandbox.Client(host);

        var ex = await Assert.ThrowsAsync<ImisRequestException>(() => client.GetMemberAsync(new MemberId("10002")));

        Assert.Equal(ImisFailureKind.Unauthorized, ex.Failure.Kind);
        Assert.Equal(401, ex.Failure.StatusCode);
        Assert.Equal(2, client.TokensFetched);
        Assert.Equal(2, host.Requests);
    }

    [Fact]
    public async Task Token_WrongPassword_IsUnauthorizedFailure()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var client = Sandbox.Client(host, configure: o => o.Password = "wrong");

        var ex = await Assert.ThrowsAsync<ImisRequestException>(() => client.GetMemberAsync(new MemberId("10002")));

        Assert.Equal(ImisFailureKind.Unauthorized, ex.Failure.Kind);
        Assert.Contains("incorrect", ex.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyPayment_SandboxDownForGood_IsUnavailableAndNothingApplied()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host, configure: o =>
        {
            o.MaxRetries = 1;
            o.MaxWriteAttempts = 2;
        });
        ImisInvoice? invoice = null;
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true))) { invoice = i; break; }
        Assert.NotNull(invoice);
        host.Faults = new SandboxFaults { ErrorRate = 1.0 };

        var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-DOWN", invoice.BillTo, Card, [new(invoice.Invoice.Id, invoice.Invoice.Balance)]));
        host.Faults = new SandboxFaults();

        Assert.Equal(ImisPaymentStatus.Unavailable, outcome.Status);
        Assert.True(outcome.IsRetryable);
        Assert.Contains(outcome.Failure!.StatusCode, new int?[] { 500, 503, 429 });
        Assert.Equal(invoice.Invoice.Balance.MinorUnits, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task Paging_TenThousandInvoices_EveryInvoiceOnce()
    {
        await using var host = await Sandbox.StartAsync(members: 3700, years: 3, seed: 11);
        using var client = Sandbox.Client(host);
        var total = await client.CountAsync("Invoice", [new("SourceSystem", "DUES")]);

        var ids = new HashSet<string>();
        var pages = 0;
        for (var offset = 0; ; pages++)
        {
            var page = await client.ReadInvoicesPageAsync(new InvoiceQuery(), offset);
            foreach (var i in page.Items) Assert.True(ids.Add(i.Invoice.Id.Value));
            if (!page.HasNext) { Assert.Equal(0, page.NextOffset); break; }
            offset = page.NextOffset;
        }

        Assert.True(ids.Count >= 10_000, $"{ids.Count} invoices");
        Assert.Equal(total, ids.Count);
        Assert.Equal((ids.Count + 99) / 100, pages + 1);
    }
}
