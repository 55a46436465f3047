using System.Text;
using DuesPilot.Domain;
using DuesPilot.Features.Intake.BankFiles;

namespace DuesPilot.Intake.Tests.Parsing;

public sealed class NachaParserTests
{
    private static ParsedBankFile Parse(string name, List<string>? warnings = null) => ParseNachaFile.Parse(Fixture.Bytes($"nacha/{name}"), warnings);

    [Fact]
    public void CcdDebit_Fixture_TwoDebitsWithReceiverAndTrace()
    {
        var f = Parse("moov-ach__ccd-debit.ach");
        Assert.Equal(2, f.Entries.Count);
        var first = f.Entries[0];
        Assert.Equal(BankEntryKind.Payment, first.Kind);
        Assert.Equal(Money.Usd(5000.00m), first.Amount);
        Assert.Equal("Best Co. #123456789012", first.PayerName);
        Assert.Equal("location1234567", first.PayerId);
        Assert.Equal("031300010000001", first.Reference);
        Assert.Equal("Vndr Pay", first.Memo);
        Assert.Equal(new DateOnly(2019, 8, 16), first.Date);
        Assert.Equal(3, first.Position.Line);
        Assert.Equal(Money.Usd(1.25m), f.Entries[1].Amount);
        Assert.Equal("Fee123456789012", f.Entries[1].PayerId);
        Assert.All(f.Controls, c => Assert.True(c.Agrees));
        Assert.Contains(f.Controls, c => c.Name == "file total debits" && c.Stated == 500125);
    }

    [Fact]
    public void CtxDebit_Fixture_AddendaJoinedIntoMemo()
    {
        var f = Parse("moov-ach__ctx-debit.ach");
        var e = Assert.Single(f.Entries);
        Assert.Equal(Money.Usd(1_000_000m), e.Amount);
        Assert.Equal("Receiver Company", e.PayerName);
        Assert.Equal("45689033", e.PayerId);
        Assert.Contains("Debit First Account", e.Memo, StringComparison.Ordinal);
        Assert.Contains("Debit Second Account", e.Memo, StringComparison.Ordinal);
        Assert.Contains(f.Controls, c => c.Name == "batch 0000001 entry/addenda count" && c.Stated == 3);
    }

    [Fact]
    public void PpdCredit_Fixture_CreditPaidByOriginatingCompany()
    {
        var f = Parse("moov-ach__ppd-credit.ach");
        var e = Assert.Single(f.Entries);
        Assert.Equal(Money.Usd(1_000_000m), e.Amount);
        Assert.Equal("Name on Account", e.PayerName);
        Assert.Equal("REG.SALARY | for Credit Account 1", e.Memo);
        Assert.Equal("121042880000002", e.Reference);
        Assert.Contains(f.Controls, c => c.Name == "file total credits" && c.Stated == 100_000_000);
    }

