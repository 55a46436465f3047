using DuesPilot.Ai;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Inquiries.Mail;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Jobs;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Rollout;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
using DuesPilot.Hosting;
using DuesPilot.Imis;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Server.Jobs;

/// <summary>
/// The service's scheduled jobs: each a cron expression (overridable as <c>Jobs:Schedules:NAME</c>, empty
/// = off) over a handler the CLI calls too. Runs are recorded in <c>job_runs</c> and shown on /Jobs.
/// </summary>
public static class ServiceJobs
{
    public static IServiceCollection AddServiceJobs(this IServiceCollection services, IConfiguration configuration, bool imisConfigured)
    {
        // A value that does not parse stops the start naming its key; it never falls back to the default.
        Settings.RequireKnownKeys(configuration.GetSection("Matching"), ["AutoApplyConfidence", "VarianceTolerancePercent", "UseEmbeddings"]);
        var matching = new MatchOptions(
            Settings.Decimal(configuration, "Matching:AutoApplyConfidence", 0.90m),
            Settings.Decimal(configuration, "Matching:VarianceTolerancePercent", 2m),
            UseEmbeddings: Settings.Bool(configuration, "Matching:UseEmbeddings", true));
        matching.Validate();
        services.AddSingleton(matching);
        services.AddSingleton<INameEmbedder>(_ => MiniLmEmbedder.Shared);
        services.AddSingleton(new ScheduledJob("match-payments", "* * * * *", (sp, ct) =>
            MatchReceivedPayments.RunJobAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ChartOfAccounts>(),
                sp.GetRequiredService<PostingOptions>(), sp.GetRequiredService<RolloutPhases>(), matching, matching.UseEmbeddings ? sp.GetRequiredService<INameEmbedder>() : null,
                sp.GetService<IMemoInterpreter>(), ct)));

