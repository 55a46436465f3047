using DuesPilot.Ai;

namespace DuesPilot.Ai.Tests;

public sealed class MaskingTests
{
    /// <summary>Everything but card numbers, which have one test for intake and the assistant together (Reliability.Tests, SensitiveDataTests).</summary>
    public static TheoryData<string, string, MaskKind> Sensitive() => new()
    {
        { "routing 021000021 acct 123456789012", "021000021", MaskKind.Routing },
        { "routing 021000021 acct 123456789012", "123456789012", MaskKind.Account },
        { "ABA# 011000015 for the wire", "011000015", MaskKind.Routing },
        { "from 322271627 checking", "322271627", MaskKind.Routing },
        { "Account No. 0012-3456-7890 at First Bank", "0012-3456-7890", MaskKind.Account },
        { "debit from 98765432109876 ref 2027 dues", "98765432109876", MaskKind.Account },
        { "receipt to jane.doe+dues@example.co.uk please", "jane.doe+dues@example.co.uk", MaskKind.Email },
        { "contact AP@Northwind-Eng.example.com", "AP@Northwind-Eng.example.com", MaskKind.Email },
        { "call me at (312) 555-0187 after 5", "(312) 555-0187", MaskKind.Phone },
        { "cell 312.555.0199", "312.555.0199", MaskKind.Phone },
        { "phone +1 312 555 0100", "+1 312 555 0100", MaskKind.Phone },
        { "mail to 1420 N Lake Shore Dr, Apt 5B, Chicago", "1420 N Lake Shore Dr, Apt 5B", MaskKind.Address },
        { "new address: 77 West Wacker Drive Suite 4100", "77 West Wacker Drive Suite 4100", MaskKind.Address },
        { "I live at 12 Elm St.", "12 Elm St", MaskKind.Address },
        { "send it to P.O. Box 4410 Springfield", "P.O. Box 4410", MaskKind.Address },
        { "this is for member 10231 dues", "10231", MaskKind.Member },
        { "customer #88412 paying", "88412", MaskKind.Member },
    };

    [Theory]
    [MemberData(nameof(Sensitive))]
    public void Mask_SensitiveValue_IsReplacedByATokenAndRestored(string text, string value, MaskKind kind)
    {
        var session = new MaskingSession();

        var masked = session.Mask(text);

        Assert.DoesNotContain(value, masked, StringComparison.Ordinal);
        Assert.Contains($"[{kind.ToString().ToUpperInvariant()}_", masked, StringComparison.Ordinal);
        Assert.Equal(text, session.Restore(masked));
    }

    public static TheoryData<string> Harmless() => new()
    {
        "Invoice INV-27-1001 for $395.00 due 2027-01-31",
        "check no. 1187 dated 11/20/2026 for 296.25",
        "card 4111 1111 1111 1112 is not a valid card number",
        "order 123456789 is not a routing number",
        "2026 dues for Dana Whitfield, invoice 0705",
        "ch_3QhX0sL2Vb7mPq01 refunded $1,250.00",
        "invoice CASH:23373:20220615-1",
    };

    [Theory]
    [MemberData(nameof(Harmless))]
    public void Mask_TextWithoutSensitiveValues_IsUnchanged(string text)
    {
        Assert.Equal(text, new MaskingSession().Mask(text));
    }

    [Fact]
    public void Mask_SameValueTwice_GetsTheSameToken()
    {
        var session = new MaskingSession();

        var masked = session.Mask("e-mail dana@example.org, again dana@example.org, and tom@example.org");

        Assert.Equal("e-mail [EMAIL_1], again [EMAIL_1], and [EMAIL_2]", masked);
        Assert.Equal(2, session.Count(MaskKind.Email));
    }

    [Fact]
    public void Mask_KnownMemberIdWhenConfigured_IsMaskedButAmountsAreNot()
    {
        var session = new MaskingSession(new MaskingRules(true, ["10231"]));

        var masked = session.Mask("10231 paid 10231.00 for ref 102310 and id 10231.");

        Assert.Equal("[MEMBER_1] paid 10231.00 for ref 102310 and id [MEMBER_1].", masked);
    }

    [Fact]
    public void Mask_MemberIdsNotConfigured_AreLeftAlone()
    {
        var masked = new MaskingSession(new MaskingRules(false, ["10231"])).Mask("member 10231");

        Assert.Equal("member 10231", masked);
    }

    [Theory]
    [InlineData("021000021", true)]
    [InlineData("011000015", true)]
    [InlineData("123456789", false)]
    [InlineData("000000000", false)]
    public void AbaChecksum_KnownRoutingNumbers_AreCheckedCorrectly(string digits, bool valid) => Assert.Equal(valid, MaskingSession.AbaChecksum(digits));
}
