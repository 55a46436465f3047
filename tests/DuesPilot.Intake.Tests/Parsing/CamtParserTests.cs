using System.Text;
using DuesPilot.Domain;
using DuesPilot.Features.Intake.BankFiles;

namespace DuesPilot.Intake.Tests.Parsing;

public sealed class CamtParserTests
{
    private static ParsedBankFile Parse(string name, List<string>? warnings = null) => ParseCamtFile.Parse(Fixture.Bytes($"camt/{name}"), warnings);

    [Theory]
    [InlineData("genkgo-camt__camt053.v2.minimal.xml")]
    [InlineData("genkgo-camt__camt053.v2.with-party-ids.xml")]
    public void Camt053V2_Fixture_CreditWithDebtorAndStructuredReference(string name)
    {
        var e = Assert.Single(Parse(name).Entries);
        Assert.Equal(BankEntryKind.Payment, e.Kind);
        Assert.Equal(Money.FromMinor(885, Currency.EUR), e.Amount);
        Assert.Equal("NAME NAME", e.PayerName);
        Assert.Equal("4654654654654654", e.PayerId);
        Assert.Equal("Ref: 4654654654654654", e.Memo);
        Assert.Equal("100", e.Reference);
        Assert.Equal(new DateOnly(2014, 12, 31), e.Date);
    }

    [Fact]
    public void Camt053V2_MultiStatement_BalancesChecked()
    {
        var f = Parse("genkgo-camt__camt053.v2.multi.statement.xml");
        Assert.Equal(2, f.Entries.Count);
        Assert.Equal(BankEntryKind.Payment, f.Entries[0].Kind);
        Assert.Equal("000000001", f.Entries[0].Reference);
        Assert.Equal("Transaction Description 1", f.Entries[0].Memo);
        Assert.Null(f.Entries[0].PayerName);
        Assert.Equal(BankEntryKind.Outgoing, f.Entries[1].Kind);
        Assert.Equal(Money.FromMinor(700, Currency.EUR), f.Entries[1].Amount);
        Assert.Equal("Company Name 2", f.Entries[1].PayerName);
        Assert.Equal(2, f.Controls.Count(c => c.Name.StartsWith("closing booked balance", StringComparison.Ordinal) && c.Agrees));
        Assert.Contains(f.Controls, c => c.Stated == 2700);
        Assert.Contains(f.Controls, c => c.Stated == 2000);
    }

