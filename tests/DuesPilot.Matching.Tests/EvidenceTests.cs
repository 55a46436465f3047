using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;

namespace DuesPilot.Matching.Tests;

public sealed class EvidenceTests
{
    private static PaymentEvidence Extract(string? memo, PaymentChannel channel = PaymentChannel.Card, string? reference = null, string? payer = null) =>
        PaymentEvidence.Extract(new Payment(new PaymentId("P1"), channel, Money.Usd(395m), DateTimeOffset.UnixEpoch, payer, null, reference, memo), MatchingReferenceData.Lexicon);

    [Theory]
    [InlineData("INV 123456", "123456", ReferenceLabel.Invoice)]
    [InlineData("Inv#123456", "123456", ReferenceLabel.Invoice)]
    [InlineData("invoice no. 123456", "123456", ReferenceLabel.Invoice)]
    [InlineData("#123456", "123456", ReferenceLabel.Hash)]
    [InlineData("dues 123456", "123456", ReferenceLabel.Bare)]
    [InlineData("Member #12345", "12345", ReferenceLabel.Member)]
    [InlineData("ID 12345", "12345", ReferenceLabel.Member)]
    [InlineData("INV-2025-0042", "20250042", ReferenceLabel.Invoice)]
    public void Extract_ReferenceForms_AreRead(string memo, string value, ReferenceLabel label)
    {
        var reference = Assert.Single(Extract(memo).References);
        Assert.Equal(value, reference.Value);
        Assert.Equal(label, reference.Label);
    }

    [Fact]
    public void Extract_TwoInvoiceNumbers_BothRead()
    {
        Assert.Equal(["281883", "281884"], Extract("Inv#281883 and 281884").References.Select(r => r.Value));
    }

    [Theory]
    [InlineData("2025 dues")]
    [InlineData("dues $395.00")]
    [InlineData("paid 01/15/2025")]
    public void Extract_YearsAmountsAndDates_AreNotReferences(string memo)
    {
        Assert.Empty(Extract(memo).References);
    }

    [Theory]
    [InlineData(PaymentChannel.Check)]
    [InlineData(PaymentChannel.Ach)]
    [InlineData(PaymentChannel.Wire)]
    public void Extract_ChannelReference_IsNeverAnInvoiceNumber(PaymentChannel channel)
    {
        Assert.Empty(Extract(null, channel, reference: "281876").References);
    }

    [Fact]
    public void Extract_CardReferenceLabelledAsInvoice_IsRead()
    {
        Assert.Equal("281876", Assert.Single(Extract(null, PaymentChannel.Card, reference: "INV 281876").References).Value);
        Assert.Empty(Extract(null, PaymentChannel.Card, reference: "ch_3QxA1 281876").References);
    }

    [Fact]
    public void Extract_AchNameAtTwentyTwoCharacters_MayBeTruncated()
    {
        Assert.True(Extract(null, PaymentChannel.Ach, payer: "MONTGOMERY-WALLACE CHR").PayerMayBeTruncated);
        Assert.False(Extract(null, PaymentChannel.Card, payer: "MONTGOMERY-WALLACE CHR").PayerMayBeTruncated);
    }

    [Fact]
    public void Extract_MemoListOfNames_SplitsIntoSegments()
    {
        var segments = Extract("Dues for Jane Doe, SMITH ROBERT J and Bob").MemoSegments.Select(s => string.Join(' ', s));
        Assert.Equal(["jane doe", "smith robert j", "bob"], segments);
    }

    [Theory]
    [InlineData("ACME WIDGETS INC", "Acme Widgets, Inc.")]
    [InlineData("Acme Widgets LLC", "ACME WIDGETS L.L.C.")]
    [InlineData("The Acme Widgets Company", "Acme Widgets Co")]
    [InlineData("Smith & Jones Ltd", "SMITH AND JONES LIMITED")]
    public void OrganizationCore_LegalFormsAndPunctuation_Ignored(string a, string b)
    {
        var lexicon = MatchingReferenceData.Lexicon;
        Assert.Equal(lexicon.OrganizationCore(a), lexicon.OrganizationCore(b));
    }

    [Theory]
    [InlineData("Dr. Robert J. Smith Jr.", "robert j smith")]
    [InlineData("José García-López", "jose garcia lopez")]
    [InlineData("Patricia O'Brien", "patricia obrien")]
    [InlineData("MR ROBERT BISHOP", "robert bishop")]
    public void PersonTokens_TitlesSuffixesAccents_Normalised(string name, string expected)
    {
        Assert.Equal(expected, string.Join(' ', MatchingReferenceData.Lexicon.PersonTokens(name)));
    }

    [Theory]
    [InlineData("bob", "robert", true)]
    [InlineData("liz", "elizabeth", true)]
    [InlineData("bill", "william", true)]
    [InlineData("bob", "william", false)]
    public void AreNicknames_FromSharedList(string a, string b, bool expected)
    {
        Assert.Equal(expected, MatchingReferenceData.Lexicon.AreNicknames(a, b));
    }
}
