using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Tooling.Golden;

namespace DuesPilot.Matching.Tests;

public sealed class GoldenDatasetTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("duespilot-golden-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    private void Write(string members, string invoices, string payments)
    {
        File.WriteAllText(Path.Combine(folder, "members.csv"), members);
        File.WriteAllText(Path.Combine(folder, "invoices.csv"), invoices);
        File.WriteAllText(Path.Combine(folder, "payments.csv"), payments);
    }

    private const string Members = "member_id,kind,full_name,first_name,last_name,email,organization_id,household_id,chapter_id,member_type,join_date,paid_through,status\n10001,person,Robert Smith,Robert,Smith,r@example.com,,,,REG,2015-03-01,2024-12-31,A\n";
    private const string Invoices = "invoice_id,member_id,invoice_date,due_date,amount,balance,product_code,description\n281873,10001,2024-12-01,2025-01-31,395.00,395.00,DUES-REG,dues\n";
    private const string Payments = "payment_id,received_on,amount,currency,method,payer_name,payer_email,reference,memo\nP1,2025-01-06,395.00,USD,card,Robert Smith,r@example.com,ch_1,\n";

    [Fact]
    public void Read_WellFormed_ReadsEveryFile()
    {
        Write(Members, Invoices, Payments);
        var data = GoldenDatasetFiles.Read(folder, withTruth: false);
        Assert.Single(data.Members);
        Assert.Single(data.Invoices);
        Assert.Single(data.Payments);
    }

    [Theory]
    [InlineData("members", "member_id", "members.csv: line 1: missing required column 'member_id'")]
    [InlineData("invoices", "balance", "invoices.csv: line 1: missing required column 'balance'")]
    [InlineData("payments", "amount", "payments.csv: line 1: missing required column 'amount'")]
    public void Read_MissingColumn_NamesFileAndColumn(string file, string column, string expected)
    {
        string Drop(string csv)
        {
            var lines = csv.TrimEnd('\n').Split('\n').Select(l => l.Split(',')).ToList();
            var index = Array.IndexOf(lines[0], column);
            return string.Join('\n', lines.Select(l => string.Join(',', l.Where((_, i) => i != index)))) + "\n";
        }

        Write(file == "members" ? Drop(Members) : Members, file == "invoices" ? Drop(Invoices) : Invoices, file == "payments" ? Drop(Payments) : Payments);
        var ex = Assert.Throws<GoldenDataException>(() => GoldenDatasetFiles.Read(folder, withTruth: false));
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void Read_BadAmount_NamesFileLineAndColumn()
    {
        Write(Members, Invoices, Payments + "P2,2025-01-07,39x.00,USD,card,Robert Smith,,ch_2,\n");
        var ex = Assert.Throws<GoldenDataException>(() => GoldenDatasetFiles.Read(folder, withTruth: false));
        Assert.StartsWith("payments.csv: line 3, column amount:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_InvoiceOfUnknownMember_NamesFileLineAndColumn()
    {
        Write(Members, Invoices + "281874,99999,2024-12-01,2025-01-31,395.00,395.00,DUES-REG,dues\n", Payments);
        var ex = Assert.Throws<GoldenDataException>(() => GoldenDatasetFiles.Read(folder, withTruth: false));
        Assert.Equal("invoices.csv: line 3, column member_id: unknown member 99999 (not in members.csv)", ex.Message);
    }

    [Fact]
    public void Read_BadDate_NamesFileLineAndColumn()
    {
        Write(Members, Invoices, Payments.Replace("2025-01-06", "06/01/2025", StringComparison.Ordinal));
        var ex = Assert.Throws<GoldenDataException>(() => GoldenDatasetFiles.Read(folder, withTruth: false));
        Assert.StartsWith("payments.csv: line 2, column received_on:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteDecisions_ApplyAndReview_OneRowPerAllocationAndOnePerReview()
    {
        Write(Members, Invoices, Payments + "P2,2025-01-07,10.00,USD,card,Walter Fitzgerald,,ch_2,\n");
        var data = GoldenDatasetFiles.Read(folder, withTruth: false);
        var decisions = RunMatching.Run(data, MatchOptions.Default with { UseEmbeddings = false }, null);
        var path = Path.Combine(folder, "decisions.csv");
        GoldenDatasetFiles.WriteDecisions(path, decisions.Select(d => d.Decision));
        var lines = File.ReadAllLines(path);
        Assert.Equal("payment_id,action,member_id,invoice_id,amount,confidence,reason", lines[0]);
        Assert.StartsWith("P1,apply,10001,281873,395.00,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("P2,review,,,,", lines[2], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
    }
}
