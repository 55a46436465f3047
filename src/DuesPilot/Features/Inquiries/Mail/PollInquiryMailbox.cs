using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Jobs;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace DuesPilot.Features.Inquiries.Mail;

/// <summary>
/// The <c>inquiry-mailbox</c> job: reads the support mailbox over IMAP and hands each message not yet
/// done to <see cref="AnswerInquiryMail"/>. A message is marked done in the mailbox (keyword
/// <see cref="DoneKeyword"/> and \Seen) only after its reply is sent or its draft stored; the
/// <c>inquiry_mail</c> table keeps it from being answered twice when the service stops between the two.
/// </summary>
public static class PollInquiryMailbox
{
    public const string DoneKeyword = "$DuesPilotDone";

    public sealed record Outcome(int Seen, int Replied, int Drafted, int Unidentified, int AlreadyDone, int Pending);

    public static async Task<Outcome> HandleAsync(InquiryMailboxOptions options, AnswerInquiryMail handler, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        using var client = new ImapClient { Timeout = options.TimeoutSeconds * 1000 };
        var security = options.Security switch
        {
            "none" => SecureSocketOptions.None,
            "starttls" => SecureSocketOptions.StartTls,
            "ssl" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        };
        await client.ConnectAsync(options.Host, options.Port, security, ct);
        await client.AuthenticateAsync(options.User, options.Password, ct);
        var folder = await client.GetFolderAsync(options.Folder, ct);
        await folder.OpenAsync(FolderAccess.ReadWrite, ct);
        var uids = await folder.SearchAsync(SearchQuery.NotKeyword(DoneKeyword), ct);
        int replied = 0, drafted = 0, unidentified = 0, already = 0, pending = 0;
        foreach (var uid in uids.OrderBy(u => u.Id).Take(options.MaxPerPoll))
        {
            ct.ThrowIfCancellationRequested();
            var message = await folder.GetMessageAsync(uid, ct);
            var mail = InboundMail.FromMime(message, $"{folder.FullName}/{folder.UidValidity}/{uid.Id}");
            var result = await handler.HandleAsync(mail, progress, ct);
            switch (result.State)
            {
                case "reply-pending":
                    pending++;
                    continue; // not done: the next poll tries to send again
                case "replied" when !result.AlreadyDone: replied++; break;
                case "drafted" when !result.AlreadyDone: drafted++; break;
                case "unidentified" when !result.AlreadyDone: unidentified++; break;
                default: already++; break;
            }

            await folder.StoreAsync(uid, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Keywords = { DoneKeyword }, Silent = true }, ct);
            progress?.Report($"done {mail.MailKey}");
        }

        await client.DisconnectAsync(true, ct);
        return new Outcome(uids.Count, replied, drafted, unidentified, already, pending);
    }

    public static async Task<JobResult> RunJobAsync(InquiryMailboxOptions options, AnswerInquiryMail handler, CancellationToken ct)
    {
        var o = await HandleAsync(options, handler, ct: ct);
        return new JobResult($"{o.Replied} answered by e-mail, {o.Drafted} drafted for staff, {o.Unidentified} from unknown senders{(o.Pending > 0 ? $", {o.Pending} replies waiting to be sent" : "")}",
            new Dictionary<string, long> { ["replied"] = o.Replied, ["drafted"] = o.Drafted, ["unidentified"] = o.Unidentified, ["already_done"] = o.AlreadyDone, ["reply_pending"] = o.Pending });
    }
}

/// <summary>Sends the mailbox's replies through the association's SMTP server (<c>Smtp</c> section), one connection per reply.</summary>
public sealed class SmtpInquiryReplies(SmtpOptions options) : IInquiryReplySender
{
    public async Task SendAsync(MimeMessage reply, CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = options.TimeoutSeconds * 1000 };
        await client.ConnectAsync(options.Host, options.Port, options.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, ct);
        if (options.UserName is not null) await client.AuthenticateAsync(options.UserName, options.Password ?? "", ct);
        await client.SendAsync(reply, ct);
        await client.DisconnectAsync(true, ct);
    }
}
