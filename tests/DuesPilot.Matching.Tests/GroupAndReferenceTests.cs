using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;

namespace DuesPilot.Matching.Tests;

/// <summary>The case rules of issue 13: group remittances, third-party references, structured remittance, conflicts, namesakes.</summary>
public sealed class GroupAndReferenceTests
{
    private static Member Person(string id, string first, string last, string? email = null, string? household = null, string? org = null, string? chapter = null) =>
        new(new MemberId(id), PartyKind.Person, $"{first} {last}", first, last, email, "REG", MemberStatus.Active, null, null, household, org is null ? null : new MemberId(org), chapter);

    private static Member Organization(string id, string name, string? chapter = null) =>
        new(new MemberId(id), PartyKind.Organization, name, null, null, null, "CORP", MemberStatus.Active, null, null, null, null, chapter);

    private static Invoice Inv(string id, string member, decimal balance, int month = 1) =>
        Invoice.SingleLine(new InvoiceId(id), new MemberId(member), new DateOnly(2025, month, 1), new DateOnly(2025, month, 28), Money.Usd(balance), Money.Usd(balance), "DUES", "dues");

    private static int paymentNumber;

    private static Payment Pay(decimal amount, string? payer, string? memo = null, PaymentChannel channel = PaymentChannel.Check, string? email = null) =>
        new(new PaymentId("G" + Interlocked.Increment(ref paymentNumber)), channel, Money.Usd(amount), DateTimeOffset.UnixEpoch, payer, email, null, memo);

    private static MatchingEngine Engine(IEnumerable<Member> members, IEnumerable<Invoice> invoices) =>
        MatchingEngine.Build(members, invoices, MatchOptions.Default with { UseEmbeddings = false });

    private static string Allocations(MatchDecision d) =>
        string.Join(", ", d.Allocations.Select(a => $"{a.MemberId.Value}/{a.InvoiceId?.Value ?? "credit"}/{a.Amount.ToPlainString()}").Order(StringComparer.Ordinal));

    private static readonly Member[] People =
    [
        Person("10185", "Ada", "Lovelace", org: "900"), Person("10562", "Grace", "Hopper", org: "900"), Person("928401", "Tom", "Kirby", chapter: "SW"),
        Person("687502", "Eva", "Schneider", chapter: "SW"), Person("631981", "Rosa", "Parks"), Person("500001", "William", "Jackson"),
        Person("500002", "Gabrielle", "Roberts", household: "H7"), Person("500003", "Marcus", "Roberts", household: "H7"),
        Person("500004", "Tyler", "Williams"), Person("500005", "Tyler", "Williams"), Person("500006", "Karen", "Burns", org: "901"), Person("500007", "Leo", "Adams", org: "901"),
        Organization("900", "Analytical Engines Inc."), Organization("901", "Capitol Logistics LLC"),
    ];

    [Fact]
    public void Decide_DemoCtxRemittanceListingTwoImisInvoices_AppliesBothWithTheRemittedAmounts()
    {
        var engine = Engine(People, [Inv("CASH:10185:20251201-1", "10185", 425m), Inv("CASH:10562:20251201-1", "10562", 255m)]);
        var d = engine.Decide(Pay(680m, "ANALYTICAL ENGINES", "DUES RMR*IV*CASH:10185:20251201-1,CASH:10562:20251201-1**680.00\\", PaymentChannel.Ach));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("10185/CASH:10185:20251201-1/425.00, 10562/CASH:10562:20251201-1/255.00", Allocations(d));
    }

    [Fact]
    public void Decide_RmrSegmentsWithPerInvoiceAmounts_AllocateAsRemitted()
    {
        var engine = Engine(People, [Inv("Cash-97189", "10185", 425m), Inv("77001", "10562", 255m)]);
        var d = engine.Decide(Pay(555m, "SOMEBODY ELSE CORP", "RMR*IV*Cash-97189**300.00\\RMR*IV*77001**255.00\\", PaymentChannel.Ach));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("10185/Cash-97189/300.00, 10562/77001/255.00", Allocations(d));
    }

