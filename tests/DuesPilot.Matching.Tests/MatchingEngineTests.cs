using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;

namespace DuesPilot.Matching.Tests;

/// <summary>Each allocation case of the issue, with the exact allocations expected.</summary>
public sealed class MatchingEngineTests
{
    private static Member Person(string id, string first, string last, string? email = null, string? household = null, string? org = null, string? chapter = null) =>
        new(new MemberId(id), PartyKind.Person, $"{first} {last}", first, last, email, "REG", MemberStatus.Active, null, null, household, org is null ? null : new MemberId(org), chapter);

    private static Member Organization(string id, string name, string? chapter = null) =>
        new(new MemberId(id), PartyKind.Organization, name, null, null, null, "CORP", MemberStatus.Active, null, null, null, null, chapter);

    private static Invoice Inv(string id, string member, decimal balance, int month = 1) =>
        Invoice.SingleLine(new InvoiceId(id), new MemberId(member), new DateOnly(2025, month, 1), new DateOnly(2025, month, 28), Money.Usd(balance), Money.Usd(balance), "DUES", "dues");

    private static int paymentNumber;

    private static Payment Pay(decimal amount, string? payer, string? email = null, string? memo = null, PaymentChannel channel = PaymentChannel.Card, string? reference = null) =>
        new(new PaymentId("T" + Interlocked.Increment(ref paymentNumber)), channel, Money.Usd(amount), DateTimeOffset.UnixEpoch, payer, email, reference, memo);

    private static MatchingEngine Engine(IEnumerable<Member> members, IEnumerable<Invoice> invoices) =>
        MatchingEngine.Build(members, invoices, MatchOptions.Default with { UseEmbeddings = false });

    private static string Allocations(MatchDecision d) =>
        string.Join(", ", d.Allocations.Select(a => $"{a.MemberId.Value}/{a.InvoiceId?.Value ?? "credit"}/{a.Amount.ToPlainString()}"));

    private static readonly Member[] Base =
    [
        Person("1", "Robert", "Smith", "rsmith@example.com", household: "H1"),
        Person("2", "Mary", "Smith", "mary@example.com", household: "H1"),
        Person("3", "Jane", "Doe", org: "20"),
        Person("4", "Thomas", "Nguyen", org: "20"),
        Person("5", "John", "Smith"),
        Person("6", "John", "Smith"),
        Person("7", "William", "Chen", chapter: "OH"),
        Person("8", "Susan", "Park", chapter: "OH"),
        Person("9", "Christopher", "Montgomery-Wallace"),
        Organization("20", "Acme Widgets, Inc."),
        Organization("30", "Ohio Chapter", chapter: "OH"),
    ];

