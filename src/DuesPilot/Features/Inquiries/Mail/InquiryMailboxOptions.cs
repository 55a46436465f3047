using DuesPilot.Hosting;
using Microsoft.Extensions.Configuration;

namespace DuesPilot.Features.Inquiries.Mail;

/// <summary>
/// The support mailbox (<c>Inquiries:Mailbox</c>): where members' billing questions arrive by e-mail.
/// Bound and validated once at start; absent (no <c>Host</c>) means the mailbox door is off.
/// </summary>
/// <param name="Security"><c>none</c> (plain IMAP, tests and local relays), <c>starttls</c>, <c>ssl</c> (IMAPS) or <c>auto</c>.</param>
/// <param name="AutoReply">True (default): confident answers are sent by SMTP at once. False: every reply is drafted on a review item for staff to send.</param>
/// <param name="MaxPerPoll">Messages handled in one poll; the rest wait for the next.</param>
/// <param name="ReplyFrom">The address replies come from; default <c>Smtp:FromAddress</c>, else <see cref="User"/>.</param>
public sealed record InquiryMailboxOptions(string Host, int Port, string User, string Password, string Folder = "INBOX", string Security = "auto", bool AutoReply = true, int MaxPerPoll = 50, int TimeoutSeconds = 30,
    string? ReplyFrom = null)
{
    public static InquiryMailboxOptions? FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var s = configuration.GetSection("Inquiries:Mailbox");
        Settings.RequireKnownKeys(s, typeof(InquiryMailboxOptions));
        var port = Settings.Int(configuration, "Inquiries:Mailbox:Port", 993);
        var autoReply = Settings.Bool(configuration, "Inquiries:Mailbox:AutoReply", true);
        var maxPerPoll = Settings.Int(configuration, "Inquiries:Mailbox:MaxPerPoll", 50);
        var timeout = Settings.Int(configuration, "Inquiries:Mailbox:TimeoutSeconds", 30);
        if (string.IsNullOrWhiteSpace(s["Host"])) return null;
        var o = new InquiryMailboxOptions(
            s["Host"]!,
            port,
            s["User"] ?? "",
            s["Password"] ?? "",
            s["Folder"] is { Length: > 0 } f ? f : "INBOX",
            s["Security"] is { Length: > 0 } sec ? sec.ToLowerInvariant() : "auto",
            autoReply,
            maxPerPoll,
            timeout,
            s["ReplyFrom"] is { Length: > 0 } from ? from : null);
        o.Validate();
        return o;
    }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new InvalidOperationException("Inquiries:Mailbox:Host is required.");
        if (Port is < 1 or > 65535) throw new InvalidOperationException("Inquiries:Mailbox:Port must be 1-65535.");
        if (string.IsNullOrWhiteSpace(User)) throw new InvalidOperationException("Inquiries:Mailbox:User is required when Inquiries:Mailbox:Host is set.");
        if (string.IsNullOrEmpty(Password)) throw new InvalidOperationException("Inquiries:Mailbox:Password is required when Inquiries:Mailbox:Host is set (keep it in secrets).");
        if (string.IsNullOrWhiteSpace(Folder)) throw new InvalidOperationException("Inquiries:Mailbox:Folder must name a folder.");
        if (Security is not ("none" or "starttls" or "ssl" or "auto")) throw new InvalidOperationException("Inquiries:Mailbox:Security must be none, starttls, ssl or auto.");
        if (MaxPerPoll is < 1 or > 1000) throw new InvalidOperationException("Inquiries:Mailbox:MaxPerPoll must be 1-1000.");
        if (TimeoutSeconds is < 1 or > 300) throw new InvalidOperationException("Inquiries:Mailbox:TimeoutSeconds must be 1-300.");
    }

    public override string ToString() => $"{User}@{Host}:{Port}/{Folder}";
}
