using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace DuesPilot.Tests.Cli;

/// <summary>What the demo's own files are matched to, inside the demo run (issue 13).</summary>
public sealed partial class DemoMatchingTests
{
    /// <summary>An X12 RMR segment listing several invoices under one total, as the demo's employers send them by CTX/CCD+.</summary>
    [GeneratedRegex(@"RMR\*IV\*([^*\\~]+,[^*\\~]+)\*\*(\d+\.\d{2})", RegexOptions.CultureInvariant)]
    private static partial Regex SeveralInvoicesRmr();

    [Fact]
    public async Task Demo_EmployerRemittanceListingSeveralInvoices_IsAutoAppliedToEachListedInvoice()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-demo-").FullName;
        var result = await CliProcess.RunAsync(folder, "demo", "--no-serve");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        await using var db = new SqliteConnection($"Data Source={Path.Combine(folder, ".duespilot", "duespilot.db")};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        var remitted = new List<(string Payment, string Memo, string Engine, string Taken)>();
        await using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = """
                SELECT p.payment_id, p.memo, d.engine_action, d.taken_action
                FROM payments p JOIN match_decisions d ON d.payment_id = p.payment_id
                WHERE p.channel = 'ach' AND p.memo LIKE '%RMR*IV*%'
                """;
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) remitted.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        var groups = remitted.Where(r => SeveralInvoicesRmr().IsMatch(r.Memo)).ToList();
        // The demo's first employers pay for two or more staff in one CTX payment, e.g.
        // RMR*IV*CASH:10185:20251201-1,CASH:10562:20251201-1**680.00 (two invoices, 680.00 in total).
        Assert.NotEmpty(groups);
        foreach (var (payment, memo, engine, taken) in groups)
        {
            var m = SeveralInvoicesRmr().Match(memo);
            var listed = m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
            var total = (long)(decimal.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) * 100);
            Assert.True(engine == "apply" && taken == "apply", $"{payment} ({memo}) was {engine}/{taken}");
            var allocated = new List<(string Invoice, long Minor)>();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT invoice_id, amount_minor FROM allocations WHERE payment_id = $p ORDER BY invoice_id";
            cmd.Parameters.AddWithValue("$p", payment);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) allocated.Add((reader.GetString(0), reader.GetInt64(1)));
            Assert.Equal(listed, allocated.Select(a => a.Invoice).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(total, allocated.Sum(a => a.Minor));
        }
    }
}
