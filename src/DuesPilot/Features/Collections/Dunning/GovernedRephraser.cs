using System.Text.RegularExpressions;
using DuesPilot.Ai;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>
/// Lets the configured model reword a dunning message, only through the governed gateway (masking,
/// budget, prompt registry, audit). The wording is refused — and the template's own text sent — when the
/// model is off, slow, over budget, or its text drops or adds any amount, date, invoice number or link.
/// </summary>
public sealed partial class GovernedRephraser(GovernedModel model) : IMessageRephraser
{
    public string Version => model.IsConfigured ? $"model {model.Options.Model} prompt dunning-rephrase@1" : "template";

    public async ValueTask<string> RephraseAsync(string text, MessageFacts facts, DunningChannel channel, CancellationToken ct)
    {
        if (!model.IsConfigured) return text;
        var mask = new MaskingSession(MaskingRules.Default);
        var factText = $"member {facts.FullName}; invoice {facts.InvoiceId}; amount {facts.Amount}; balance {facts.Balance}; due {facts.DueDate}; {MessageTemplates.DaysText(facts.DaysOverdue)} overdue; pay at {facts.PayUrl}";
        var required = Tokens(text);
        var answer = await model.AskAsync(new ModelRequest("dunning-rephrase", new Dictionary<string, string>
        {
            ["channel"] = channel.ToString().ToLowerInvariant(), ["text"] = text, ["facts"] = factText,
        }, $"dunning:{facts.InvoiceId}", facts.MemberId), mask, output =>
        {
            var reworded = mask.Restore(output.GetProperty("text").GetString() ?? "");
            if (reworded.Trim().Length == 0) return "empty text";
            var got = Tokens(reworded);
            if (!required.SetEquals(got)) return "the wording changed an amount, date, invoice number or link";
            return channel == DunningChannel.Sms && reworded.Length > 300 ? "too long for SMS" : null;
        }, ct);
        return answer.IsUsable ? mask.Restore(answer.Output!.Value.GetProperty("text").GetString()) : text;
    }

    /// <summary>The facts a reminder must carry unchanged: amounts, dates, long numbers and links.</summary>
    private static HashSet<string> Tokens(string text) =>
        FactToken().Matches(text).Select(m => m.Value.TrimEnd('.', ',')).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\$\s?\d[\d,]*(?:\.\d{2})?|\b\d{4}-\d{2}-\d{2}\b|https?://\S+|\b\d{4,}\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex FactToken();
}
