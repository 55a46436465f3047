using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Jobs;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Features.Inquiries.Mail;

/// <summary>Wires the support mailbox into the service: options bound and validated here, once, at start.</summary>
public static class InquiryMailboxRegistration
{
    /// <summary>
    /// Adds the <c>inquiry-mailbox</c> job (every minute, <c>Jobs:Schedules:inquiry-mailbox</c> to change)
    /// when <c>Inquiries:Mailbox:Host</c> is set. Replies go out through <c>Smtp</c>; with
    /// <c>Inquiries:Mailbox:AutoReply</c> on (the default) an SMTP server is required.
    /// </summary>
    public static IServiceCollection AddInquiryMailbox(this IServiceCollection services, IConfiguration configuration)
    {
        var mailbox = InquiryMailboxOptions.FromConfiguration(configuration);
        if (mailbox is null) return services;
        var smtpOptions = SmtpOptions.FromConfiguration(configuration, "Membership office");
        if (smtpOptions is null && mailbox.AutoReply)
        {
            throw new InvalidOperationException("Inquiries:Mailbox is set with AutoReply on, but Smtp:Host is not: set Smtp:Host to send replies, or Inquiries:Mailbox:AutoReply=false to draft every reply for staff.");
        }

        var replyFrom = mailbox.ReplyFrom is { Length: > 0 } from ? from : smtpOptions?.FromAddress ?? mailbox.User;
        if (!MimeKit.MailboxAddress.TryParse(replyFrom, out _))
            throw new InvalidOperationException("Inquiries:Mailbox:ReplyFrom (or Smtp:FromAddress) must be an e-mail address.");
        services.AddSingleton(mailbox);
        services.AddSingleton(sp => new AnswerInquiryMail(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<AnswerInquiry>(),
            smtpOptions is null ? null : new SmtpInquiryReplies(smtpOptions), replyFrom, mailbox.AutoReply));
        services.AddSingleton(new ScheduledJob("inquiry-mailbox", "* * * * *", (sp, ct) =>
            PollInquiryMailbox.RunJobAsync(mailbox, sp.GetRequiredService<AnswerInquiryMail>(), ct)));
        return services;
    }
}
