using DuesPilot.Domain;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Hosting;

/// <summary>The services every host needs: the store, the clock, the chart of accounts and the posting controls.</summary>
public static class CoreServices
{
    /// <summary>
    /// Registers an already opened store plus the clock and options. Options are validated at start
    /// (data annotations), so a bad hold window or threshold stops the service with a clear message.
    /// </summary>
    public static IServiceCollection AddDuesPilotCore(this IServiceCollection services, IConfiguration configuration, Store store, TimeProvider? clock = null)
    {
        services.AddSingleton(store);
        var business = BusinessClockFrom(configuration, clock ?? TimeProvider.System);
        services.AddSingleton(business);
        services.AddSingleton<TimeProvider>(business);
        services.AddDuesPilotSettings(configuration);
        // The billing policy: the one source of rates and of the association's currency.
        services.AddSingleton(Features.Invoicing.LoadBillingPolicy.FromConfiguration(configuration));
        services.AddSingleton<Features.Jobs.JobRuns>();
        services.AddSingleton(RolloutFrom(configuration));
        services.AddSingleton<Features.Rollout.RolloutPhases>();
        return services;
    }

    /// <summary>
    /// The options every host and CLI command shares, bound and checked the same way: the chart of accounts
    /// (<c>Accounts:*</c>) and the posting controls (<c>Posting:*</c>), together as <see cref="PostingBooks"/>, and the
    /// job schedules (<c>Jobs:*</c>).
    /// A misspelt or unparsable key stops the start with one line naming it.
    /// </summary>
    public static IServiceCollection AddDuesPilotSettings(this IServiceCollection services, IConfiguration configuration)
    {
        var chart = ChartFrom(configuration.GetSection("Accounts"));
        services.AddSingleton(chart);
        services.AddSettings<PostingOptions>(configuration, "Posting");
        services.AddSingleton(sp => new PostingBooks(sp.GetRequiredService<ChartOfAccounts>(), sp.GetRequiredService<PostingOptions>()));
        // Job schedules and the run lease: the service's scheduler and every JobRuns (the CLI's too) read the same values.
        services.AddSettings<Features.Jobs.JobScheduleOptions>(configuration, "Jobs");
        // Intake (webhook secrets, body limits, the inbox worker): the endpoints, the worker, the staff UI's inbox page,
        // `inbox process` and the demo read the same bound values.
        services.AddOptions<Features.Intake.IntakeOptions>()
            .Configure(o => Settings.Bind(configuration, "Intake", o))
            .Validate(o => o.Worker.MaxAttempts >= 1 && o.Worker.BatchSize >= 1 && o.MaxWebhookBodyBytes > 0, "Intake:Worker:MaxAttempts, Intake:Worker:BatchSize and Intake:MaxWebhookBodyBytes must be positive")
            .ValidateOnStart();
        services.AddSingleton(sp => Settings.Value(sp.GetRequiredService<IOptions<Features.Intake.IntakeOptions>>()));
        services.AddSingleton(sp => sp.GetRequiredService<Features.Intake.IntakeOptions>().Worker);
        return services;
    }

    /// <summary>
    /// The association's clock: <paramref name="time"/> read in <c>Association:TimeZone</c> (IANA id, default UTC).
    /// Every business date (today, month close, the daily summary, hold and entry dates) comes from it. An unknown
    /// zone or a misspelt <c>Association:*</c> key stops the start with one line naming the key.
    /// </summary>
    public static BusinessClock BusinessClockFrom(IConfiguration configuration, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!string.IsNullOrWhiteSpace(configuration["Jobs:TimeZone"]))
            throw new SettingsException("Jobs:TimeZone is not a setting any more: the jobs' schedules are read in Association:TimeZone");
        var association = new AssociationOptions();
        Settings.Bind(configuration, AssociationOptions.SectionName, association);
        try
        {
            return BusinessClock.Create(time, association.TimeZone);
        }
        catch (TimeZoneNotFoundException ex)
        {
            throw new SettingsException($"{AssociationOptions.SectionName}:{nameof(AssociationOptions.TimeZone)}: {ex.Message}");
        }
    }

    /// <summary>The rollout rules; with no <c>Rollout</c> section, the pilot (card × REG guarded, the rest in shadow).</summary>
    public static Features.Rollout.RolloutOptions RolloutFrom(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!configuration.GetSection("Rollout").GetChildren().Any()) return Features.Rollout.RolloutOptions.Pilot();
        var options = new Features.Rollout.RolloutOptions();
        Settings.Bind(configuration, "Rollout", options);
        return options;
    }

    /// <summary>The chart of accounts with any codes the configuration maps (<c>Accounts:Cash</c>, <c>Accounts:DuesReceivable</c>…).</summary>
    public static ChartOfAccounts ChartFrom(IConfigurationSection section)
    {
        Settings.RequireKnownKeys(section, typeof(ChartOfAccounts));
        var chart = new ChartOfAccounts();
        AccountCode Or(string key, AccountCode fallback) => string.IsNullOrWhiteSpace(section[key]) ? fallback : new AccountCode(section[key]!);
        return chart with
        {
            Cash = Or(nameof(chart.Cash), chart.Cash),
            UnappliedCash = Or(nameof(chart.UnappliedCash), chart.UnappliedCash),
            DuesReceivable = Or(nameof(chart.DuesReceivable), chart.DuesReceivable),
            MemberCredit = Or(nameof(chart.MemberCredit), chart.MemberCredit),
            DeferredDues = Or(nameof(chart.DeferredDues), chart.DeferredDues),
            DuesRevenue = Or(nameof(chart.DuesRevenue), chart.DuesRevenue),
            RefundsPayable = Or(nameof(chart.RefundsPayable), chart.RefundsPayable),
            WriteOffs = Or(nameof(chart.WriteOffs), chart.WriteOffs),
        };
    }
}
