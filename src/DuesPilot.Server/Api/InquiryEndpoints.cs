using DuesPilot.Features.Inquiries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Server.Api;

/// <summary>The member billing assistant: a signed member token is the only key; no staff sign-in.</summary>
public static class InquiryEndpoints
{
    public sealed record AskRequest(string Token, string Question);

    public static IEndpointRouteBuilder MapInquiries(this IEndpointRouteBuilder app)
    {
        var limits = app.ServiceProvider.GetRequiredService<AssistantLimits>();
        app.MapPost("/api/inquiries", async (AnswerInquiry handler, AssistantLinkLimiter perLink, AskRequest body, CancellationToken ct) =>
        {
            // One member link may not flood staff with review items: a few questions a minute per link (and per address, below).
            if (!perLink.TryAcquire(body.Token ?? ""))
                return Results.Problem("Too many questions from this link; please wait a minute.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
            var outcome = await handler.HandleAsync(new AnswerInquiry.Request(body.Token ?? "", body.Question ?? ""), ct);
            return outcome.Status switch
            {
                InquiryStatus.Unauthorized => Results.Json(outcome.ToResponse(), statusCode: StatusCodes.Status401Unauthorized),
                InquiryStatus.Rejected => Results.Json(outcome.ToResponse(), statusCode: StatusCodes.Status400BadRequest),
                _ => Results.Json(outcome.ToResponse()),
            };
        }).AllowAnonymous().DisableAntiforgery()
            .RequireRateLimiting(ServiceLimits.AssistantPerAddress)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(limits.MaxBodyBytes))
            .WithMetadata(new DuesPilot.Web.CrossSiteAllowedAttribute("the member assistant is keyed by the signed member token in the body, not by a cookie; it is embedded on the association's site"));
        app.MapGet("/members/inquiries", (RenderInquiryPage page, Microsoft.Extensions.Configuration.IConfiguration configuration, HttpContext http, string? t) =>
        {
            var o = page.Handle(new RenderInquiryPage.Request(t));
            // frame-ancestors names the association's iMIS site (Inquiries:FrameAncestors), where the snippet embeds the page.
            http.Response.Headers.ContentSecurityPolicy =
                $"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'self' {configuration["Inquiries:FrameAncestors"]}".TrimEnd();
            return Results.Content(o.Body, o.ContentType, statusCode: o.Status == RenderInquiryPage.PageStatus.Page ? 200 : 401);
        }).AllowAnonymous();
        app.MapGet("/members/inquiries/embed.js", () =>
        {
            var o = RenderInquiryPage.EmbedScript();
            return Results.Content(o.Body, o.ContentType);
        }).AllowAnonymous();
        return app;
    }
}
