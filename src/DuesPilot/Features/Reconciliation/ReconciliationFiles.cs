using System.Globalization;
using System.Text;
using DuesPilot.Domain;

namespace DuesPilot.Features.Reconciliation;

/// <summary>Reads outside receipt lists (CSV) and writes the month-end draft and its differences as CSV for staff.</summary>
public static class ReconciliationFiles
{
    public const string DraftCsv = "month-end-draft-journal.csv";
    public const string DifferencesCsv = "month-end-differences.csv";
    public const string ImisGlCsv = "month-end-imis-gl-journal.csv";

    /// <summary>
    /// Reads a receipt list with a header row naming at least <c>reference</c>, <c>date</c> (yyyy-MM-dd) and <c>amount</c>
    /// (e.g. "395.00"), in any order: the shape of an iMIS cash receipts export or a bank statement converted to CSV.
    /// Quoted fields are not supported; a bad row throws a <see cref="FormatException"/> naming the line.
    /// </summary>
    public static IReadOnlyList<ExternalReceipt> ReadReceiptsCsv(string path, string source, Currency currency)
    {
        var rows = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (rows.Count == 0) return [];
        var header = rows[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList();
        int Col(string name) => header.IndexOf(name) is var i and >= 0 ? i : throw new FormatException($"{path}: the header has no '{name}' column.");
        int r = Col("reference"), d = Col("date"), a = Col("amount");
        var result = new List<ExternalReceipt>();
        for (var n = 1; n < rows.Count; n++)
        {
            var cells = rows[n].Split(',');
            if (cells.Length < header.Count) throw new FormatException($"{path} line {n + 1}: {cells.Length} fields, expected {header.Count}.");
            if (!DateOnly.TryParseExact(cells[d].Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                throw new FormatException($"{path} line {n + 1}: '{cells[d]}' is not a date (yyyy-MM-dd).");
            if (!Money.TryParse(cells[a], currency, out var amount)) throw new FormatException($"{path} line {n + 1}: '{cells[a]}' is not an amount.");
            result.Add(new ExternalReceipt(source, cells[r].Trim(), date, amount));
        }

        return result;
    }

    public static async Task<IReadOnlyList<string>> WriteAsync(DraftMonthEndReconciliation.Draft draft, string directory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var draftPath = Path.Combine(directory, DraftCsv);
        var diffPath = Path.Combine(directory, DifferencesCsv);
        var sb = new StringBuilder("# DRAFT for staff review and approval; DuesPilot does not post this journal.\nmonth,category,account,debit,credit,entries\n");
        foreach (var l in draft.Lines)
            sb.Append(CultureInfo.InvariantCulture, $"{draft.Month},{l.Category},{l.Account},{l.Debit.ToPlainString()},{l.Credit.ToPlainString()},{l.Entries}\n");
        await File.WriteAllTextAsync(draftPath, sb.ToString(), ct);
        var d = new StringBuilder("month,kind,source,reference,ours,theirs,detail\n");
        foreach (var x in draft.Differences)
            d.Append(CultureInfo.InvariantCulture, $"{draft.Month},{x.Kind},{x.Source},{Csv(x.Reference)},{x.Ours?.ToPlainString()},{x.Theirs?.ToPlainString()},{Csv(x.Detail)}\n");
        await File.WriteAllTextAsync(diffPath, d.ToString(), ct);
        var glPath = Path.Combine(directory, ImisGlCsv);
        await File.WriteAllTextAsync(glPath, ImisGlJournal(draft), ct);
        return [draftPath, diffPath, glPath];
    }

    /// <summary>
    /// The draft in a GL journal-import layout for iMIS: one balanced batch dated the month's last day, one row per
    /// account and category, <c>BatchId,JournalDate,GLAccount,Debit,Credit,Description</c>. iMIS's own GL import
    /// field names are unconfirmed (imis-api.md §3.6), so this is a documented assumption: staff map the columns in
    /// their import, approve, and post in iMIS. DuesPilot never posts it.
    /// </summary>
    public static string ImisGlJournal(DraftMonthEndReconciliation.Draft draft)
    {
        var batch = $"DP-{draft.Month.Year % 100:D2}{draft.Month.Month:D2}";
        var date = draft.Month.Last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var sb = new StringBuilder("BatchId,JournalDate,GLAccount,Debit,Credit,Description\n");
        foreach (var l in draft.Lines.Where(l => !l.Debit.IsZero || !l.Credit.IsZero))
            sb.Append(CultureInfo.InvariantCulture, $"{batch},{date},{Csv(l.Account.Value)},{l.Debit.ToPlainString()},{l.Credit.ToPlainString()},{Csv($"DuesPilot {draft.Month} {l.Category}")}\n");
        return sb.ToString();
    }

    private static string Csv(string text) => text.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
