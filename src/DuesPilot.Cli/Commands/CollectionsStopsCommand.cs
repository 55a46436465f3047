using System.CommandLine;
using DuesPilot.Domain;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot collections dispute|opt-out|sms-contact</c>: record the facts that stop or shape dunning.</summary>
public static class CollectionsStopsCommand
{
    public static Command Dispute()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var invoice = new Option<string>("--invoice") { Description = "The disputed invoice.", Required = true };
        var member = new Option<string?>("--member") { Description = "The member (required to open)." };
        var resolve = new Option<bool>("--resolve") { Description = "Resolve the dispute: dunning resumes." };
        var note = new Option<string>("--note") { Description = "What the member said, or how it was resolved.", DefaultValueFactory = _ => "" };
        var command = new Command("dispute", "Open (or with --resolve, resolve) a dispute on an invoice; dunning stops while it is open.") { data, db, invoice, member, resolve, note };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var id = new InvoiceId(parse.GetValue(invoice)!);
            if (parse.GetValue(resolve))
            {
                await RecordCollectionsStops.ResolveDisputeAsync(store, CommonOptions.Clock(), id, parse.GetValue(note)!, Environment.UserName, ct);
                Out.Console.MarkupLine("Dispute resolved; dunning resumes on the next pass.");
                return 0;
            }

            var m = parse.GetValue(member) ?? throw new UserInputException("--member is required to open a dispute.");
            await RecordCollectionsStops.OpenDisputeAsync(store, CommonOptions.Clock(), id, new MemberId(m), parse.GetValue(note)!, Environment.UserName, ct);
            Out.Console.MarkupLine("Dispute opened; no dunning for this invoice until it is resolved.");
            return 0;
        });
        return command;
    }

    public static Command OptOut()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var member = new Option<string>("--member") { Description = "The member.", Required = true };
        var channel = new Option<string>("--channel") { Description = "email, sms or all.", DefaultValueFactory = _ => "all" };
        channel.AcceptOnlyFromAmong("email", "sms", "all");
        var command = new Command("opt-out", "Record a member's opt-out of dunning messages on a channel.") { data, db, member, channel };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            await RecordCollectionsStops.OptOutAsync(store, CommonOptions.Clock(), new MemberId(parse.GetValue(member)!), parse.GetValue(channel)!, Environment.UserName, ct);
            Out.Console.MarkupLine("Opt-out recorded.");
            return 0;
        });
        return command;
    }

    public static Command SmsContact()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var member = new Option<string>("--member") { Description = "The member.", Required = true };
        var phone = new Option<string>("--phone") { Description = "Mobile number in E.164 form (+15555550100).", Required = true };
        var withdraw = new Option<bool>("--withdraw") { Description = "Consent withdrawn: no more SMS." };
        var command = new Command("sms-contact", "Record a member's mobile number and SMS consent (SMS stages need both).") { data, db, member, phone, withdraw };
        command.SetAction(async (parse, ct) =>
        {
            var number = parse.GetValue(phone)!;
            if (number.Length is < 8 or > 16 || number[0] != '+' || !number[1..].All(char.IsAsciiDigit)) throw new UserInputException($"--phone '{number}' is not an E.164 number (+ and 7–15 digits).");
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            await RecordCollectionsStops.SetSmsContactAsync(store, CommonOptions.Clock(), new MemberId(parse.GetValue(member)!), number, !parse.GetValue(withdraw), Environment.UserName, ct);
            Out.Console.MarkupLine(parse.GetValue(withdraw) ? "SMS consent withdrawn." : "SMS contact recorded.");
            return 0;
        });
        return command;
    }
}
