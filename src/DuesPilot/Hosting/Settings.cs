using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Hosting;

/// <summary>A setting that is misspelt, unknown or does not parse: one line naming the key, and the service does not start.</summary>
public sealed class SettingsException(string message) : InvalidOperationException(message);

/// <summary>
/// Binding options from configuration the same way for the service and every CLI command: each section
/// is bound once, checked for keys its options type does not have (a misspelt setting is an error, not a
/// silent default), validated by its data annotations, and checked at start (<c>ValidateOnStart</c>).
/// </summary>
public static class Settings
{
    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/>, refusing unknown keys and invalid values, and registers the bound value.</summary>
    public static IServiceCollection AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        services.AddOptions<T>()
            .Configure(o => Bind(configuration, section, o))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => Value(sp.GetRequiredService<IOptions<T>>()));
        return services;
    }

    /// <summary>The options value; a validation failure becomes one line naming the section.</summary>
    public static T Value<T>(IOptions<T> options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return options.Value;
        }
        catch (OptionsValidationException ex)
        {
            throw new SettingsException(string.Join("; ", ex.Failures));
        }
    }

    /// <summary>Binds one section onto an existing object, first refusing keys the type does not have.</summary>
    public static void Bind(IConfiguration configuration, string section, object target)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(target);
        var s = configuration.GetSection(section);
        RequireKnownKeys(s, target.GetType());
        try
        {
            s.Bind(target);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the path ("Failed to convert configuration value at 'Posting:HoldWindowHours' to type 'System.Double'").
            throw new SettingsException(ex.Message);
        }
    }

    /// <summary>Refuses keys of <paramref name="section"/> that are not settable properties of <paramref name="type"/> (case-insensitive, as the binder reads them).</summary>
    public static void RequireKnownKeys(IConfigurationSection section, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsCollection(p.PropertyType))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!known.ContainsKey(child.Key))
            {
                var guess = known.Keys.OrderBy(k => Distance(k.ToUpperInvariant(), child.Key.ToUpperInvariant())).First();
                throw new SettingsException($"{child.Path} is not a setting (did you mean {section.Path}:{guess}? known: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))})");
            }
        }
    }

    /// <summary>A number setting: absent is the default, anything that is not a number stops the start naming the key.</summary>
    public static decimal Decimal(IConfiguration configuration, string key, decimal fallback)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : throw new SettingsException($"{key}: '{value}' is not a number");
    }

    /// <summary>A whole-number setting: absent is the default, anything else stops the start naming the key.</summary>
    public static int Int(IConfiguration configuration, string key, int fallback)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new SettingsException($"{key}: '{value}' is not a whole number");
    }

    /// <summary>A true/false setting: absent is the default, anything else stops the start naming the key.</summary>
    public static bool Bool(IConfiguration configuration, string key, bool fallback)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return bool.TryParse(value, out var b) ? b : throw new SettingsException($"{key}: '{value}' is not true or false");
    }

    private static bool IsCollection(Type t) => t != typeof(string) && t.IsAssignableTo(typeof(System.Collections.IEnumerable));

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        }

        return d[a.Length, b.Length];
    }
}
