using System.Text;
using DuesPilot.Domain;
using DuesPilot.Features.Intake.BankFiles;

namespace DuesPilot.Intake.Tests.Parsing;

public sealed class Bai2ParserTests
{
    private static ParsedBankFile Parse(string name, Bai2Totals totals = Bai2Totals.Require, List<string>? warnings = null) =>
        ParseBai2File.Parse(Fixture.Bytes($"bai2/{name}"), totals, warnings);

    [Fact]
    public void Sample3_Fixture_WrappedDetailWithout88_AndSeveralRecordsOnALine()
    {
        var warnings = new List<string>();
        var f = Parse("moov-bai2__sample3.bai2", Bai2Totals.Report, warnings);
        Assert.Equal(26, f.Entries.Count);
        // "16,142,2500,Z,,,111111 … 1111111111" + next physical line "111111111111111        /": one record.
        var wrapped = f.Entries.Single(e => e.Position.Line == 18);
        Assert.Equal(Money.Usd(25m), wrapped.Amount);
        Assert.StartsWith("111111     ACH_SETL           1111111111111111111111111", wrapped.Memo, StringComparison.Ordinal);
        // "…,,/  49,394188,2/": the trailer on the account's line is read as its own record and agrees.
        Assert.Contains(f.Controls, c => c.Name == "account 1111111 control total" && c.Stated == 394_188 && c.Agrees);
        Assert.Contains(f.Controls, c => c.Name == "file record count" && c.Stated == 74 && c.Agrees);
        Assert.Equal(f.Controls.Count(c => !c.Agrees), warnings.Count);
    }

    [Fact]
    public void CitiExample_Fixture_GbpWirePayerFromContinuations()
    {
        var f = Parse("moj-bai2__citi_example.bai2");
        var e = Assert.Single(f.Entries);
        Assert.Equal(BankEntryKind.Payment, e.Kind);
        Assert.Equal(Money.FromMinor(1, Currency.Parse("GBP")), e.Amount);
        Assert.Equal("DOE JO", e.PayerName);
        Assert.Equal("1234567890", e.Reference);
        Assert.Equal("RP12312312312312", e.PayerId);
        Assert.Equal(PaymentChannel.Wire, e.Method);
        Assert.Equal(new DateOnly(2015, 7, 15), e.Date);
        Assert.Contains("PY:RP1231231231231200", e.Memo, StringComparison.Ordinal);
        Assert.Contains(f.Controls, c => c.Name == "file control total" && c.Stated == 20001 && c.Agrees);
        Assert.Contains(f.Controls, c => c.Name == "file record count" && c.Stated == 14 && c.Agrees);
    }

    [Fact]
    public void SvbExample_Fixture_TwoGroupsStrayCommasAndNoFinalSlash()
    {
        var f = Parse("moj-bai2__svb_us_example.bai2");
        Assert.Equal(2, f.Entries.Count);
        Assert.Equal(Money.Usd(4901.96m), f.Entries[0].Amount);
        Assert.Equal("172629", f.Entries[0].Reference);
        Assert.Equal("SOME PAYMENT ACH OFFSET", f.Entries[0].Memo);
        Assert.Equal(new DateOnly(2022, 2, 1), f.Entries[0].Date);
        Assert.Equal(Money.Usd(9058.00m), f.Entries[1].Amount);
        Assert.Equal(PaymentChannel.Ach, f.Entries[1].Method);
        Assert.Contains(f.Controls, c => c.Name == "file control total" && c.Stated == 282_030_196 && c.Agrees);
    }

    [Fact]
    public void Sample1_Fixture_CadCreditsAndDebitsWithValueDates()
    {
        var f = Parse("moov-bai2__sample1.bai2");
        Assert.Equal(17, f.Entries.Count);
        Assert.Equal(Currency.CAD, f.Currency);
        var returned = f.Entries[0];
        Assert.Equal(BankEntryKind.Outgoing, returned.Kind);
        Assert.Equal("RETURNED CHEQUE", returned.Memo);
        Assert.Equal(Money.FromMinor(2500, Currency.CAD), returned.Amount);
        var transfer = f.Entries.First(e => e.Kind == BankEntryKind.Payment);
        Assert.Equal("TFR 1020 0345678", transfer.Memo);
        Assert.Equal(Money.FromMinor(203_500, Currency.CAD), transfer.Amount);
        Assert.Equal(new DateOnly(2006, 3, 16), transfer.Date);
        Assert.Equal(Money.FromMinor(320_000, Currency.CAD), f.Total(BankEntryKind.Payment));
        Assert.Contains(f.Controls, c => c.Name == "file control total" && c.Stated == 1_280_000);
    }

