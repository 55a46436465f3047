using System.CommandLine;
using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using DuesPilot.Features.Collections;
using DuesPilot.Features.Collections.Risk;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Collections;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot collections history|train|score|plan|policy|dunning|dispute|opt-out|sms-contact</c>: risk scoring, payment plans and dunning.</summary>
public static class CollectionsCommand
{
    public static Command Create()
    {
        var command = new Command("collections", "Overdue accounts: generate demo history, train and score the risk model, propose payment plans, run dunning.");
        command.Subcommands.Add(History());
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Score());
        command.Subcommands.Add(Plan());
        command.Subcommands.Add(DunningCommand.Policy());
        command.Subcommands.Add(DunningCommand.Run());
        command.Subcommands.Add(CollectionsStopsCommand.Dispute());
        command.Subcommands.Add(CollectionsStopsCommand.OptOut());
        command.Subcommands.Add(CollectionsStopsCommand.SmsContact());
        return command;
    }

    internal static string ModelPath(string? data, string? model) =>
        model ?? Path.Combine(CommonOptions.StoreOptionsFrom(data, null).DataDirectory, "models", "risk-model.zip");

    private static Command History()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var members = new Option<int>("--members") { Description = "Members to generate.", DefaultValueFactory = _ => 2000 };
        var start = new Option<string?>("--start") { Description = "First day of the year of history (yyyy-MM-dd). Default: a year before today, so the history ends today." };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed writes the same history.", DefaultValueFactory = _ => 20260101 };
        var command = new Command("history", "Write a year of realistic, seeded collections history (members, invoices, payments, dunning) for the demo.") { data, db, members, start, seed };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var outcome = await GenerateCollectionsHistory.HandleAsync(store, CommonOptions.Clock(),
                new GenerateCollectionsHistory.Request(parse.GetValue(members),
                    parse.GetValue(start) is { } text ? Date(text, "--start") : CommonOptions.Clock().Today.AddDays(-364), parse.GetValue(seed)), ct);
            Out.Console.MarkupLine($"Generated {outcome.Members} members, {outcome.Invoices} invoices, {outcome.Payments} payments, {outcome.DunningMessages} dunning messages (history to {outcome.AsOf:yyyy-MM-dd}).");
            return 0;
        });
        return command;
    }

    private static Command Train()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var asOf = new Option<string?>("--as-of") { Description = "Train on history up to this day (yyyy-MM-dd). Default: today." };
        var model = new Option<string?>("--model") { Description = "Where to save the model. Default: <data>/models/risk-model.zip." };
        var seed = new Option<int>("--seed") { Description = "Seed for training and the held-out split.", DefaultValueFactory = _ => 7 };
        var command = new Command("train", "Train the risk model on this association's history; report AUC and calibration on held-out members against the rules fallback.") { data, db, asOf, model, seed };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var day = parse.GetValue(asOf) is { } text ? Date(text, "--as-of") : CommonOptions.Clock().Today;
            var path = ModelPath(parse.GetValue(data), parse.GetValue(model));
            var outcome = await TrainRiskModel.HandleAsync(store, CommonOptions.Clock(), new TrainRiskModel.Request(day, path, parse.GetValue(seed)), ct);
            if (outcome.Card is not { } card)
            {
                Out.Console.MarkupLine($"[yellow]Not trained:[/] {Markup.Escape(outcome.Detail)}");
                return 0;
            }

            Out.Console.MarkupLine(Markup.Escape(card.Summary()));
            var table = new Table().Title("Calibration on held-out members").AddColumns("Scorer", "Band", "Accounts", "Predicted", "Observed");
            foreach (var (name, eval) in new[] { ("model", card.Model), ("rules", card.Rules) })
                foreach (var b in eval.Calibration)
                    table.AddRow(name, F($"{b.From:F1}–{b.To:F1}"), F($"{b.Count}"), F($"{b.MeanPredicted * 100:F0}%"), F($"{b.Observed * 100:F0}%"));
            Out.Console.Write(table);
            Out.Console.MarkupLine($"saved {Markup.Escape(path)}");
            return 0;
        });
        return command;
    }

    private static Command Score()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var asOf = new Option<string?>("--as-of") { Description = "Score as of this day (yyyy-MM-dd). Default: today." };
        var model = new Option<string?>("--model") { Description = "The model to use. Default: <data>/models/risk-model.zip, or the rules fallback when absent." };
        var top = new Option<int>("--top") { Description = "Rows to print (riskiest first).", DefaultValueFactory = _ => 25 };
        var command = new Command("score", "Score open overdue invoices: chance of payment within 30 days and risk segment.") { data, db, asOf, model, top };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var day = parse.GetValue(asOf) is { } text ? Date(text, "--as-of") : CommonOptions.Clock().Today;
            var scorer = ScoreOverdueAccounts.ScorerFrom(ModelPath(parse.GetValue(data), parse.GetValue(model)));
            var scored = await ScoreOverdueAccounts.HandleAsync(store, scorer, day, ct: ct);
            var table = new Table().Title(Markup.Escape($"Overdue accounts on {day:yyyy-MM-dd} ({scored.FirstOrDefault()?.Score.Source ?? scorer.Version})")).AddColumns("Member", "Invoice", "Days", "Amount", "P(pay ≤ 30 d)", "Segment");
            foreach (var s in scored.Take(parse.GetValue(top)))
                table.AddRow(s.Features.MemberId, s.Features.InvoiceId, F($"{s.Features.DaysOverdue}"), F($"{s.Features.Amount:F2}"), F($"{s.Score.Probability * 100:F0}%"), s.Score.Segment.ToString());
            Out.Console.Write(table);
            Out.Console.MarkupLine($"{scored.Count} overdue invoice(s): {scored.Count(s => s.Score.Segment == RiskSegment.High)} high, {scored.Count(s => s.Score.Segment == RiskSegment.Medium)} medium, {scored.Count(s => s.Score.Segment == RiskSegment.Low)} low risk.");
            return 0;
        });
        return command;
    }

    private static Command Plan()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var member = new Option<string>("--member") { Description = "iMIS member id.", Required = true };
        var installments = new Option<int?>("--installments") { Description = "Installments asked for (capped by the policy and its minimum installment)." };
        var min = new Option<string>("--minimum") { Description = "Minimum installment.", DefaultValueFactory = _ => "25.00" };
        var max = new Option<int>("--max-installments") { Description = "Longest plan offered.", DefaultValueFactory = _ => 6 };
        var cadence = new Option<string>("--cadence") { Description = "monthly, biweekly or weekly.", DefaultValueFactory = _ => "monthly" };
        cadence.AcceptOnlyFromAmong("monthly", "biweekly", "weekly");
        var remainder = new Option<string>("--remainder-on") { Description = "first or last: which installment carries the odd cents.", DefaultValueFactory = _ => "first" };
        remainder.AcceptOnlyFromAmong("first", "last");
        var start = new Option<string?>("--start") { Description = "First due date (yyyy-MM-dd). Default: today." };
        var create = new Option<bool>("--create") { Description = "Record the plan (default: propose only)." };
        var command = new Command("plan", "Propose (or with --create, record) a payment plan for a member's open invoices.") { data, db, member, installments, min, max, cadence, remainder, start, create };
        command.SetAction(async (parse, ct) =>
        {
            if (!Money.TryParse(parse.GetValue(min), CommonOptions.Currency(), out var minimum) || !minimum.IsPositive) throw new UserInputException($"--minimum '{parse.GetValue(min)}' is not a positive amount.");
            var policy = new PaymentPlanPolicy(2, Math.Max(2, parse.GetValue(max)), minimum, Enum.Parse<InstallmentCadence>(parse.GetValue(cadence)!, true),
                parse.GetValue(remainder) == "last" ? RemainderPlacement.Last : RemainderPlacement.First);
            var day = parse.GetValue(start) is { } text ? Date(text, "--start") : CommonOptions.Clock().Today;
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var memberId = new MemberId(parse.GetValue(member)!);
            var outcome = await CreatePaymentPlan.HandleAsync(store, CommonOptions.Clock(), new CreatePaymentPlan.Request(
                $"cli:{memberId}:{day:yyyyMMdd}", memberId, [], day, policy, parse.GetValue(installments), Preview: !parse.GetValue(create), Actor: Environment.UserName), ct);
            Out.Console.MarkupLine($"{outcome.Result}: {Markup.Escape(outcome.Detail)}");
            if (outcome.Result == CreatePaymentPlan.Result.Created)
                Out.Console.MarkupLine($"Plan {Markup.Escape(outcome.PlanId!)}: a payment naming it in the memo, or equal to the next installment and from the member, is credited to it when it posts.");
            if (outcome.Proposal is { IsProposed: true } p)
            {
                var table = new Table().AddColumns("#", "Due", "Amount");
                foreach (var i in p.Installments) table.AddRow(F($"{i.Number}"), F($"{i.DueDate:yyyy-MM-dd}"), i.Amount.ToDisplayString());
                Out.Console.Write(table);
            }

            return outcome.Result is CreatePaymentPlan.Result.Created or CreatePaymentPlan.Result.Proposed or CreatePaymentPlan.Result.Exists ? 0 : 3;
        });
        return command;
    }

    private static string F(FormattableString s) => Markup.Escape(s.ToString(CultureInfo.InvariantCulture));

    internal static DateOnly Date(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new UserInputException($"{option} '{text}' is not a date (yyyy-MM-dd).");
}