    [Fact]
    public void Camt053V8_Fixture_StatusCodeAndPartyWrapper()
    {
        var warnings = new List<string>();
        var e = Assert.Single(Parse("genkgo-camt__camt053.v8.xml", warnings).Entries);
        Assert.Equal(Money.FromMinor(885, Currency.EUR), e.Amount);
        Assert.Equal("NAME NAME", e.PayerName);
        Assert.Equal("MUELL/FINP/RA12345", e.Reference);
        Assert.Equal(new DateOnly(2014, 12, 31), e.Date);
        Assert.Equal(PaymentChannel.Wire, e.Method);
        Assert.Contains(warnings, w => w.Contains("statement page 2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("genkgo-camt__camt054.v2.xml", null)]
    [InlineData("genkgo-camt__camt054.v8.xml", "Example Creditor 3 - V1")]
    public void Camt054_Fixture_BatchEntryWithThreeDetails(string name, string? payee)
    {
        var warnings = new List<string>();
        var e = Assert.Single(Parse(name, warnings).Entries);
        Assert.Equal(BankEntryKind.Outgoing, e.Kind);
        Assert.Equal(Money.FromMinor(20_000_000, Currency.Parse("SEK")), e.Amount);
        Assert.Equal(payee, e.PayerName);
        Assert.Contains("Unstructured Remittance Information V1", e.Memo, StringComparison.Ordinal);
        Assert.Contains("Unstructured Remittance Information V3 block 2", e.Memo, StringComparison.Ordinal);
        Assert.Contains("Ref: Ref number V3 block 1", e.Memo, StringComparison.Ordinal);
        Assert.Contains(warnings, w => w.Contains("3 transaction details", StringComparison.Ordinal));
    }

    private const string Notification = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.06">
          <BkToCstmrDbtCdtNtfctn>
            <GrpHdr><MsgId>M1</MsgId></GrpHdr>
            <Ntfctn>
              <Id>N1</Id>
              <Ntry>
                <Amt Ccy="USD">{0}</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts>BOOK</Sts>
                <BookgDt><Dt>2026-01-05</Dt></BookgDt>
                <AcctSvcrRef>BANK-1</AcctSvcrRef>
                <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ACDT</SubFmlyCd></Fmly></Domn></BkTxCd>
                <NtryDtls>
                  <TxDtls>
                    <Refs><EndToEndId>E2E-1</EndToEndId></Refs>
                    <Amt Ccy="USD">395.00</Amt>
                    <RltdPties><Dbtr><Nm>Jane Smith</Nm></Dbtr></RltdPties>
                    <RmtInf><Ustrd>Dues 2026 </Ustrd><Ustrd>member M-1001</Ustrd></RmtInf>
                  </TxDtls>
                  <TxDtls>
                    <Refs><EndToEndId>E2E-2</EndToEndId></Refs>
                    <AmtDtls><TxAmt><Amt Ccy="USD">250.00</Amt></TxAmt></AmtDtls>
                    <RltdPties><Dbtr><Pty><Nm>Acme Corp</Nm></Pty></Dbtr></RltdPties>
                    <RmtInf><Strd><RfrdDocInf><Nb>INV-77</Nb></RfrdDocInf><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
            </Ntfctn>
          </BkToCstmrDbtCdtNtfctn>
        </Document>
        """;

    [Fact]
    public void SeveralDetailsWithAmounts_OneEntryEach()
    {
        var f = ParseCamtFile.Parse(Encoding.UTF8.GetBytes(Notification.Replace("{0}", "645.00", StringComparison.Ordinal)));
        Assert.Equal(2, f.Entries.Count);
        Assert.Equal(Money.Usd(395m), f.Entries[0].Amount);
        Assert.Equal("Jane Smith", f.Entries[0].PayerName);
        Assert.Equal("Dues 2026 | member M-1001", f.Entries[0].Memo);
        Assert.Equal(PaymentChannel.Ach, f.Entries[0].Method);
        Assert.Equal(Money.Usd(250m), f.Entries[1].Amount);
        Assert.Equal("Acme Corp", f.Entries[1].PayerName);
        Assert.Equal("Doc: INV-77 | Ref: RF18539007547034", f.Entries[1].Memo);
        Assert.Equal("E2E-2", f.Entries[1].Reference);
        Assert.NotEqual(f.Entries[0].Position.Line, f.Entries[1].Position.Line);
    }

    [Fact]
    public void StructuredRemittanceWithReferredDocumentAmounts_EachDocumentCarriesItsAmount()
    {
        var xml = Notification.Replace("{0}", "645.00", StringComparison.Ordinal).Replace(
            "<RmtInf><Strd><RfrdDocInf><Nb>INV-77</Nb></RfrdDocInf><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>",
            """
            <RmtInf>
              <Strd><RfrdDocInf><Nb>INV-77</Nb></RfrdDocInf><RfrdDocAmt><DuePyblAmt Ccy="USD">425.00</DuePyblAmt><RmtdAmt Ccy="USD">150</RmtdAmt></RfrdDocAmt></Strd>
              <Strd><RfrdDocInf><Nb>CASH:10562:20251201-1</Nb></RfrdDocInf><RfrdDocAmt><DuePyblAmt Ccy="USD">100.00</DuePyblAmt></RfrdDocAmt></Strd>
              <Strd><RfrdDocInf><Nb>A-1</Nb></RfrdDocInf><RfrdDocInf><Nb>A-2</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="USD">0.01</RmtdAmt></RfrdDocAmt></Strd>
            </RmtInf>
            """,
            StringComparison.Ordinal);
        var f = ParseCamtFile.Parse(Encoding.UTF8.GetBytes(xml));
        // One document: its remitted amount (else the amount due); several under one total: none of them (each read as paid in full).
        Assert.Equal("Doc: INV-77 Amt: 150.00 | Doc: CASH:10562:20251201-1 Amt: 100.00 | Doc: A-1 | Doc: A-2", f.Entries[1].Memo);
    }

    [Fact]
    public void DetailsDisagreeWithEntry_RefusedNamingTheEntryLine()
    {
        var ex = Assert.Throws<BankFileException>(() => ParseCamtFile.Parse(Encoding.UTF8.GetBytes(Notification.Replace("{0}", "600.00", StringComparison.Ordinal))));
        Assert.Equal(7, ex.Line);
        Assert.Contains("BANK-1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Document><BkToCstmrStmt><Stmt>", "invalid XML")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Document/>", "invalid XML")]
    [InlineData("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>", "not a camt")]
    [InlineData("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.04\"><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"USD\">1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry></Stmt></BkToCstmrStmt></Document>", "not a positive USD amount")]
    public void Malformed_Refused(string xml, string expected)
    {
        var ex = Assert.Throws<BankFileException>(() => ParseCamtFile.Parse(Encoding.UTF8.GetBytes(xml)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