    [Fact]
    public void WebCredit_Fixture_AddendaTextAndId()
    {
        var f = Parse("moov-ach__web-credit.ach");
        var e = Assert.Single(f.Entries);
        Assert.Equal(Money.Usd(100m), e.Amount);
        Assert.Equal("#789654", e.PayerId);
        Assert.Contains("PAY-GATE payment\\", e.Memo, StringComparison.Ordinal);
        Assert.Contains("for John Doe", e.Memo, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiBatch_Fixture_PpdNamesAndIatAddenda()
    {
        var warnings = new List<string>();
        var f = Parse("moov-ach__20110805A.ach", warnings);
        Assert.Equal(25 + 18 + 3 + 2, f.Entries.Count);
        var first = f.Entries[0];
        Assert.Equal("JULIAN PRICE", first.PayerName);
        Assert.Equal("A271", first.PayerId);
        Assert.Equal(Money.Usd(270m), first.Amount);
        Assert.Equal("BUY WIDGET", first.Memo);
        // 18 PPD micro-credits (paid by the company, for the named person) and 2 IAT ones.
        Assert.Equal(20, f.Entries.Count(e => e.Memo!.StartsWith("VERIFY", StringComparison.Ordinal)));
        Assert.Equal("VERIFY | for NATHAN NELSON", f.Entries[25].Memo);
        var iat = f.Entries.Single(e => e.Position.Line == 50);
        Assert.Equal("HAYDEN BANKS", iat.PayerName);
        Assert.Equal("A276", iat.PayerId);
        Assert.Equal(Money.Usd(1090m), iat.Amount);
        Assert.Contains(f.Controls, c => c.Name == "file total debits" && c.Stated == 5_101_000 && c.Agrees);
        Assert.Contains(f.Controls, c => c.Name == "file entry hash" && c.Stated == 136_685_201 && c.Agrees);
        // The sample's file control claims 5 batches (batch 2 was removed from it); money and hash agree.
        Assert.Contains(warnings, w => w.Contains("5 batches", StringComparison.Ordinal));
    }

    [Fact]
    public void ReturnFile_Fixture_ReturnsCarryReasonAndOriginalTrace()
    {
        var f = Parse("moov-ach__return-WEB.ach");
        Assert.Equal(2, f.Entries.Count);
        var r1 = f.Entries[0];
        Assert.Equal(BankEntryKind.Reversal, r1.Kind);
        Assert.Equal("R01", r1.ReasonCode);
        Assert.Equal("091400600000001", r1.OriginalReference);
        Assert.Equal("Paul Jones", r1.PayerName);
        Assert.Equal(Money.Usd(123.54m), r1.Amount);
        var r2 = f.Entries[1];
        Assert.Equal("R03", r2.ReasonCode);
        Assert.Equal("Bob Marley", r2.PayerName);
        Assert.Equal(Money.Usd(45.65m), r2.Amount);
        Assert.Contains(f.Controls, c => c.Name == "file total credits" && c.Stated == 4565);
    }

    [Fact]
    public void ChangeNotice_Fixture_NoticeWithCodeAndCorrectedData()
    {
        var e = Assert.Single(Parse("moov-ach__cor-example.ach").Entries);
        Assert.Equal(BankEntryKind.Notice, e.Kind);
        Assert.Equal("C01", e.ReasonCode);
        Assert.Equal("121042880000001", e.OriginalReference);
        Assert.Contains("1918171614", e.Memo, StringComparison.Ordinal);
        Assert.Equal("Best Co. #23", e.PayerName);
    }

    [Fact]
    public void NonAsciiCtx_Fixture_ShortLinesAndUtf8Accepted()
    {
        var warnings = new List<string>();
        var e = Assert.Single(ParseNachaFile.Parse(Fixture.Bytes("nacha/moov-ach__nonascii-utf8.ach"), warnings).Entries);
        Assert.Equal(Money.Usd(1_000_000m), e.Amount);
        Assert.Equal("Receiver¦Acc Nam", e.PayerName);
        Assert.Contains("RMR¦IK¦", e.Memo, StringComparison.Ordinal);
        Assert.Contains("META PLATFORMS INC", e.Memo, StringComparison.Ordinal);
        Assert.Contains(warnings, w => w.Contains("entry/addenda records", StringComparison.Ordinal));
    }

    [Fact]
    public void Truncated_NoFileControl_RefusedNamingTheBatch()
    {
        var lines = Fixture.Text("nacha/moov-ach__ccd-debit.ach").Split('\n');
        var truncated = string.Join('\n', lines.Take(4));
        var ex = Assert.Throws<BankFileException>(() => ParseNachaFile.Parse(Encoding.ASCII.GetBytes(truncated)));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void AmountChanged_BatchTotalDisagrees_RefusedNamingTheControlLine()
    {
        var text = Fixture.Text("nacha/moov-ach__ccd-debit.ach").Replace("0000500000location", "0000500001location", StringComparison.Ordinal);
        var ex = Assert.Throws<BankFileException>(() => ParseNachaFile.Parse(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(5, ex.Line);
        Assert.Contains("total debits", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X01 not a record", "unknown record type")]
    [InlineData("627231380104744-5678-99      00005000ABlocation1234567Best Co. #123456789012S 0031300010000001", "amount")]
    public void BadRecord_Refused_ClearMessageWithLine(string replacement, string expected)
    {
        var lines = Fixture.Text("nacha/moov-ach__ccd-debit.ach").Split('\n');
        lines[2] = replacement;
        var ex = Assert.Throws<BankFileException>(() => ParseNachaFile.Parse(Encoding.ASCII.GetBytes(string.Join('\n', lines))));
        Assert.Equal(3, ex.Line);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongRecord_Refused()
    {
        var lines = Fixture.Text("nacha/moov-ach__ccd-debit.ach").Split('\n');
        lines[2] += "EXTRA";
        var ex = Assert.Throws<BankFileException>(() => ParseNachaFile.Parse(Encoding.ASCII.GetBytes(string.Join('\n', lines))));
        Assert.Contains("99 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unblocked_AllRecordsOnOneLine_SameEntries()
    {
        var lines = Fixture.Text("nacha/moov-ach__ccd-debit.ach").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);
        var f = ParseNachaFile.Parse(Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l.PadRight(94)))));
        Assert.Equal(2, f.Entries.Count);
        Assert.Equal(Money.Usd(5000m), f.Entries[0].Amount);
        Assert.Equal(3, f.Entries[0].Position.Line);
    }

    [Fact]
    public void TrailingBlanksAndCrLf_Accepted()
    {
        var lines = Fixture.Text("nacha/moov-ach__ppd-credit.ach").Split('\n').Select(l => l.TrimEnd('\r') + "   ");
        var e = Assert.Single(ParseNachaFile.Parse(Encoding.ASCII.GetBytes(string.Join("\r\n", lines))).Entries);
        Assert.Equal(Money.Usd(1_000_000m), e.Amount);
    }

    [Fact]
    public void HugeInput_RefusedBeforeParsing()
    {
        var ex = Assert.Throws<BankFileException>(() => BankFile.RequireSize(new byte[BankFile.MaxBytes + 1]));
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CieEntry_NameAndIdSwapped()
    {
        var file = NachaBuilder.Build("CIE", [("22", 12_500, "JANE SMITH     ", "M-000123              ")]);
        var e = Assert.Single(ParseNachaFile.Parse(file).Entries);
        Assert.Equal("M-000123", e.PayerId);
        Assert.Equal(Money.Usd(125m), e.Amount);
        Assert.Equal("JANE SMITH", e.PayerName);
    }

    [Fact]
    public void Prenote_IsNoticeNotPayment()
    {
        var file = NachaBuilder.Build("PPD", [("28", 0, "M-1           ", "JOHN DOE              ")]);
        Assert.Equal(BankEntryKind.Notice, Assert.Single(ParseNachaFile.Parse(file).Entries).Kind);
    }
}

/// <summary>Builds small valid NACHA files (one batch) with correct controls, for cases the samples lack.</summary>
internal static class NachaBuilder
{
    public static byte[] Build(string sec, IReadOnlyList<(string Code, long Cents, string Field40, string Field55)> entries, string odfi = "03130001")
    {
        var sb = new StringBuilder();
        sb.Append("101 0313000120231380104260101" + "1200A094101" + "DEST BANK".PadRight(23) + "DUESPILOT ASSOC".PadRight(23) + "        ").Append('\n');
        sb.Append("5200" + "DUES ASSOC".PadRight(16) + "".PadRight(20) + "1231380104" + sec + "DUES".PadRight(10) + "      " + "260105" + "   1" + "03130001" + "0000001").Append('\n');
        long debits = 0, credits = 0, hash = 0;
        var seq = 0;
        foreach (var (code, cents, f40, f55) in entries)
        {
            seq++;
            var codeNum = int.Parse(code, System.Globalization.CultureInfo.InvariantCulture);
            if (codeNum % 10 is >= 1 and <= 4) credits += cents;
            else debits += cents;
            hash += 23138010;
            sb.Append("6" + code + "23138010" + "4" + "12345678".PadRight(17) + cents.ToString("0000000000", System.Globalization.CultureInfo.InvariantCulture) + f40.PadRight(15)[..15] + f55.PadRight(22)[..22] + "  0" + odfi + seq.ToString("0000000", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        string N(long v, int w) => v.ToString(new string('0', w), System.Globalization.CultureInfo.InvariantCulture);
        sb.Append("8200" + N(entries.Count, 6) + N(hash % 10_000_000_000, 10) + N(debits, 12) + N(credits, 12) + "1231380104" + "".PadRight(19) + "      " + "03130001" + "0000001").Append('\n');
        sb.Append(("9" + N(1, 6) + N(1, 6) + N(entries.Count, 8) + N(hash % 10_000_000_000, 10) + N(debits, 12) + N(credits, 12)).PadRight(94)).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
