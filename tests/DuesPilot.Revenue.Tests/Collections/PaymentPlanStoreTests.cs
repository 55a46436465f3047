using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using DuesPilot.Features.Collections;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Collections;

public abstract class PaymentPlanStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 4, 1, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<CreatePaymentPlan.Outcome> Create(string key, string member, int count) =>
        CreatePaymentPlan.HandleAsync(_store, _clock, new CreatePaymentPlan.Request(key, new MemberId(member), [], new DateOnly(2027, 4, 1),
            new PaymentPlanPolicy(2, 6, Money.Usd(25m), InstallmentCadence.Monthly, RemainderPlacement.Last, 0, 5), count));

    [Fact]
    public async Task Create_TwoOpenInvoices_PlansTheirBalancesExactly()
    {
        await CollectionsData.AddMemberAsync(_store, _clock, "100");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-1", "100", new(2027, 2, 1), "395.00");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-2", "100", new(2027, 3, 1), "60.00", "50.01");

        var outcome = await Create("plan-1", "100", 4);

        // 445.01 / 4 = 111.25 r 1 ¢ → the last installment is 111.26.
        Assert.Equal(CreatePaymentPlan.Result.Created, outcome.Result);
        var rows = await _store.InTransactionAsync((c, tx) => c.QueryAsync<long>("SELECT amount_minor FROM payment_plan_installments WHERE plan_id = @id ORDER BY number", new { id = outcome.PlanId }, tx));
        Assert.Equal([11125, 11125, 11125, 11126], rows);
        Assert.Equal(CreatePaymentPlan.Result.Exists, (await Create("plan-1", "100", 4)).Result);
        Assert.Equal(CreatePaymentPlan.Result.AlreadyInPlan, (await Create("plan-2", "100", 2)).Result);
    }

    [Fact]
    public async Task PayEveryInstallment_CompletesThePlan()
    {
        await CollectionsData.AddMemberAsync(_store, _clock, "100");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-1", "100", new(2027, 2, 1), "100.00");
        var plan = await Create("plan-1", "100", 3);

        var a = await RecordInstallmentPayment.HandleAsync(_store, _clock, new RecordInstallmentPayment.Request(plan.PlanId!, Money.Usd(33.33m)));
        var b = await RecordInstallmentPayment.HandleAsync(_store, _clock, new RecordInstallmentPayment.Request(plan.PlanId!, Money.Usd(70m)));
        var c = await RecordInstallmentPayment.HandleAsync(_store, _clock, new RecordInstallmentPayment.Request(plan.PlanId!, Money.Usd(66.67m)));

        Assert.Equal((RecordInstallmentPayment.Result.Counted, "66.67"), (a.Result, a.StillOwed.ToPlainString()));
        Assert.Equal((RecordInstallmentPayment.Result.MoreThanOwed, "66.67"), (b.Result, b.StillOwed.ToPlainString()));
        Assert.Equal(RecordInstallmentPayment.Result.Completed, c.Result);
    }

    [Fact]
    public async Task MissedInstallment_AfterGraceDays_DefaultsThePlan()
    {
        await CollectionsData.AddMemberAsync(_store, _clock, "100");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-1", "100", new(2027, 2, 1), "100.00");
        var plan = await Create("plan-1", "100", 2);
        await RecordInstallmentPayment.HandleAsync(_store, _clock, new RecordInstallmentPayment.Request(plan.PlanId!, Money.Usd(50m)));

        // Second installment due 1 May; grace 5 days: still fine on 6 May, missed on 7 May.
        _clock.SetUtcNow(new DateTimeOffset(2027, 5, 6, 12, 0, 0, TimeSpan.Zero));
        Assert.Empty(await DetectMissedInstallments.HandleAsync(_store, _clock));
        _clock.SetUtcNow(new DateTimeOffset(2027, 5, 7, 12, 0, 0, TimeSpan.Zero));
        var defaulted = Assert.Single(await DetectMissedInstallments.HandleAsync(_store, _clock));

        Assert.Equal((plan.PlanId, 2, new DateOnly(2027, 5, 1)), (defaulted.PlanId, defaulted.Installment, defaulted.DueDate));
        Assert.Empty(await DetectMissedInstallments.HandleAsync(_store, _clock));
        Assert.Equal(CreatePaymentPlan.Result.Created, (await Create("plan-2", "100", 2)).Result);
    }
}

public sealed class PaymentPlanStoreSqliteTests() : PaymentPlanStoreTests(StoreEngine.Sqlite);

public sealed class PaymentPlanStorePostgresTests() : PaymentPlanStoreTests(StoreEngine.Postgres);
