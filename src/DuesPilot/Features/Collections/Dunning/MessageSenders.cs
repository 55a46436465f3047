using System.Net.Http.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>A message ready to go: e-mail address or phone number, subject (e-mail only) and body.</summary>
public sealed record OutgoingMessage(DunningChannel Channel, string To, string Subject, string Body, string Reference);

/// <summary>Sent, or failed with a reason; a failure leaves the stage unsent so the next run tries again.</summary>
public sealed record SendResult(bool Sent, string Detail)
{
    public static SendResult Ok(string detail) => new(true, detail);
    public static SendResult Failed(string detail) => new(false, detail);
}

public interface IMessageSender
{
    DunningChannel Channel { get; }

    Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct);
}

/// <summary>SMTP settings. Options carry units in their names; <see cref="Validate"/> runs at start.</summary>
public sealed record SmtpOptions(string Host, int Port, string FromAddress, string FromName, bool UseStartTls = false, string? UserName = null, string? Password = null, int TimeoutSeconds = 30)
{
    /// <summary>
    /// The <c>Smtp</c> section, read the same way by every sender (daily summary, dunning, mailbox replies): null without
    /// <c>Smtp:Host</c>; a misspelt key or a value that does not parse stops the start with one line naming it.
    /// </summary>
    /// <param name="defaultFromName">The sender's name when <c>Smtp:FromName</c> is not set.</param>
    public static SmtpOptions? FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration, string defaultFromName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var smtp = configuration.GetSection("Smtp");
        Hosting.Settings.RequireKnownKeys(smtp, typeof(SmtpOptions));
        // Every value is parsed even without a host, so a bad one is reported before the day someone sets Smtp:Host.
        var port = Hosting.Settings.Int(configuration, "Smtp:Port", 25);
        var startTls = Hosting.Settings.Bool(configuration, "Smtp:UseStartTls", false);
        var timeout = Hosting.Settings.Int(configuration, "Smtp:TimeoutSeconds", 30);
        if (string.IsNullOrWhiteSpace(smtp["Host"])) return null;
        var options = new SmtpOptions(smtp["Host"]!.Trim(), port,
            smtp["FromAddress"] is { Length: > 0 } from ? from : "duespilot@localhost", smtp["FromName"] is { Length: > 0 } name ? name : defaultFromName,
            startTls, smtp["UserName"] is { Length: > 0 } user ? user : null, smtp["Password"], timeout);
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new InvalidOperationException("Smtp:Host is required.");
        if (Port is < 1 or > 65535) throw new InvalidOperationException("Smtp:Port must be 1–65535.");
        if (!MailboxAddress.TryParse(FromAddress, out _)) throw new InvalidOperationException("Smtp:FromAddress is not an e-mail address.");
        if (TimeoutSeconds is < 1 or > 300) throw new InvalidOperationException("Smtp:TimeoutSeconds must be 1–300.");
    }
}

/// <summary>Sends e-mail through an SMTP server with MailKit, one connection per message (dunning volumes are small).</summary>
public sealed class SmtpEmailSender(SmtpOptions options) : IMessageSender
{
    public DunningChannel Channel => DunningChannel.Email;

    public async Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        if (!MailboxAddress.TryParse(message.To, out var to)) return SendResult.Failed($"'{message.To}' is not an e-mail address");
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        mime.To.Add(to);
        mime.Subject = message.Subject;
        mime.Headers.Add("X-DuesPilot-Reference", message.Reference);
        mime.Body = new TextPart("plain") { Text = message.Body };
        using var client = new SmtpClient { Timeout = options.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(options.Host, options.Port, options.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, ct);
            if (options.UserName is not null) await client.AuthenticateAsync(options.UserName, options.Password ?? "", ct);
            var response = await client.SendAsync(mime, ct);
            await client.DisconnectAsync(true, ct);
            return SendResult.Ok(response);
        }
        catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or AuthenticationException)
        {
            return SendResult.Failed(ex.Message);
        }
    }
}

/// <summary>An SMS provider reached over HTTP: POST <see cref="Url"/> with JSON {to, body, reference} and an optional bearer token.</summary>
public sealed record SmsProviderOptions(Uri Url, string? BearerToken = null, string From = "DuesPilot");

/// <summary>Sends SMS through a configurable HTTP provider (most have this shape; a small adapter covers the rest).</summary>
public sealed class HttpSmsSender(HttpClient http, SmsProviderOptions options) : IMessageSender
{
    public DunningChannel Channel => DunningChannel.Sms;

    public async Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url)
        {
            Content = JsonContent.Create(new { to = message.To, from = options.From, body = message.Body, reference = message.Reference }),
        };
        if (options.BearerToken is not null) request.Headers.Authorization = new("Bearer", options.BearerToken);
        try
        {
            using var response = await http.SendAsync(request, ct);
            return response.IsSuccessStatusCode ? SendResult.Ok($"HTTP {(int)response.StatusCode}") : SendResult.Failed($"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex)
        {
            return SendResult.Failed(ex.Message);
        }
    }
}
