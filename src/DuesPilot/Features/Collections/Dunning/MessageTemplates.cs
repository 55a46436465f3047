using Fluid;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>The facts a dunning template may use. Everything is already formatted for people (amounts as "$395.00").</summary>
public sealed record MessageFacts(
    string MemberId,
    string FirstName,
    string FullName,
    string Tier,
    string InvoiceId,
    string Amount,
    string Balance,
    string DueDate,
    int DaysOverdue,
    string AssociationName,
    string PayUrl);

/// <summary>
/// Renders Liquid templates (Fluid) with a member's facts. Only the facts above are visible to a template:
/// nothing else of the member or the store can leak into a message through a template edit.
/// </summary>
public static class MessageTemplates
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = new();

    /// <summary>Throws a <see cref="FormatException"/> naming <paramref name="what"/> when the template does not parse.</summary>
    public static void Check(string template, string what)
    {
        if (!Parser.TryParse(template, out _, out var error)) throw new FormatException($"Dunning policy: {what} is not valid Liquid: {error}");
    }

    public static string Render(string template, MessageFacts facts)
    {
        if (!Parser.TryParse(template, out var parsed, out var error)) throw new FormatException($"Template is not valid Liquid: {error}");
        var context = new TemplateContext(Options);
        context.SetValue("member", new Dictionary<string, object>
        {
            ["id"] = facts.MemberId, ["first_name"] = facts.FirstName, ["full_name"] = facts.FullName, ["tier"] = facts.Tier,
        });
        context.SetValue("invoice", new Dictionary<string, object>
        {
            ["id"] = facts.InvoiceId, ["amount"] = facts.Amount, ["balance"] = facts.Balance, ["due_date"] = facts.DueDate,
        });
        context.SetValue("association", new Dictionary<string, object> { ["name"] = facts.AssociationName, ["pay_url"] = facts.PayUrl });
        context.SetValue("days_overdue", facts.DaysOverdue);
        context.SetValue("days_overdue_text", DaysText(facts.DaysOverdue));
        return parsed.Render(context);
    }

    /// <summary>"1 day", "12 days": the overdue period as a member reads it (templates use <c>{{ days_overdue_text }}</c>).</summary>
    public static string DaysText(int days) => days == 1 ? "1 day" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{days} days");
}

/// <summary>
/// The one place an LLM may touch a dunning message: rephrasing the rendered template through the governed AI
/// layer (masking, prompt registry, audit). DuesPilot's own default returns the template text unchanged.
/// </summary>
public interface IMessageRephraser
{
    /// <summary>Who rephrased, recorded with the message ("template" when nobody did).</summary>
    string Version { get; }

    ValueTask<string> RephraseAsync(string text, MessageFacts facts, DunningChannel channel, CancellationToken ct);
}

/// <summary>The default: the template's own words, unchanged.</summary>
public sealed class TemplateTextAsIs : IMessageRephraser
{
    public string Version => "template";

    public ValueTask<string> RephraseAsync(string text, MessageFacts facts, DunningChannel channel, CancellationToken ct) => ValueTask.FromResult(text);
}
