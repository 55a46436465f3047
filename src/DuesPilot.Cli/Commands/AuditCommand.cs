using System.CommandLine;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot audit verify|list</c>.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var command = new Command("audit", "The append-only, hash-chained audit log.");
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var verify = new Command("verify", "Recompute the hash chain; exit 3 and name the first altered, removed or reordered row.") { data, db };
        verify.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var result = await new AuditTrail(store, CommonOptions.Clock()).VerifyAsync(ct);
            if (result.IsIntact)
            {
                Out.Console.MarkupLine($"[green]Audit log intact[/]: {result.Rows} row(s), every hash matches its content and its predecessor.");
                return 0;
            }

            Out.Console.MarkupLine($"[red]Audit log broken[/] at row {result.FirstBrokenSeq}: {Markup.Escape(result.Problem ?? "")}");
            return 3;
        });

        var data2 = CommonOptions.Data();
        var db2 = CommonOptions.Database();
        var subject = new Option<string?>("--subject") { Description = "Only rows about this subject, e.g. payment:ch_123." };
        var limit = new Option<int>("--limit") { Description = "Newest rows to show.", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Show the newest audit rows.") { data2, db2, subject, limit };
        list.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data2), parse.GetValue(db2), ct);
            var rows = await new AuditTrail(store, CommonOptions.Clock()).ListAsync(parse.GetValue(subject), parse.GetValue(limit), ct);
            var table = new Table().AddColumns("#", "When (UTC)", "Actor", "Action", "Subject", "Outcome");
            foreach (var r in rows)
                table.AddRow(r.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), r.OccurredAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(r.Event.Actor), Markup.Escape(r.Event.Action), Markup.Escape(r.Event.Subject), Markup.Escape(r.Event.Outcome));
            Out.Console.Write(table);
            return 0;
        });
        command.Subcommands.Add(verify);
        command.Subcommands.Add(list);
        return command;
    }
}
