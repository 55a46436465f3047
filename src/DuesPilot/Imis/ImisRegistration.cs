using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Imis;

/// <summary>Registers the iMIS client for hosts: options bound from the <c>Imis</c> section and validated at start.</summary>
public static class ImisRegistration
{
    public static IServiceCollection AddImisClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImisOptions>()
            .Configure(o => Hosting.Settings.Bind(configuration, ImisOptions.SectionName, o, "Writes"))
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        services.AddSingleton(sp => new ImisTransport(sp.GetRequiredService<IOptions<ImisOptions>>().Value, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IImisClient>(sp => new ImisClient(sp.GetRequiredService<ImisTransport>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }
}