    [Fact]
    public void Decide_EmailAndExactBalance_AppliesWithReason()
    {
        var engine = Engine(Base, [Inv("281873", "1", 395m)]);
        var d = engine.Decide(Pay(395m, "Robert Smith", "rsmith@example.com"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/281873/395.00", Allocations(d));
        Assert.Contains("e-mail exact", d.Reason, StringComparison.Ordinal);
        Assert.Contains("amount equals open balance of INV 281873", d.Reason, StringComparison.Ordinal);
        Assert.InRange(d.Confidence, 0.9m, 1m);
    }

    [Fact]
    public void Decide_SeveralOpenInvoices_PaysTheSum()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m, 1), Inv("B", "1", 150m, 2)]);
        var d = engine.Decide(Pay(545m, "Bob Smith", "rsmith@example.com"));
        Assert.Equal("1/A/395.00, 1/B/150.00", Allocations(d));
    }

    [Fact]
    public void Decide_SubsetNamedInMemo_PaysTheSubset()
    {
        var engine = Engine(Base, [Inv("281882", "1", 395m, 1), Inv("281883", "1", 120m, 2), Inv("281884", "1", 75m, 3)]);
        var d = engine.Decide(Pay(195m, "Robert Smith", memo: "Inv#281883 and 281884", channel: PaymentChannel.Check, reference: "4471"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/281883/120.00, 1/281884/75.00", Allocations(d));
    }

    [Fact]
    public void Decide_HouseholdMemberNamedInMemo_PaysBoth()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m), Inv("B", "2", 195m)]);
        var d = engine.Decide(Pay(590m, "Robert Smith", "rsmith@example.com", "dues for Mary and Robert"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/A/395.00, 2/B/195.00", Allocations(d));
    }

    [Fact]
    public void Decide_OrganizationPaysNamedPeople_PaysEach()
    {
        var engine = Engine(Base, [Inv("A", "3", 395m), Inv("B", "4", 395m), Inv("C", "20", 2500m)]);
        var d = engine.Decide(Pay(790m, "ACME WIDGETS INC", memo: "Dues for Jane Doe, NGUYEN THOMAS", channel: PaymentChannel.Check, reference: "10552"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("3/A/395.00, 4/B/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_OrganizationOwnInvoice_Applies()
    {
        var engine = Engine(Base, [Inv("C", "20", 2500m)]);
        var d = engine.Decide(Pay(2500m, "Acme Widgets LLC", memo: "corporate membership", channel: PaymentChannel.Wire));
        Assert.Equal("20/C/2500.00", Allocations(d));
    }

    [Fact]
    public void Decide_ChapterLumpSum_PaysListedMembers()
    {
        var engine = Engine(Base, [Inv("A", "7", 95m), Inv("B", "8", 195m)]);
        var d = engine.Decide(Pay(290m, "OHIO CHAPTER", memo: "Chapter dues: William Chen; Susan Park", channel: PaymentChannel.Check));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("7/A/95.00, 8/B/195.00", Allocations(d));
    }

    [Fact]
    public void Decide_ChapterKnownOnlyByCode_PaysListedMembers()
    {
        var members = Base.Where(m => m.Id.Value != "30").ToList();
        var engine = Engine(members, [Inv("A", "7", 95m), Inv("B", "8", 195m)]);
        var d = engine.Decide(Pay(290m, "OH Chapter Treasurer", memo: "William Chen, Susan Park", channel: PaymentChannel.Check));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("7/A/95.00, 8/B/195.00", Allocations(d));
    }

    [Fact]
    public void Decide_GroupListWithUnknownName_GoesToReview()
    {
        var engine = Engine(Base, [Inv("A", "7", 95m), Inv("B", "8", 195m), Inv("C", "8", 95m)]);
        var d = engine.Decide(Pay(290m, "OHIO CHAPTER", memo: "Chapter dues: William Chen; Oscar Delgado", channel: PaymentChannel.Check));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Decide_SmallOverpayment_RemainderBecomesCredit()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        var d = engine.Decide(Pay(400m, "Robert Smith", "rsmith@example.com"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/A/395.00, 1/credit/5.00", Allocations(d));
    }

    [Fact]
    public void Decide_SmallUnderpayment_LeavesBalanceOpen()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        var d = engine.Decide(Pay(390m, "SMITH ROBERT", channel: PaymentChannel.Ach, memo: "INV A"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/A/390.00", Allocations(d));
        Assert.Equal(Money.Usd(5m), engine.BalanceOf(new InvoiceId("A")));
    }

    [Theory]
    [InlineData("300.00")]
    [InlineData("500.00")]
    public void Decide_VarianceBeyondTolerance_ReviewNamesMember(string amount)
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        var d = engine.Decide(Pay(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), "Robert Smith", "rsmith@example.com"));
        Assert.Equal(MatchAction.Review, d.Action);
        Assert.Equal("1", d.SuggestedMember?.Value);
    }

    [Fact]
    public void Decide_SecondPaymentForSettledInvoice_IsReviewedAsDuplicate()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        Assert.Equal(MatchAction.Apply, engine.Decide(Pay(395m, "Robert Smith", "rsmith@example.com")).Action);
        var again = engine.Decide(Pay(395m, "Robert Smith", "rsmith@example.com"));
        Assert.Equal(MatchAction.Review, again.Action);
        Assert.Equal("1", again.SuggestedMember?.Value);
        Assert.Contains("duplicate", again.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NamesakesWithoutOtherEvidence_AmbiguousPayerReview()
    {
        var engine = Engine(Base, [Inv("A", "5", 395m), Inv("B", "6", 395m)]);
        var d = engine.Decide(Pay(395m, "John Smith"));
        Assert.Equal(MatchAction.Review, d.Action);
        Assert.True(d.Candidates.Count >= 2);
    }

    [Fact]
    public void Decide_MemoReferencesSomeoneElsesInvoice_ConflictReview()
    {
        var engine = Engine(Base, [Inv("281873", "1", 395m), Inv("281899", "9", 395m)]);
        var d = engine.Decide(Pay(395m, "Robert Smith", "rsmith@example.com", "INV 281899"));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Decide_NobodyMatches_UnattributableReview()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        var d = engine.Decide(Pay(150m, "Walter Fitzgerald", memo: "donation"));
        Assert.Equal(MatchAction.Review, d.Action);
        Assert.Empty(d.Allocations);
    }

    [Fact]
    public void Decide_CheckNumberEqualsAnInvoiceNumber_IsIgnored()
    {
        var engine = Engine(Base, [Inv("281876", "5", 395m), Inv("A", "3", 395m)]);
        var d = engine.Decide(Pay(395m, "Jane Doe", channel: PaymentChannel.Check, reference: "281876"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("3/A/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_AchNameCutAt22_Applies()
    {
        var engine = Engine(Base, [Inv("A", "9", 395m)]);
        var d = engine.Decide(Pay(395m, "MONTGOMERY-WALLACE CHR", channel: PaymentChannel.Ach, reference: "091000019000103"));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("9/A/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_ZipCodeEqualsMemberId_IsNotEnoughToApply()
    {
        var members = Base.Append(Person("62704", "Ann", "Lee")).ToList();
        var engine = Engine(members, [Inv("A", "62704", 395m)]);
        var d = engine.Decide(Pay(395m, "Walter Fitzgerald", memo: "dues, 12 Main St, Springfield IL 62704", channel: PaymentChannel.Check));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Decide_LabelledInvoiceNumberFromUnknownPayer_Applies()
    {
        var engine = Engine(Base, [Inv("281873", "1", 395m)]);
        var d = engine.Decide(Pay(395m, "R AND M SMITH FAMILY TR", memo: "INV 281873", channel: PaymentChannel.Ach));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/281873/395.00", Allocations(d));
    }

    [Theory]
    [InlineData("ROBERT OR MARY SMITH", PaymentChannel.Ach)]
    [InlineData("SMITH, ROBERT J", PaymentChannel.Check)]
    [InlineData("Mr. & Mrs. Robert Smith", PaymentChannel.Check)]
    public void Decide_JointAndReversedPayerNames_ApplyToTheMemberWhoOwes(string payer, PaymentChannel channel)
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        var d = engine.Decide(Pay(395m, payer, channel: channel));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("1/A/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_EmailWrittenInMemo_Identifies()
    {
        var members = Base.Select(m => m.Id.Value == "6" ? m with { Email = "john.smith@example.net" } : m).ToList();
        var engine = Engine(members, [Inv("A", "5", 395m), Inv("B", "6", 395m)]);
        var d = engine.Decide(Pay(395m, "John Smith", memo: "renewal - john.smith@example.net", channel: PaymentChannel.Check));
        Assert.Equal(MatchAction.Apply, d.Action);
        Assert.Equal("6/B/395.00", Allocations(d));
    }

    [Fact]
    public void Decide_MemoSaysForSomeoneUnrelated_GoesToReview()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m), Inv("B", "3", 395m)]);
        var d = engine.Decide(Pay(395m, "Robert Smith", "rsmith@example.com", "dues for Jane Doe"));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Evaluate_DoesNotChangeBalances()
    {
        var engine = Engine(Base, [Inv("A", "1", 395m)]);
        engine.Evaluate(Pay(395m, "Robert Smith", "rsmith@example.com"));
        Assert.Equal(Money.Usd(395m), engine.BalanceOf(new InvoiceId("A")));
    }

    [Fact]
    public void Decide_WithEmbedder_RerankingNeverTurnsReviewIntoApply()
    {
        var members = Base;
        var invoices = new[] { Inv("A", "5", 395m), Inv("B", "6", 395m) };
        var engine = MatchingEngine.Build(members, invoices, MatchOptions.Default, new LengthEmbedder());
        var d = engine.Decide(Pay(395m, "J Smith"));
        Assert.Equal(MatchAction.Review, d.Action);
    }

    [Fact]
    public void Build_InvoiceOfUnknownMember_Throws()
    {
        Assert.Throws<ArgumentException>(() => Engine(Base, [Inv("A", "999", 395m)]));
    }

    /// <summary>A deterministic stand-in for the sentence encoder: vectors from letter counts.</summary>
    private sealed class LengthEmbedder : INameEmbedder
    {
        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) =>
            texts.Select(t => Enumerable.Range(0, 26).Select(i => (float)t.Count(c => c == 'a' + i)).ToArray()).ToList();
    }
}
