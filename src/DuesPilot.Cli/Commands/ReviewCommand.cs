using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.Web;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary>
/// <c>duespilot review list|resolve</c>: the review queue from the shell, through the same feature code as the staff UI and the
/// JSON API (<see cref="ReviewQueue"/>, <see cref="ResolveReviewItem"/>), so every resolution is audited the same way.
/// </summary>
public static class ReviewCommand
{
    /// <summary>The actions by the names the CLI accepts.</summary>
    public static readonly IReadOnlyDictionary<string, ReviewAction> Actions = new Dictionary<string, ReviewAction>(StringComparer.OrdinalIgnoreCase)
    {
        ["approve"] = ReviewAction.Approve,
        ["reject"] = ReviewAction.Reject,
        ["accept-as-is"] = ReviewAction.AcceptAsIs,
        ["correct-in-imis"] = ReviewAction.CorrectInImis,
        ["void-in-imis"] = ReviewAction.VoidInImis,
        ["put-on-account"] = ReviewAction.PutOnAccount,
        ["pick-candidate"] = ReviewAction.PickCandidate,
        ["refund"] = ReviewAction.Refund,
        ["reverse-application"] = ReviewAction.ReverseApplication,
        ["assign"] = ReviewAction.Assign,
        ["comment"] = ReviewAction.Comment,
    };

    public static Command Create()
    {
        var command = new Command("review", "The review queue: list items, resolve one (same rules, roles and audit as the staff UI).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Resolve());
        return command;
    }

    private static Command List()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var state = new Option<string>("--state") { Description = "open (with assigned), assigned, resolved, or all.", DefaultValueFactory = _ => "open" };
        var kind = new Option<string?>("--kind") { Description = "Only items of this kind (payment, invoice, inquiry, collections, payment-…, unmatched-…)." };
        var search = new Option<string?>("--search") { Description = "Text in the subject, member or reason." };
        var limit = new Option<int>("--limit") { Description = "At most this many items, highest priority first.", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "One JSON object per line." };
        var list = new Command("list", "List review items, highest priority first.") { state, kind, search, limit, json, data, db };
        list.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var s = parse.GetValue(state)!;
            var items = await ReviewQueue.ListAsync(store, new ReviewQueueFilter(s == "all" ? null : s, parse.GetValue(kind), null, parse.GetValue(search), parse.GetValue(limit)), ct);
            if (parse.GetValue(json))
            {
                var writer = Out.Console.Profile.Out.Writer;
                foreach (var i in items)
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        id = i.ItemId, kind = i.Kind, subject = i.SubjectId, member = i.MemberId, state = i.State, priority = i.Priority,
                        amount = i.Amount?.ToPlainString(), currency = i.Amount?.Currency.Code, suggested_action = i.SuggestedAction, reason = i.Reason,
                        assigned_to = i.AssignedTo, created_at = i.CreatedAt, resolution = i.Resolution,
                    }));
                }

                await writer.FlushAsync(ct);
                return 0;
            }

            var table = new Table().AddColumns("Item", "Kind", "Member", "Amount", "Priority", "State", "Why");
            foreach (var i in items)
            {
                table.AddRow(Markup.Escape(i.ItemId), Markup.Escape(i.Kind), Markup.Escape(i.MemberId ?? ""), Markup.Escape(i.Amount?.ToDisplayString() ?? ""),
                    i.Priority.ToString(CultureInfo.InvariantCulture), Markup.Escape(i.State), Markup.Escape(Short(i.Resolution ?? i.Reason ?? "", 70)));
            }

            Out.Console.Write(table);
            Out.Console.MarkupLine($"{items.Count} item(s).");
            return 0;
        });
        return list;
    }

    private static Command Resolve()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var item = new Argument<string>("item") { Description = "The review item id (see `review list`)." };
        var action = new Option<string>("--action") { Description = "One of: " + string.Join(", ", Actions.Keys) + ".", Required = true };
        var by = new Option<string>("--by") { Description = "The staff account acting (its roles decide what it may do; see `staff add`).", Required = true };
        var note = new Option<string?>("--note") { Description = "Why (required for accept-as-is, void-in-imis and reverse-application; the adjustment reason sent to iMIS), or the comment." };
        var amount = new Option<decimal?>("--amount") { Description = "correct-in-imis: the amount the invoice should be billed (default: the expected amount from the findings)." };
        var member = new Option<string?>("--member") { Description = "put-on-account / pick-candidate: the member id." };
        var assignTo = new Option<string?>("--assign-to") { Description = "assign: the colleague." };
        var resolve = new Command("resolve", "Resolve or act on one review item; audited like the staff UI.") { item, action, by, note, amount, member, assignTo, data, db };
        resolve.SetAction(async (parse, ct) =>
        {
            if (!Actions.TryGetValue(parse.GetValue(action)!, out var chosen))
                throw new UserInputException($"unknown action '{parse.GetValue(action)}': use one of {string.Join(", ", Actions.Keys)}");
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var clock = TimeProvider.System;
            var account = await new StaffAccounts(store, clock).FindAsync(parse.GetValue(by)!, ct)
                ?? throw new UserInputException($"no enabled staff account '{parse.GetValue(by)}' (create one with `duespilot staff add`)");
            var books = CommonOptions.Books();
            var outcome = await ResolveReviewItem.HandleAsync(store, clock, books.Accounts, books.Options, new ResolveReviewItem.Request(
                parse.GetValue(item)!, chosen, new StaffActor(account.UserName, account.Roles), parse.GetValue(note), parse.GetValue(member), null,
                parse.GetValue(assignTo), parse.GetValue(amount)), ct);
            if (outcome.Result != ResolveReviewItem.Result.Done) throw new UserInputException($"not done ({outcome.Result}): {outcome.Message}");
            Out.Console.MarkupLine($"Done: {Markup.Escape(outcome.Message)}");
            return 0;
        });
        return resolve;
    }

    private static string Short(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
