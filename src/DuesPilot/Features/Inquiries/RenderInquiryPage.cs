using System.Net;
using DuesPilot.Domain;

namespace DuesPilot.Features.Inquiries;

/// <summary>
/// The member-facing page (<c>GET /members/inquiries?t=TOKEN</c>) and its embed script
/// (<c>GET /members/inquiries/embed.js</c>). The token is checked before the page is served, so an
/// expired link shows a clear message instead of a page whose every question fails.
/// </summary>
public sealed class RenderInquiryPage(InquiryOptions options, TimeProvider clock)
{
    public enum PageStatus
    {
        Page,
        Unauthorized,
    }

    public sealed record Request(string? Token);

    /// <summary>The body to send, its content type and the status (200 or 401).</summary>
    public sealed record Outcome(PageStatus Status, string Body, string ContentType);

    public Outcome Handle(Request request)
    {
        var check = new MemberToken(options.SigningKey).Check(request.Token, clock.GetUtcNow());
        if (!check.IsValid)
            return new Outcome(PageStatus.Unauthorized,
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Link expired</title><body style=\"font-family:system-ui;padding:2rem\"><h1>This link has expired</h1><p>Please open the billing assistant again from the member portal.</p></body></html>",
                "text/html; charset=utf-8");
        var html = Asset("inquiry.html").Replace("__TOKEN__", WebUtility.HtmlEncode(request.Token!), StringComparison.Ordinal);
        return new Outcome(PageStatus.Page, html, "text/html; charset=utf-8");
    }

    /// <summary>The embed script; static, so it can be cached.</summary>
    public static Outcome EmbedScript() => new(PageStatus.Page, Asset("embed.js"), "text/javascript; charset=utf-8");

    internal static string Asset(string name)
    {
        using var stream = typeof(RenderInquiryPage).Assembly.GetManifestResourceStream("inquiry-assets/" + name)
            ?? throw new InvalidOperationException($"Asset {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// Issues a member's signed link and the snippet an iMIS content item embeds. Staff-side: whoever
/// calls it must already know the member (the iMIS site, on the member's own signed-in page).
/// </summary>
public sealed class IssueMemberLink(InquiryOptions options, TimeProvider clock)
{
    public sealed record Request(MemberId MemberId, Uri BaseUrl);

    public sealed record Outcome(string Token, DateTimeOffset ExpiresAt, Uri PageUrl, string Snippet);

    public Outcome Handle(Request request)
    {
        var expires = clock.GetUtcNow().AddDays(options.TokenLifetimeDays);
        var token = new MemberToken(options.SigningKey).Issue(request.MemberId, expires);
        var page = new Uri(request.BaseUrl, "members/inquiries?t=" + Uri.EscapeDataString(token));
        var script = new Uri(request.BaseUrl, "members/inquiries/embed.js");
        var snippet = $"<script src=\"{script}\" data-token=\"{WebUtility.HtmlEncode(token)}\" data-height=\"560\" async></script>";
        return new Outcome(token, expires, page, snippet);
    }
}
