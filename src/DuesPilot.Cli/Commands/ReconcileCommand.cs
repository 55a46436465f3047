using System.CommandLine;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reconciliation;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot reconcile --month 2027-03 [--bank FILE] [--imis FILE] --out DIR</c>: the month-end draft journal and tie-out, for staff to approve.</summary>
public static class ReconcileCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var month = new Option<string>("--month") { Description = "The month (yyyy-MM).", Required = true };
        var bank = new Option<string[]>("--bank") { Description = "Bank receipts CSV (reference,date,amount); repeatable.", AllowMultipleArgumentsPerToken = true };
        var imis = new Option<string?>("--imis") { Description = "iMIS cash receipts export CSV (reference,date,amount)." };
        var outDir = new Option<string>("--out") { Description = "Folder for month-end-draft-journal.csv and month-end-differences.csv.", Required = true };
        var command = new Command("reconcile", "Draft the month's journal from what DuesPilot processed and tie it out against bank files and iMIS receipts. A draft: staff approve and post it.")
            { data, db, month, bank, imis, outDir };
        command.SetAction(async (parse, ct) =>
        {
            if (!BillingMonth.TryParse(parse.GetValue(month), out var m)) throw new UserInputException($"--month '{parse.GetValue(month)}' is not a month (yyyy-MM).");
            var external = new List<ExternalReceipt>();
            try
            {
                foreach (var file in parse.GetValue(bank) ?? []) external.AddRange(ReconciliationFiles.ReadReceiptsCsv(file, "bank:" + Path.GetFileName(file), CommonOptions.Currency()));
                if (parse.GetValue(imis) is { } i) external.AddRange(ReconciliationFiles.ReadReceiptsCsv(i, "imis", CommonOptions.Currency()));
            }
            catch (Exception ex) when (ex is FormatException or IOException)
            {
                throw new UserInputException(ex.Message);
            }

            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var draft = await DraftMonthEndReconciliation.HandleAsync(store, CommonOptions.Clock(), CommonOptions.Books().Accounts, new DraftMonthEndReconciliation.Request(m, external, Environment.UserName), ct);
            var table = new Table().Title($"Month-end draft {m} (not posted)").AddColumns("Category", "Account", "Debit", "Credit");
            foreach (var l in draft.Lines) table.AddRow(Markup.Escape(l.Category), Markup.Escape(l.Account.Value), l.Debit.ToDisplayString(), l.Credit.ToDisplayString());
            Out.Console.Write(table);
            var t = draft.Totals;
            Out.Console.MarkupLine(Markup.Escape($"Receipts {t.CashReceipts.ToDisplayString()}; holds posted {t.HoldsPosted.ToDisplayString()}, voided {t.HoldsVoided.ToDisplayString()}, open at month end {t.OpenHoldsAtMonthEnd.ToDisplayString()}; refunds {t.Refunds.ToDisplayString()}; write-offs {t.WriteOffs.ToDisplayString()}; credits on account {t.CreditsOnAccount.ToDisplayString()}; revenue recognised {t.RevenueRecognised.ToDisplayString()}."));
            Out.Console.MarkupLine($"{draft.Differences.Count} difference(s).");
            foreach (var f in await ReconciliationFiles.WriteAsync(draft, Path.GetFullPath(parse.GetValue(outDir)!), ct)) Out.Console.MarkupLine($"wrote {Markup.Escape(f)}");
            return 0;
        });
        return command;
    }
}
