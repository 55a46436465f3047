using System.Text;
using DuesPilot.Domain;
using DuesPilot.Features.Intake.BankFiles;

namespace DuesPilot.Intake.Tests.Parsing;

public sealed class CsvParserTests
{
    private const string Lockbox = "Deposit Date,Check Number,Remitter,Amount,Memo\n2026-01-05,1001,\"Smith, Jane\",395.00,Dues 2026 M-1001\n01/06/2026,1002,ACME Corp,\"1,250.00\",Invoice INV-77\nTOTAL,,,1645.00,\n";

    [Fact]
    public void HeaderGuess_LockboxExport_PaymentsAndTotalRow()
    {
        var f = ParseCsvFile.Parse(Encoding.UTF8.GetBytes(Lockbox));
        Assert.Equal(2, f.Entries.Count);
        Assert.Equal(Money.Usd(395m), f.Entries[0].Amount);
        Assert.Equal("Smith, Jane", f.Entries[0].PayerName);
        Assert.Equal("1001", f.Entries[0].Reference);
        Assert.Equal("Dues 2026 M-1001", f.Entries[0].Memo);
        Assert.Equal(PaymentChannel.Check, f.Entries[0].Method);
        Assert.Equal(new DateOnly(2026, 1, 6), f.Entries[1].Date);
        Assert.Equal(Money.Usd(1250m), f.Entries[1].Amount);
        Assert.Equal(3, f.Entries[1].Position.Line);
        var total = Assert.Single(f.Controls);
        Assert.True(total.Agrees);
        Assert.Equal(164_500, total.Stated);
    }

    [Fact]
    public void MappingFile_SemicolonsAndCustomNames()
    {
        const string csv = "Buchungstag;Betrag;Auftraggeber;Verwendungszweck;Ref;Art\n05.01.2026;395.00;Jane Smith;Dues M-1001;R-1;ach\n06.01.2026;(25.00);Jane Smith;Returned;R-2;ach\n";
        var mapping = CsvMapping.Load("""
            { "amount": "Betrag", "date": "Buchungstag", "payerName": "Auftraggeber", "memo": ["Verwendungszweck"], "reference": "Ref",
              "method": "Art", "originalReference": "Ref", "separator": ";", "dateFormats": ["dd.MM.yyyy"] }
            """);
        var f = ParseCsvFile.Parse(Encoding.UTF8.GetBytes(csv), mapping);
        Assert.Equal(BankEntryKind.Payment, f.Entries[0].Kind);
        Assert.Equal(PaymentChannel.Ach, f.Entries[0].Method);
        Assert.Equal(new DateOnly(2026, 1, 5), f.Entries[0].Date);
        Assert.Equal(BankEntryKind.Reversal, f.Entries[1].Kind);
        Assert.Equal(Money.Usd(25m), f.Entries[1].Amount);
        Assert.Equal("R-2", f.Entries[1].OriginalReference);
    }

    [Fact]
    public void HeaderGuess_BankExportWithCreditAndDebitColumns()
    {
        const string csv = "Posting Date,Description,Credit,Debit,Reference\n1/5/2026,ACH CREDIT SMITH JANE DUES,395.00,,T1\n1/5/2026,SERVICE FEE,,12.50,T2\n";
        var f = ParseCsvFile.Parse(Encoding.UTF8.GetBytes(csv));
        Assert.Equal(BankEntryKind.Payment, f.Entries[0].Kind);
        Assert.Equal(Money.Usd(395m), f.Entries[0].Amount);
        Assert.Equal("ACH CREDIT SMITH JANE DUES", f.Entries[0].Memo);
        Assert.Equal(BankEntryKind.Outgoing, f.Entries[1].Kind);
        Assert.Equal(Money.Usd(12.50m), f.Entries[1].Amount);
    }

    [Theory]
    [InlineData("Name,Value\nJane,1\n", null, "wrong CSV columns")]
    [InlineData("Date,Amount\n2026-01-05,12.345\n", null, "not an amount")]
    [InlineData("Date,Amount\nyesterday,12.00\n", null, "not a date")]
    [InlineData("Date,Amount\n2026-01-05,10.00\nTOTAL,11.00\n", null, "'TOTAL' row states 1100")]
    [InlineData("Date,Amount\n2026-01-05,10.00\n", "{ \"amount\": \"Amt\", \"date\": \"Date\" }", "column 'Amt' is not in the header")]
    [InlineData("Date,Amount\n2026-01-05,10.00\n", "{ \"amount\": \"Amount\", \"date\": \"Date\", \"colour\": \"x\" }", "mapping file")]
    public void Malformed_Refused_ClearMessage(string csv, string? mapping, string expected)
    {
        var ex = Assert.Throws<BankFileException>(() => ParseCsvFile.Parse(Encoding.UTF8.GetBytes(csv), mapping is null ? null : CsvMapping.Load(mapping)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