    [Fact]
    public void Decide_CamtDocumentNumbers_PayTheNamedInvoices()
    {
        var engine = Engine(People, [Inv("CASH:10185:20251201-1", "10185", 425m), Inv("77001", "10562", 255m)]);
        var d = engine.Decide(Pay(680m, "Analytical Engines Inc", "Doc: CASH:10185:20251201-1 | Doc: 77001", PaymentChannel.Wire));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("10185/CASH:10185:20251201-1/425.00, 10562/77001/255.00", Allocations(d));
    }

    [Fact]
    public void Decide_ChapterListOfIdsAndSurnames_AppliesEachShare()
    {
        var engine = Engine(People, [Inv("1", "928401", 425m), Inv("2", "687502", 180m)]);
        var d = engine.Decide(Pay(605m, "SW CHAPTER TREASURER", "dues: 928401 Kirby; 687502 Schneider"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("687502/2/180.00, 928401/1/425.00", Allocations(d));
    }

    [Fact]
    public void Decide_ChapterListWithASurnameThatIsNotTheMembers_GoesToReview()
    {
        var engine = Engine(People, [Inv("1", "928401", 425m), Inv("2", "687502", 180m)]);
        var d = engine.Decide(Pay(605m, "SW CHAPTER TREASURER", "dues: 928401 Kirby; 687502 Parks"));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Decide_EmployerNamesStaffBySurnameAlone_AppliesWhenUniqueOnTheStaff()
    {
        var engine = Engine(People, [Inv("1", "500006", 187.50m), Inv("2", "500007", 425m)]);
        var d = engine.Decide(Pay(187.50m, "CAPITOL LOGISTIC", "employee dues Burns", PaymentChannel.Ach));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("500006/1/187.50", Allocations(d));
    }

    [Fact]
    public void Decide_HouseholdFamilyDues_PaysEveryoneInTheHousehold()
    {
        var engine = Engine(People, [Inv("1", "500002", 395m), Inv("2", "500003", 195m)]);
        var d = engine.Decide(Pay(590m, "GABRIELLE ROBERTS", "family dues"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("500002/1/395.00, 500003/2/195.00", Allocations(d));
    }

    [Fact]
    public void Decide_UnrelatedPayerWithMemberIdOfExactBalance_AppliesToThatMember()
    {
        var engine = Engine(People, [Inv("1", "631981", 525m), Inv("2", "500001", 425m)]);
        var d = engine.Decide(Pay(525m, "william jackson", "Member #631981"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("631981/1/525.00", Allocations(d));
    }

    [Theory]
    [InlineData("Member #631981")]
    [InlineData("631981")]
    public void Decide_PayerOwesTheSameAmountAsTheMemberTheMemoNames_GoesToReviewNamingBoth(string memo)
    {
        var engine = Engine(People, [Inv("1", "631981", 525m), Inv("2", "500001", 525m)]);
        var d = engine.Decide(Pay(525m, "William Jackson", memo));
        Assert.Equal(MatchAction.Review, d.Action);
        Assert.Contains("631981", d.Reason, StringComparison.Ordinal);
        Assert.Contains("500001", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NamesakeOwesNoSuchAmount_NameAndAmountPickTheOtherOne()
    {
        var engine = Engine(People, [Inv("1", "500004", 395m), Inv("2", "500005", 60m)]);
        var d = engine.Decide(Pay(395m, "Tyler Williams", null, PaymentChannel.Card));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("500004/1/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_BothNamesakesOweTheAmount_GoesToReview()
    {
        var engine = Engine(People, [Inv("1", "500004", 395m), Inv("2", "500005", 395m)]);
        var d = engine.Decide(Pay(395m, "Tyler Williams", null, PaymentChannel.Card));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Decide_GroupRemittanceSentTwice_SecondGoesToReviewNotToTheSamePeoplesOtherInvoices()
    {
        // Each listed member owes a second invoice of the same amount: the repeat would pay those if not recognised.
        var engine = Engine(People, [Inv("1", "928401", 425m), Inv("2", "687502", 180m), Inv("3", "928401", 425m, month: 6), Inv("4", "687502", 180m, month: 6)]);
        var first = engine.Decide(Pay(605m, "SW CHAPTER TREASURER", "dues: 928401 Kirby; 687502 Schneider"));
        Assert.Equal(MatchAction.Apply, first.Action);
        Assert.Equal("687502/2/180.00, 928401/1/425.00", Allocations(first));

        var again = engine.Decide(Pay(605m, "SW Chapter Treasurer", "Dues: 928401 Kirby; 687502 Schneider"));
        Assert.Equal(MatchAction.Review, again.Action);
        Assert.Contains($"repeats payment {first.PaymentId.Value}", again.Reason, StringComparison.Ordinal);
        Assert.StartsWith("Check for a duplicate", again.SuggestedAction, StringComparison.Ordinal);
        Assert.Equal(Money.Usd(425m), engine.BalanceOf(new InvoiceId("3")));
    }

    [Fact]
    public void Decide_SamePaymentAgainWhileTheFirstWaitsInReview_IsHeldBesideIt()
    {
        // Two Tyler Williams owe 395.00: the first payment is a review; its repeat must not be applied either.
        var engine = Engine(People, [Inv("1", "500004", 395m), Inv("2", "500005", 395m)]);
        var first = engine.Decide(Pay(395m, "Tyler Williams", "dues", PaymentChannel.Card));
        Assert.Equal(MatchAction.Review, first.Action);
        // A reviewer settles the namesake's invoice; the name would now single out the other one.
        engine.Commit(Pay(395m, "Someone", null), [new ProposedAllocation(new MemberId("500005"), new InvoiceId("2"), Money.Usd(395m))]);

        var again = engine.Decide(Pay(395m, "Tyler Williams", "dues", PaymentChannel.Card));
        Assert.Equal(MatchAction.Review, again.Action);
        Assert.Contains("held for review", again.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_SamePayerAndAmountWithAnotherMemo_IsNotARepeat()
    {
        var engine = Engine(People, [Inv("71001", "631981", 395m), Inv("71002", "631981", 395m, month: 6)]);
        Assert.Equal(MatchAction.Apply, engine.Decide(Pay(395m, "Rosa Parks", "INV 71001")).Action);
        var next = engine.Decide(Pay(395m, "Rosa Parks", "INV 71002"));
        Assert.Equal(MatchAction.Apply, next.Action);
        Assert.Equal("631981/71002/395.00", Allocations(next));
    }

    [Fact]
    public void Decide_CamtFileWithReferredDocumentAmounts_AllocatesTheRemittedAmountsFromTheParsedFile()
    {
        // Two invoices of 425.00 and 400.00, 680.00 paid: only the per-document amounts say how it splits.
        const string Camt = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.06">
              <BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M1</MsgId></GrpHdr><Ntfctn><Id>N1</Id>
                <Ntry>
                  <Amt Ccy="USD">680.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-01-05</Dt></BookgDt>
                  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ACDT</SubFmlyCd></Fmly></Domn></BkTxCd>
                  <NtryDtls><TxDtls>
                    <Refs><EndToEndId>E2E-9</EndToEndId></Refs>
                    <RltdPties><Dbtr><Nm>Analytical Engines Inc</Nm></Dbtr></RltdPties>
                    <RmtInf>
                      <Strd><RfrdDocInf><Nb>CASH:10185:20251201-1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="USD">300.00</RmtdAmt></RfrdDocAmt></Strd>
                      <Strd><RfrdDocInf><Nb>CASH:10562:20251201-1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="USD">380.00</RmtdAmt></RfrdDocAmt></Strd>
                    </RmtInf>
                  </TxDtls></NtryDtls>
                </Ntry>
              </Ntfctn></BkToCstmrDbtCdtNtfctn>
            </Document>
            """;
        var entry = DuesPilot.Features.Intake.BankFiles.ParseCamtFile.Parse(System.Text.Encoding.UTF8.GetBytes(Camt)).Entries.Single();
        var engine = Engine(People, [Inv("CASH:10185:20251201-1", "10185", 425m), Inv("CASH:10562:20251201-1", "10562", 400m)]);
        var d = engine.Decide(new Payment(new PaymentId("CAMT-1"), entry.Method, entry.Amount, DateTimeOffset.UnixEpoch, entry.PayerName, null, entry.Reference, entry.Memo));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("10185/CASH:10185:20251201-1/300.00, 10562/CASH:10562:20251201-1/380.00", Allocations(d));
    }

    [Fact]
    public void Decide_ListOfMemberIdsWhoseSharesAreAmbiguous_DoesNotPayOneOfThemAlone()
    {
        // 465.00 = Kirby 425 + Schneider 40, or Kirby 40 + Schneider 425: the list does not say; and Schneider's
        // own 425 + 40 must not take it all while Kirby, listed by number, goes unpaid.
        var engine = Engine(People, [Inv("1", "928401", 425m), Inv("2", "928401", 40m), Inv("3", "687502", 425m), Inv("4", "687502", 40m)]);
        var d = engine.Decide(Pay(465m, "SW CHAPTER TREASURER", "dues: 928401 Kirby; 687502 Schneider"));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Theory]
    [InlineData("Princess", "Hayes")]
    [InlineData("Santa", "Torp")]
    public void Decide_GivenNameThatIsAlsoATitle_StillNamesThePayerInAConflict(string first, string last)
    {
        // The payer owes 425.00 herself and the memo is another member's bare id who owes 425.00 too.
        var engine = Engine([.. People, Person("954535", first, last)], [Inv("1", "954535", 425m), Inv("2", "631981", 425m)]);
        var d = engine.Decide(Pay(425m, $"{first} {last}", "631981", PaymentChannel.Card));
        Assert.Equal(MatchAction.Review, d.Action);
        Assert.Contains("conflict", d.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(150, MatchAction.Apply)]
    [InlineData(395, MatchAction.Review)]
    public void Decide_PetFormNoListKnows_AppliesOnlyWhenNoOtherBearerOfTheSurnameOwesTheAmount(int adamOwes, MatchAction expected)
    {
        // "Roz" is in no nickname list; Rosalind is the only Vance whose given name it can be. Adam Vance owing
        // 395.00 too makes the amount say nothing about which Vance paid.
        var engine = Engine([.. People, Person("700001", "Rosalind", "Vance"), Person("700002", "Adam", "Vance")], [Inv("1", "700001", 395m), Inv("2", "700002", adamOwes)]);
        var d = engine.Decide(Pay(395m, "Roz Vance", "dues payment", PaymentChannel.Card));
        Assert.Equal(expected, d.Action);
        if (expected == MatchAction.Apply) Assert.Equal("700001/1/395.00", Allocations(d));
    }

    [Fact]
    public void RuleVersion_ChangesWithTheReferenceLists()
    {
        var some = new NameLexicon([("robert", "bob"), ("susan", "suzy")], ["doctor|dr"], ["junior|jr"], ["inc"]);
        var fewer = new NameLexicon([("robert", "bob")], ["doctor|dr"], ["junior|jr"], ["inc"]);
        Assert.NotEqual(MatchingEngine.RuleVersionOf(MatchOptions.Default, some), MatchingEngine.RuleVersionOf(MatchOptions.Default, fewer));
        Assert.Equal(MatchingEngine.RuleVersionOf(MatchOptions.Default, fewer), MatchingEngine.RuleVersionOf(MatchOptions.Default, new NameLexicon([("robert", "bob")], ["doctor|dr"], ["junior|jr"], ["inc"])));
        // The engine writes the version of the lists it was built with.
        Assert.Equal(MatchingEngine.RuleVersionOf(MatchOptions.Default), MatchingEngine.Build(People, [], MatchOptions.Default).Options.RuleVersion);
        Assert.Equal(MatchingEngine.RuleVersionOf(MatchOptions.Default, some), MatchingEngine.Build(People, [], MatchOptions.Default, lexicon: some).Options.RuleVersion);
    }

    [Fact]
    public void RuleVersion_ChangesWithAWeight()
    {
        var a = MatchOptions.Default;
        var b = a with { Rules = a.Rules with { NameExact = 4.5 } };
        Assert.StartsWith("matching-", a.RuleVersion, StringComparison.Ordinal);
        Assert.NotEqual(a.RuleVersion, b.RuleVersion);
        Assert.Equal(a.RuleVersion, (a with { }).RuleVersion);
    }
}
