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
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new AnnotatedSettings<T>(section));
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

    /// <summary>
    /// Binds one section onto an existing object, first refusing keys the type does not have; <paramref name="readElsewhere"/>
    /// names child sections another reader binds (<c>Imis:Writes</c>, <c>Staff:SignIn</c>).
    /// </summary>
    public static void Bind(IConfiguration configuration, string section, object target, params string[] readElsewhere)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(target);
        var s = configuration.GetSection(section);
        RequireKnownKeys(s, target.GetType(), readElsewhere);
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

    /// <summary>
    /// Refuses keys of <paramref name="section"/> that are not settable properties of <paramref name="type"/> (case-insensitive,
    /// as the binder reads them), and, inside a nested options object (<c>Intake:Stripe</c>, <c>Staff:Oidc</c>), its keys too.
    /// </summary>
    public static void RequireKnownKeys(IConfigurationSection section, Type type, IEnumerable<string>? readElsewhere = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsCollection(p.PropertyType))
            .ToDictionary(p => p.Name, p => IsNestedOptions(p.PropertyType) ? p.PropertyType : null, StringComparer.OrdinalIgnoreCase);
        foreach (var name in readElsewhere ?? []) known.TryAdd(name, null);
        RequireKnownKeys(section, known);
    }

    /// <summary>
    /// Refuses keys of a section read by hand: <paramref name="names"/> are its own keys; <paramref name="nested"/> are child sections
    /// read elsewhere (each checked by its own reader, e.g. <c>Inquiries:Limits</c>).
    /// </summary>
    public static void RequireKnownKeys(IConfigurationSection section, IEnumerable<string> names, IEnumerable<string>? nested = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(names);
        var known = names.Concat(nested ?? []).ToDictionary(n => n, _ => (Type?)null, StringComparer.OrdinalIgnoreCase);
        RequireKnownKeys(section, known);
    }

    private static void RequireKnownKeys(IConfigurationSection section, Dictionary<string, Type?> known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.TryGetValue(child.Key, out var nested))
            {
                var guess = known.Keys.OrderBy(k => Distance(k.ToUpperInvariant(), child.Key.ToUpperInvariant())).First();
                throw new SettingsException($"{child.Path} is not a setting (did you mean {section.Path}:{guess}? known: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))})");
            }

            if (nested is not null) RequireKnownKeys(child, nested);
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

    /// <summary>A large whole-number setting: absent is the default, anything else stops the start naming the key.</summary>
    public static long Long(IConfiguration configuration, string key, long fallback)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw new SettingsException($"{key}: '{value}' is not a whole number");
    }

    /// <summary>A true/false setting: absent is the default, anything else stops the start naming the key.</summary>
    public static bool Bool(IConfiguration configuration, string key, bool fallback)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return bool.TryParse(value, out var b) ? b : throw new SettingsException($"{key}: '{value}' is not true or false");
    }

    /// <summary>A settings object of our own nested in another (bound key by key), not a value, text or list.</summary>
    private static bool IsNestedOptions(Type t) =>
        t.IsClass && t != typeof(string) && !IsCollection(t) && t.Namespace?.StartsWith("DuesPilot", StringComparison.Ordinal) == true &&
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.CanWrite);

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

/// <summary>Checks an options object's data annotations, each failure naming its key (<c>Jobs:LeaseSeconds: The field … must be between 3 and 3600.</c>).</summary>
internal sealed class AnnotatedSettings<T>(string section) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true))
            return ValidateOptionsResult.Success;
        return ValidateOptionsResult.Fail(results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
    }
}
