using System.CommandLine;
using DuesPilot.Domain;
using DuesPilot.Features.BillingSetup;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot billing-setup suggest</c>: the default billing package for a new member, with reasons.</summary>
public static class BillingSetupCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var member = new Option<string>("--member") { Description = "The new member's iMIS id.", Required = true };
        var organization = new Option<bool>("--organization") { Description = "The new member is an organization." };
        var tier = new Option<string?>("--tier") { Description = "Tier chosen on the application." };
        var student = new Option<bool>("--student") { Description = "The applicant is a student." };
        var retired = new Option<bool>("--retired") { Description = "The applicant is retired." };
        var employer = new Option<string?>("--employer") { Description = "iMIS id of the applicant's employer (organization)." };
        var household = new Option<string?>("--household") { Description = "Household (family account) id." };
        var email = new Option<string?>("--email") { Description = "The applicant's e-mail address (its domain finds colleagues)." };
        var suggest = new Command("suggest", "Suggest tier, chapter, add-ons and billing cycle from the application and from similar members.")
            { data, db, member, organization, tier, student, retired, employer, household, email };
        suggest.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(email);
            var domain = address is null ? null : address.Contains('@', StringComparison.Ordinal) ? address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..] : throw new UserInputException($"--email '{address}' is not an e-mail address.");
            var profile = new NewMemberProfile(new MemberId(parse.GetValue(member)!), parse.GetValue(organization) ? PartyKind.Organization : PartyKind.Person, parse.GetValue(tier),
                parse.GetValue(student), parse.GetValue(retired), parse.GetValue(employer) is { } e ? new MemberId(e) : null, parse.GetValue(household), domain);
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var s = await SuggestBillingPackage.HandleAsync(store, CommonOptions.Clock(), profile, ct);
            var table = new Table().Title($"Suggested billing package for {Markup.Escape(profile.MemberId.Value)}").AddColumns("Part", "Suggestion", "Why");
            table.AddRow("Tier", Markup.Escape(s.Tier), Markup.Escape(s.TierReason));
            table.AddRow("Chapter", Markup.Escape(s.Chapter ?? "-"), Markup.Escape(s.ChapterReason));
            foreach (var a in s.AddOns) table.AddRow("Add-on", Markup.Escape(a.ProductCode), Markup.Escape(a.Reason));
            table.AddRow("Billing cycle", s.Cycle.ToString(), Markup.Escape(s.CycleReason));
            Out.Console.Write(table);
            Out.Console.MarkupLine($"From {s.SimilarMembers} similar member(s). A suggestion: staff accept or change it.");
            return 0;
        });
        var command = new Command("billing-setup", "New member billing setup.");
        command.Subcommands.Add(suggest);
        return command;
    }
}
