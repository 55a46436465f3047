using DuesPilot.Domain.Proration;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Jobs;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
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
        var schedule = new JobScheduleOptions();
        configuration.GetSection("Jobs").Bind(schedule);
        services.AddSingleton(schedule);

        services.AddSingleton(new ScheduledJob("hold-release", "*/5 * * * *", async (sp, ct) =>
        {
            var o = await ReleaseExpiredHolds.HandleAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ChartOfAccounts>(), sp.GetRequiredService<PostingOptions>(), ct: ct);
            return new JobResult($"posted {o.Posted} hold(s), {o.TotalPosted.ToDisplayString()}", new Dictionary<string, long> { ["posted"] = o.Posted, ["already"] = o.AlreadyResolved });
        }));

        services.AddSingleton(new ScheduledJob("daily-summary-email", "0 7 * * *", (sp, ct) =>
        {
            var smtp = configuration.GetSection("Smtp");
            var mail = new DailySummaryMailOptions();
            configuration.GetSection("Reports:DailySummary").Bind(mail);
            if (string.IsNullOrWhiteSpace(smtp["Host"]) || string.IsNullOrWhiteSpace(mail.To))
                return Task.FromResult(new JobResult("off: set Smtp:Host and Reports:DailySummary:To", new Dictionary<string, long>()));
            var options = new SmtpOptions(smtp["Host"]!, int.TryParse(smtp["Port"], out var port) ? port : 25, smtp["FromAddress"] ?? "duespilot@localhost", smtp["FromName"] ?? "DuesPilot",
                bool.TryParse(smtp["UseStartTls"], out var tls) && tls, smtp["UserName"], smtp["Password"]);
            options.Validate();
            return SendDailySummary.HandleAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), options, mail, ct);
        }));

        if (imisConfigured)
        {
            services.AddSingleton(new ScheduledJob("imis-sync", "*/15 * * * *", (sp, ct) =>
                SyncFromImis.RunJobAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<IImisClient>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<BillingPolicy>(), ct)));
            services.AddSingleton(new ScheduledJob("imis-writes", "* * * * *", (sp, ct) =>
                SendImisWrites.RunJobAsync(sp.GetRequiredService<Store>(), sp.GetRequiredService<IImisClient>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ImisOptions>>().Value, ct)));
        }

        services.AddHostedService<ScheduledJobRunner>();
        return services;
    }
}