        services.AddSingleton(new ScheduledJob("hold-release", "*/5 * * * *", async (sp, ct) =>
        {
            var o = await ReleaseExpiredHolds.HandleAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ChartOfAccounts>(), sp.GetRequiredService<PostingOptions>(), ct: ct);
            return new JobResult($"posted {o.Posted} hold(s), {o.TotalPosted.ToDisplayString()}", new Dictionary<string, long> { ["posted"] = o.Posted, ["already"] = o.AlreadyResolved });
        }));

        var mail = new DailySummaryMailOptions();
        Settings.Bind(configuration, "Reports:DailySummary", mail);
        var smtpOptions = SmtpOptions.FromConfiguration(configuration, "DuesPilot");
        services.AddSingleton(new ScheduledJob("daily-summary-email", "0 7 * * *", (sp, ct) =>
        {
            if (smtpOptions is null || string.IsNullOrWhiteSpace(mail.To))
                return Task.FromResult(new JobResult("off: set Smtp:Host and Reports:DailySummary:To", new Dictionary<string, long>()));
            return SendDailySummary.HandleAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<BillingPolicy>().Currency, smtpOptions, mail, ct);
        }));

        services.AddSingleton(new ScheduledJob("nightly-reconciliation", "0 2 * * *", async (sp, ct) =>
        {
            var store = sp.GetRequiredService<Store>();
            var clock = sp.GetRequiredService<TimeProvider>();
            var counts = new Dictionary<string, long>();
            if (imisConfigured)
            {
                var sync = await SyncFromImis.HandleAsync(store, sp.GetRequiredService<IImisClient>(), clock, sp.GetService<BillingPolicy>(), ct: ct);
                counts["imis_invoices"] = sync.Invoices;
                counts["new_invoices"] = sync.NewInvoices;
            }

            var matched = await MatchReceivedPayments.HandleAsync(store, clock, sp.GetRequiredService<ChartOfAccounts>(), sp.GetRequiredService<PostingOptions>(),
                sp.GetRequiredService<RolloutPhases>(), matching, matching.UseEmbeddings ? sp.GetRequiredService<INameEmbedder>() : null, sp.GetService<IMemoInterpreter>(), ct: ct);
            counts["matched"] = matched.Decided;
            var policy = sp.GetRequiredService<BillingPolicy>();
            var batch = await SyncFromImis.LoadBatchAsync(store, ct: ct);
            var report = ValidateInvoices.Run(policy, batch with { Invoices = batch.Invoices.Where(i => i.IsOpen).ToList() });
            var recorded = await RecordInvoiceFindings.HandleAsync(store, clock, policy.Name, report.Flagged, ct);
            counts["invoices_flagged"] = report.Flagged.Count;
            var summary = await DailySummary.BuildAsync(store, clock, Domain.BusinessClock.Of(clock).Today.AddDays(-1), policy.Currency, ct);
            var folder = Path.Combine(configuration["DataDirectory"] ?? StoreOptions.DefaultDataDirectory, "reports");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"daily-summary-{summary.Date:yyyy-MM-dd}.html"), DailySummary.ToHtml(summary), ct);
            await File.WriteAllTextAsync(Path.Combine(folder, $"daily-summary-{summary.Date:yyyy-MM-dd}.csv"), DailySummary.ToCsv(summary), ct);
            await using (var findings = File.CreateText(Path.Combine(folder, $"invoice-findings-{summary.Date:yyyy-MM-dd}.csv")))
                RecordInvoiceFindings.WriteCsv(findings, report.Flagged);
            return new JobResult($"matched {matched.Decided}, {report.Flagged.Count} invoice(s) flagged, morning report written", counts);
        }));

        if (imisConfigured)
        {
            services.AddSingleton(new ScheduledJob("imis-sync", "*/15 * * * *", (sp, ct) =>
                SyncFromImis.RunJobAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<IImisClient>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<BillingPolicy>(), ct)));
            services.AddOptions<ImisWriteOptions>().Configure(o => Settings.Bind(configuration, ImisWriteOptions.SectionName, o))
                .Validate<IOptions<ImisOptions>>((writes, imis) =>
                {
                    writes.Validate(imis.Value);
                    return true;
                }).ValidateOnStart();
            services.AddSingleton(new ScheduledJob("imis-writes", "* * * * *", (sp, ct) =>
                SendImisWrites.RunJobAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<IImisClient>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ImisOptions>>().Value,
                    sp.GetRequiredService<IOptions<ImisWriteOptions>>().Value, ct)));
        }

        services.AddInquiryMailbox(configuration);
        services.AddHostedService<ScheduledJobRunner>();
        services.AddHostedService(sp => new OutboxGauges(sp.GetRequiredService<Store>()));

        // Month close of deferred dues (Revenue:Close:Enabled) and dunning (Collections:Dunning:Enabled): off
        // until the association turns them on; each is a thin BackgroundService over the CLI's handler.
        var close = new Features.Revenue.RevenueCloseOptions();
        Settings.Bind(configuration, "Revenue:Close", close);
        close.Validate();
        services.AddSingleton(close);
        services.AddHostedService<Features.Revenue.CloseRevenueMonthJob>();
        var dunning = new DunningJobOptions();
        Settings.Bind(configuration, "Collections:Dunning", dunning);
        dunning.Validate();
        if (dunning.Enabled)
        {
            services.AddSingleton(dunning);
            services.AddSingleton(sp =>
            {
                var rules = string.IsNullOrWhiteSpace(dunning.PolicyFile) ? DunningPolicy.Parse(DunningPolicy.DefaultJson) : DunningPolicy.Load(dunning.PolicyFile);
                var senders = new List<IMessageSender>();
                if (SmtpOptions.FromConfiguration(configuration, rules.AssociationName) is { } options) senders.Add(new SmtpEmailSender(options));

                var model = sp.GetRequiredService<Ai.GovernedModel>();
                var scorer = Features.Collections.Risk.ScoreOverdueAccounts.ScorerFrom(Path.Combine(configuration["DataDirectory"] ?? StoreOptions.DefaultDataDirectory, "models", "risk-model.zip"));
                return new RunDunning.Context(rules, scorer, senders, new GovernedRephraser(model));
            });
            services.AddHostedService<RunDunningJob>();
        }

        return services;
    }
}

/// <summary>Points the <c>/metrics</c> outbox gauges at this host's store when the host starts.</summary>
internal sealed class OutboxGauges(Store store) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        DuesPilot.Hosting.DuesPilotMetrics.ObserveOutbox(() => SendImisWrites.BacklogAsync(store).GetAwaiter().GetResult());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
