using System.Text;
using System.Text.RegularExpressions;

namespace DuesPilot.Features.Inquiries.Mail;

/// <summary>
/// What the member wrote in an e-mail, without what they quoted or forwarded: the text above the first
/// quoted reply ("On … wrote:", "&gt; " lines, an Outlook header block), forwarded message or signature,
/// with the subject in front when it is not a reply's or forward's subject. An auto-reply is no question.
/// </summary>
public static partial class MailQuestion
{
    /// <summary>The question, or empty when the member wrote nothing of their own.</summary>
    public static string Extract(string? subject, string? body)
    {
        var lines = (body ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var own = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (IsCut(line)) break;
            if (line.TrimStart().StartsWith('>')) continue;
            own.Append(line).Append('\n');
        }

        var text = Spaces().Replace(own.ToString(), " ").Trim();
        var subj = (subject ?? "").Trim();
        if (subj.Length > 0 && !ReplyOrForward().IsMatch(subj) && !text.Contains(subj, StringComparison.OrdinalIgnoreCase))
            text = text.Length == 0 ? "" : $"{subj.TrimEnd('.', ':')}. {text}";
        return text;
    }

    /// <summary>True for a vacation or delivery auto-reply (by its headers or subject): never answered, never a question.</summary>
    public static bool IsAutoReply(string? subject, string? autoSubmitted) =>
        (autoSubmitted is { Length: > 0 } a && !a.Equals("no", StringComparison.OrdinalIgnoreCase)) || AutoSubject().IsMatch(subject ?? "");

    private static bool IsCut(string line)
    {
        var t = line.Trim();
        return t == "--" || line == "-- " || t.StartsWith("-----Original Message", StringComparison.OrdinalIgnoreCase)
            || ForwardMarker().IsMatch(t) || OnWrote().IsMatch(t) || t.StartsWith("________________", StringComparison.Ordinal)
            || SentFrom().IsMatch(t);
    }

    [GeneratedRegex(@"^-{2,}\s*(Forwarded message|Original Message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}|^Begin forwarded message:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ForwardMarker();

    [GeneratedRegex(@"^(On|Am|Le|El)\b.{0,200}\b(wrote|schrieb|a écrit|escribió)\s*:\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex OnWrote();

    [GeneratedRegex(@"^Sent from my \w+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex SentFrom();

    [GeneratedRegex(@"^\s*(re|fw|fwd|aw|wg|tr|sv|vs)\s*(\[\d+\])?\s*:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ReplyOrForward();

    [GeneratedRegex(@"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|abwesenheitsnotiz|absence|vacation|undeliverable|delivery status notification)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AutoSubject();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Spaces();
}
