using System.Text;
using DuesPilot.Domain;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Jobs;
using DuesPilot.Persistence;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace DuesPilot.Features.Reports;

/// <summary>Configuration section <c>Reports:DailySummary</c>: who gets the morning e-mail.</summary>
public sealed class DailySummaryMailOptions
{
    /// <summary>Comma-separated recipients; empty turns the e-mail off.</summary>
    public string To { get; set; } = "";
    public string Subject { get; set; } = "DuesPilot daily summary {date}";
}

/// <summary>E-mails yesterday's daily summary (HTML body, CSV attached) through SMTP with MailKit.</summary>
public static class SendDailySummary
{
    public static async Task<JobResult> HandleAsync(Store store, TimeProvider clock, Currency currency, SmtpOptions smtp, DailySummaryMailOptions mail, CancellationToken ct)
    {
        var recipients = mail.To.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (recipients.Length == 0) return new JobResult("no recipients configured", new Dictionary<string, long>());
        var day = Domain.BusinessClock.Of(clock).Today.AddDays(-1);
        var report = await DailySummary.BuildAsync(store, clock, day, currency, ct);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.FromAddress));
        foreach (var r in recipients) message.To.Add(MailboxAddress.Parse(r));
        message.Subject = mail.Subject.Replace("{date}", day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var body = new BodyBuilder { HtmlBody = DailySummary.ToHtml(report) };
        body.Attachments.Add($"daily-summary-{day:yyyy-MM-dd}.csv", Encoding.UTF8.GetBytes(DailySummary.ToCsv(report)), new ContentType("text", "csv"));
        message.Body = body.ToMessageBody();
        using var client = new SmtpClient { Timeout = smtp.TimeoutSeconds * 1000 };
        await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, ct);
        if (smtp.UserName is not null) await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(true, ct);
        return new JobResult($"sent the summary of {day:yyyy-MM-dd} to {recipients.Length} recipient(s)", new Dictionary<string, long> { ["recipients"] = recipients.Length });
    }
}