    [Fact]
    public void Sample2_Fixture_LockboxFundsTypesAndContinuedSummaries()
    {
        var f = Parse("moov-bai2__sample2.bai2");
        Assert.Equal(4, f.Entries.Count);
        var lockbox = f.Entries[1];
        Assert.Equal(Money.Usd(5000m), lockbox.Amount);
        Assert.Equal(PaymentChannel.Check, lockbox.Method);
        Assert.Equal("LOCK BOX NO.68751", lockbox.Memo);
        var letter = f.Entries[2];
        Assert.Equal("SP4738", letter.Reference);
        Assert.Equal("YRC065321", letter.PayerId);
        Assert.Equal(new DateOnly(2004, 6, 22), letter.Date);
        Assert.Contains("ARAMCO OIL CO", letter.Memo, StringComparison.Ordinal);
        Assert.Equal(PaymentChannel.Wire, f.Entries[3].Method);
        Assert.Contains(f.Controls, c => c.Name == "file control total" && c.Stated == 345_450_000 && c.Agrees);
        Assert.Contains(f.Controls, c => c.Name == "account 0975312468 control total" && c.Stated == 140_500_000 && c.Agrees);
    }

    [Fact]
    public void Sample4_Fixture_WrongAccountTrailerRefusedNamingLine()
    {
        var ex = Assert.Throws<BankFileException>(() => Parse("moov-bai2__sample4-continuations-newline-delimited.bai2"));
        Assert.Equal(22, ex.Line);
        Assert.Contains("account 107049932 control total", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample4_ReportTotals_KeyedContinuationsGiveNamesAndReferences()
    {
        var warnings = new List<string>();
        var f = Parse("moov-bai2__sample4-continuations-newline-delimited.bai2", Bai2Totals.Report, warnings);
        Assert.Equal(17, f.Entries.Count);
        var ach = f.Entries[0];
        Assert.Equal(BankEntryKind.Outgoing, ach.Kind);
        var achReturn = f.Entries.Single(e => e.ReasonCode == "557");
        Assert.Equal(BankEntryKind.Reversal, achReturn.Kind);
        Assert.Equal("021000080000030", achReturn.OriginalReference);
        Assert.Equal("SAMPLE INC.", achReturn.PayerName);
        var rtp = f.Entries.Single(e => e.Reference == "GI2228400005800");
        Assert.Equal(BankEntryKind.Payment, rtp.Kind);
        Assert.Equal(Money.Usd(500.50m), rtp.Amount);
        Assert.Equal("SAMPLE INC", rtp.PayerName);
        Assert.Contains("REMI: Test Remittance", rtp.Memo, StringComparison.Ordinal);
        var check = f.Entries.Single(e => e.ReasonCode == "175");
        Assert.Equal(PaymentChannel.Check, check.Method);
        Assert.Equal(Money.Usd(5.27m), check.Amount);
        Assert.Contains(warnings, w => w.StartsWith("line 22:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("01,A,B,260105,14:59:35,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,100,,/\n16,165,395,,REF1,M-1,DUES SMITH JANE/\n49,495,3/\n98,495,1,5/\n99,495,1,7/\n")]
    [InlineData("01,A,B,260105,1459,1,,,2/02,B,A,1,260105,,USD,2/03,1,USD,010,100,,/16,165,395,,REF1,M-1,DUES SMITH JANE/49,495,3/98,495,1,5/99,495,1,7/")]
    [InlineData("01,A,B,260105,1459,1,,,2\n02,B,A,1,260105,,USD,2\n03,1,USD,010,100,,\n16,165,395,,REF1,M-1,DUES SMITH JANE\n49,495,3\n98,495,1,5\n99,495,1,7\n")]
    [InlineData("01,A,B,260105,1459,1,,,2/\r\n02,B,A,1,260105,,USD,2/\r\n03,1,USD,010,100,,/\r\n16:165,395,,REF1,M-1,DUES SMITH JANE/\r\n49,495,3/\r\n98,495,1,5/\r\n99,495,1,7/\r\n")]
    public void RealWorldDeviations_Accepted(string text)
    {
        var e = Assert.Single(ParseBai2File.Parse(Encoding.ASCII.GetBytes(text)).Entries);
        Assert.Equal(Money.Usd(3.95m), e.Amount);
        Assert.Equal("REF1", e.Reference);
        Assert.Equal("M-1", e.PayerId);
        Assert.Equal("DUES SMITH JANE", e.Memo);
    }

    [Fact]
    public void BadTotal_Refused_NamingTrailerLine()
    {
        const string text = "01,A,B,260105,1459,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,100,,/\n16,165,395,,REF1,M-1,DUES/\n49,496,3/\n98,496,1,5/\n99,496,1,7/\n";
        var ex = Assert.Throws<BankFileException>(() => ParseBai2File.Parse(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(5, ex.Line);
        Assert.Contains("states 496", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01,A,B,260105,1459,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,100,,/\n16,165,395,,REF1,M-1,DUES/\n", "truncated")]
    [InlineData("02,B,A,1,260105,,USD,2/\n", "not a BAI2 file")]
    [InlineData("01,A,B,260105,1459,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,1X0,,/\n49,100,2/\n98,100,1,4/\n99,100,1,6/\n", "not a whole number")]
    [InlineData("01,A,B,260105,1459,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,100,,Q/\n49,100,2/\n98,100,1,4/\n99,100,1,6/\n", "unknown funds type")]
    public void Malformed_Refused_ClearMessage(string text, string expected)
    {
        var ex = Assert.Throws<BankFileException>(() => ParseBai2File.Parse(Encoding.ASCII.GetBytes(text)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
