using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Tooling.Invoicing;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

public sealed class PlantedDefectTests
{
    public static TheoryData<string> PolicyNames => ["example", "exclude-join-month-cutoff-20", "fiscal-july-daily", "quarterly", "semi-annual", "anniversary", "no-proration"];

    private static BillingPolicy Named(string name) => name switch
    {
        "example" => LoadBillingPolicy.Example(),
        "exclude-join-month-cutoff-20" => Make(countJoinMonth: false, firstMonthCutoffDay: 20),
        "fiscal-july-daily" => Make("daily", cycle: "fiscal_year", startMonth: 7),
        "quarterly" => Make("quarterly"),
        "semi-annual" => Make("semi_annual"),
        "anniversary" => Make(cycle: "anniversary"),
        "no-proration" => Make("none"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Validate_GeneratedCleanBatch_FindsNothing(string policyName)
    {
        var policy = Named(policyName);
        var clean = GenerateInvoiceBatch.Create(policy, 3000, seed: 7, termYear: 2027);
        var report = ValidateInvoices.Run(policy, clean);
        Assert.Empty(report.Flagged.SelectMany(r => r.Findings).Select(f => $"{f.InvoiceId} {f.Kind}: {f.Explanation}"));
        Assert.Equal(3000, report.Clean);
    }

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Validate_PlantedDefects_FindsEveryOneAndFlagsNothingElse(string policyName)
    {
        var policy = Named(policyName);
        var clean = GenerateInvoiceBatch.Create(policy, 3000, seed: 11, termYear: 2027);
        var planted = PlantInvoiceDefects.Plant(policy, clean, perKind: 3, seed: 5);

        // Every kind was planted three times (the generator makes enough candidates of each); a policy that
        // never prorates joins has no prorated join invoice to spoil.
        Assert.All(PlantInvoiceDefects.Kinds, k => Assert.Equal(k == FindingKind.ProrationMismatch && !policy.ProratesJoins ? 0 : 3, planted.Manifest.Count(d => d.Kind == k)));

        var report = ValidateInvoices.Run(policy, planted.Batch);
        var found = report.Flagged.SelectMany(r => r.Findings.Select(f => (f.InvoiceId, f.Kind))).ToHashSet();
        Assert.All(planted.Manifest, d => Assert.Contains((d.InvoiceId, d.Kind), found));
        Assert.Equal(planted.Manifest.Select(d => d.InvoiceId.Value).Order(StringComparer.Ordinal), report.Flagged.Select(r => r.Invoice.Id.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Plant_SameSeed_SameManifest()
    {
        var policy = LoadBillingPolicy.Example();
        var a = PlantInvoiceDefects.Plant(policy, GenerateInvoiceBatch.Create(policy, 500, 3, 2027), 2, 9);
        var b = PlantInvoiceDefects.Plant(policy, GenerateInvoiceBatch.Create(policy, 500, 3, 2027), 2, 9);
        Assert.Equal(a.Manifest, b.Manifest);
    }

    [Fact]
    public void Validate_FlaggedInvoices_AreOrderedByMoneyAtStakeTimesLikelihood()
    {
        var policy = LoadBillingPolicy.Example();
        var planted = PlantInvoiceDefects.Plant(policy, GenerateInvoiceBatch.Create(policy, 2000, 4, 2027), 2, 4);
        var report = ValidateInvoices.Run(policy, planted.Batch);
        Assert.Equal(report.Flagged.Select(r => r.PriorityCents).OrderDescending(), report.Flagged.Select(r => r.PriorityCents));
        // A corporate member billed $395 instead of $2,500 (0.95 likely) outranks everything else planted here.
        Assert.Equal(FindingKind.CorporateBilledAsIndividual, report.Flagged[0].Findings[0].Kind);
    }
}
