using System.CommandLine;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.Web;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot staff add USER --role reviewer --password …</c>: local staff accounts.</summary>
public static class StaffCommand
{
    public static Command Create()
    {
        var command = new Command("staff", "Local staff accounts for the web UI (roles: reviewer, approver, administrator, auditor).");
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var user = new Argument<string>("user") { Description = "User name." };
        var roles = new Option<string[]>("--role") { Description = "Role(s); repeat for several.", Required = true, AllowMultipleArgumentsPerToken = true };
        var password = new Option<string?>("--password") { Description = "Password (at least 8 characters). Default: DUESPILOT_STAFF_PASSWORD." };
        var name = new Option<string?>("--name") { Description = "Display name." };
        var add = new Command("add", "Create or update an account.") { user, roles, password, name, data, db };
        add.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("DUESPILOT_STAFF_PASSWORD")
                ?? throw new UserInputException("Give --password or set DUESPILOT_STAFF_PASSWORD.");
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct, create: true);
            try
            {
                var who = parse.GetValue(user)!;
                await new StaffAccounts(store, CommonOptions.Clock()).SaveAsync(who, parse.GetValue(name) ?? who, secret, parse.GetValue(roles)!, ct);
            }
            catch (ArgumentException ex)
            {
                throw new UserInputException(ex.Message);
            }

            Out.Console.MarkupLine($"Saved [bold]{Spectre.Console.Markup.Escape(parse.GetValue(user)!)}[/] with role(s) {string.Join(", ", parse.GetValue(roles)!)}.");
            return 0;
        });
        command.Subcommands.Add(add);
        return command;
    }
}
