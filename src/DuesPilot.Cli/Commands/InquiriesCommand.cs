using System.CommandLine;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Invoicing;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot inquiries link|ask</c>: issue a member's signed assistant link, or ask as a member (staff testing).</summary>
public static class InquiriesCommand
{
    public static Command Create()
    {
        var command = new Command("inquiries", "The member billing assistant: signed member links and test questions.");
        command.Subcommands.Add(Link());
        command.Subcommands.Add(Ask());
        return command;
    }

    /// <summary>The assistant's options with the link-signing key read from the data folder, as the service reads it (made there the first time).</summary>
    private static InquiryOptions Options(IConfiguration configuration, string? data)
    {
        try
        {
            DataFolderSecrets.ApplyInquirySigningKey(configuration, CommonOptions.StoreOptionsFrom(data, null).DataDirectory);
            return InquiryOptions.FromConfiguration(configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new UserInputException(ex.Message + " (environment Inquiries__SigningKey or user secrets)");
        }
    }

    private static Command Link()
    {
        var member = new Argument<string>("member") { Description = "The member's iMIS id." };
        var baseUrl = new Option<string>("--base-url") { Description = "Where DuesPilot serves /members/inquiries.", DefaultValueFactory = _ => "http://127.0.0.1:5080/" };
        var data = CommonOptions.Data();
        var command = new Command("link", "Print a member's signed page link and the embed snippet for an iMIS content item.") { member, baseUrl, data };
        command.SetAction(parse =>
        {
            if (!Uri.TryCreate(parse.GetValue(baseUrl), UriKind.Absolute, out var url)) throw new UserInputException("--base-url must be an absolute URL");
            var o = new IssueMemberLink(Options(AiCommand.Configuration(), parse.GetValue(data)), CommonOptions.Clock()).Handle(new IssueMemberLink.Request(new MemberId(parse.GetValue(member)!), url));
            // Written past Spectre's line wrapping: a wrapped token or snippet would not work when pasted.
            var writer = Out.Console.Profile.Out.Writer;
            writer.WriteLine($"Link (valid until {DbTime.Format(o.ExpiresAt)}):");
            writer.WriteLine(o.PageUrl.ToString());
            writer.WriteLine("Embed snippet for an iMIS content item:");
            writer.WriteLine(o.Snippet);
            return 0;
        });
        return command;
    }

    private static Command Ask()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var member = new Argument<string>("member") { Description = "Ask as this member." };
        var question = new Argument<string>("question") { Description = "The question, in quotes." };
        var command = new Command("ask", "Answer a question as the member would see it (uses the configured model when there is one).") { member, question, data, db };
        command.SetAction(async (parse, ct) =>
        {
            var configuration = AiCommand.Configuration();
            var options = Options(configuration, parse.GetValue(data));
            var clock = CommonOptions.Clock();
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var ai = AiOptions.FromConfiguration(configuration);
            var model = new GovernedModel(store, clock, ai, AiChatClient.Create(ai), PromptRegistry.Embedded());
            var handler = new AnswerInquiry(store, clock, options, PolicyLibrary.Embedded(MiniLmEmbedder.Shared), new PolicyExpectedDues(LoadBillingPolicy.FromConfiguration(CommonOptions.Configuration())), model);
            var token = new MemberToken(options.SigningKey).Issue(new MemberId(parse.GetValue(member)!), clock.GetUtcNow().AddMinutes(5));
            var o = await handler.HandleAsync(new AnswerInquiry.Request(token, parse.GetValue(question)!), ct);
            Out.Console.MarkupLine($"[bold]{o.Status}[/] ({InquiryIntents.Code(o.Intent)}, confidence {o.Confidence}, {Markup.Escape(o.PhrasedBy)})");
            Out.Console.WriteLine(o.Answer);
            foreach (var c in o.Citations) Out.Console.MarkupLine($"  [grey]{Markup.Escape(c.Id)}[/]");
            if (o.ReviewItemId is not null) Out.Console.MarkupLine($"Review item: {Markup.Escape(o.ReviewItemId)}");
            return o.Status is InquiryStatus.Unauthorized or InquiryStatus.Rejected ? 2 : 0;
        });
        return command;
    }
}
