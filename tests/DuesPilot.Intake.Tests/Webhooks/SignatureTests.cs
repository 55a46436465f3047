using System.Text;
using DuesPilot.Features.Intake;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Intake.Tests.Webhooks;

public sealed class SignatureTests
{
    private const string Secret = "whsec_test_0123456789abcdef";
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    private static string Event() => Fixture.Text("stripe/stripe-ruby-mock__payment_intent.succeeded.json");

    private static (SignatureVerdict Verdict, string? Id) Verify(string body, string header, params string[] secrets)
    {
        var (verdict, id, _) = VerifyStripeSignature.Run(body, header, secrets, 300, new FakeTimeProvider(Now));
        return (verdict, id);
    }

    [Fact]
    public void Stripe_SignedWithKnownSecret_Verifies()
    {
        var body = Event();
        var (verdict, id) = Verify(body, VerifyStripeSignature.Sign(body, Secret, Now.ToUnixTimeSeconds()), Secret);
        Assert.Equal(SignatureVerdict.Valid, verdict);
        Assert.Equal("evt_000000000000000000000000", id);
    }

    [Fact]
    public void Stripe_OneByteChanged_Refused()
    {
        var body = Event();
        var header = VerifyStripeSignature.Sign(body, Secret, Now.ToUnixTimeSeconds());
        var tampered = body.Replace("\"amount\": 2000", "\"amount\": 2001", StringComparison.Ordinal);
        Assert.NotEqual(body, tampered);
        Assert.Equal(SignatureVerdict.Invalid, Verify(tampered, header, Secret).Verdict);
    }

    [Fact]
    public void Stripe_WrongSecret_Refused() =>
        Assert.Equal(SignatureVerdict.Invalid, Verify(Event(), VerifyStripeSignature.Sign(Event(), "whsec_other", Now.ToUnixTimeSeconds()), Secret).Verdict);

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(-86_400)]
    public void Stripe_TimestampOutsideTolerance_Stale(int offsetSeconds) =>
        Assert.Equal(SignatureVerdict.Stale, Verify(Event(), VerifyStripeSignature.Sign(Event(), Secret, Now.ToUnixTimeSeconds() + offsetSeconds), Secret).Verdict);

    [Theory]
    [InlineData(-299)]
    [InlineData(299)]
    public void Stripe_TimestampInsideTolerance_Verifies(int offsetSeconds) =>
        Assert.Equal(SignatureVerdict.Valid, Verify(Event(), VerifyStripeSignature.Sign(Event(), Secret, Now.ToUnixTimeSeconds() + offsetSeconds), Secret).Verdict);

    [Fact]
    public void Stripe_SeveralV1DuringRoll_AnyMatchingSecretVerifies()
    {
        var body = Event();
        var t = Now.ToUnixTimeSeconds();
        var oldSig = VerifyStripeSignature.Sign(body, "whsec_old", t).Split(",v1=")[1];
        var newSig = VerifyStripeSignature.Sign(body, "whsec_new", t).Split(",v1=")[1];
        var header = $"t={t},v1={oldSig},v1={newSig},v0=deadbeef";
        Assert.Equal(SignatureVerdict.Valid, Verify(body, header, "whsec_new").Verdict);
        Assert.Equal(SignatureVerdict.Valid, Verify(body, header, "whsec_old").Verdict);
        Assert.Equal(SignatureVerdict.Valid, Verify(body, VerifyStripeSignature.Sign(body, "whsec_old", t), "whsec_new", "whsec_old").Verdict);
        Assert.Equal(SignatureVerdict.Invalid, Verify(body, header, "whsec_third").Verdict);
    }

    [Fact]
    public void Stripe_DifferentApiVersion_Tolerated()
    {
        var body = Event().Replace("\"api_version\": \"2020-08-27\"", "\"api_version\": \"2025-03-31.basil\"", StringComparison.Ordinal);
        Assert.Equal(SignatureVerdict.Valid, Verify(body, VerifyStripeSignature.Sign(body, Secret, Now.ToUnixTimeSeconds()), Secret).Verdict);
    }

    [Theory]
    [InlineData("", SignatureVerdict.Missing)]
    [InlineData("garbage", SignatureVerdict.Malformed)]
    [InlineData("t=abc,v1=00", SignatureVerdict.Invalid)]
    public void Stripe_BadHeader_Refused(string header, SignatureVerdict expected) => Assert.Equal(expected, Verify(Event(), header, Secret).Verdict);

    [Fact]
    public void Stripe_Read_ParsesOnceAndStoresTheReceivedBytes()
    {
        var text = """{"id":"evt_000000000000000000000000","object":"event","type":"payment_intent.succeeded","created":1767614400,"data":{"object":{"id":"pi_1","amount":2000,"currency":"usd"}}}""";
        var body = Encoding.UTF8.GetBytes(text);
        var d = VerifyStripeSignature.Read(body, text, VerifyStripeSignature.Sign(text, Secret, Now.ToUnixTimeSeconds()), [Secret], 300, new FakeTimeProvider(Now));
        Assert.Equal(SignatureVerdict.Valid, d.Verdict);
        Assert.Equal("evt_000000000000000000000000", d.EventId);
        Assert.Equal(DuesPilot.Server.Intake.IntakeEndpoints.StripePayloadHash(body), d.PayloadHash);
        // Nothing to mask: the very bytes received are stored, not a re-serialisation.
        Assert.Same(body, d.Stored);
    }

    [Fact]
    public void Stripe_Read_CardNumberMaskedAndHashOfWhatWasSent()
    {
        var text = """{"id":"evt_card","type":"charge.succeeded","created":1,"data":{"object":{"description":"card 4111 1111 1111 1111"}}}""";
        var body = Encoding.UTF8.GetBytes(text);
        var d = VerifyStripeSignature.Read(body, text, VerifyStripeSignature.Sign(text, Secret, Now.ToUnixTimeSeconds()), [Secret], 300, new FakeTimeProvider(Now));
        Assert.Equal(SignatureVerdict.Valid, d.Verdict);
        var stored = Encoding.UTF8.GetString(d.Stored!);
        Assert.DoesNotContain("4111 1111 1111 1111", stored, StringComparison.Ordinal);
        Assert.Contains("**** **** **** 1111", stored, StringComparison.Ordinal);
        Assert.Equal(DuesPilot.Server.Intake.IntakeEndpoints.StripePayloadHash(body), d.PayloadHash);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"id\":")]
    public void Stripe_Read_SignedButNotAnEventObject_Malformed(string text)
    {
        var d = VerifyStripeSignature.Read(Encoding.UTF8.GetBytes(text), text, VerifyStripeSignature.Sign(text, Secret, Now.ToUnixTimeSeconds()), [Secret], 300, new FakeTimeProvider(Now));
        Assert.Equal(SignatureVerdict.Malformed, d.Verdict);
        Assert.Null(d.Stored);
    }

    private static (string Key, string Header, byte[] Body) AnetVector()
    {
        var lines = Fixture.Text("authorizenet/authnetjson__webhook.authcapture.created.signature.txt").Split('\n');
        string Value(string name) => lines.Single(l => l.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        return (Value("signature_key"), Value("x_anet_signature"), Fixture.Bytes("authorizenet/authnetjson__webhook.authcapture.created.body.json"));
    }

    [Fact]
    public void AuthorizeNet_FixtureVector_Verifies()
    {
        var (key, header, body) = AnetVector();
        Assert.Equal(SignatureVerdict.Valid, VerifyAuthorizeNetSignature.Run(body, header, key));
        Assert.Equal(SignatureVerdict.Valid, VerifyAuthorizeNetSignature.Run(body, header.ToLowerInvariant().Replace("sha512=", "SHA512=", StringComparison.Ordinal), key));
        Assert.Equal(header, VerifyAuthorizeNetSignature.Sign(body, key));
    }

    [Fact]
    public void AuthorizeNet_HexDecodedKey_DoesNotMatch()
    {
        var (key, header, body) = AnetVector();
        var hexKeyMac = System.Security.Cryptography.HMACSHA512.HashData(Convert.FromHexString(key), body);
        Assert.NotEqual(header, "sha512=" + Convert.ToHexString(hexKeyMac));
    }

    [Fact]
    public void AuthorizeNet_OneByteChangedOrWrongKey_Refused()
    {
        var (key, header, body) = AnetVector();
        var tampered = (byte[])body.Clone();
        tampered[^3] ^= 1;
        Assert.Equal(SignatureVerdict.Invalid, VerifyAuthorizeNetSignature.Run(tampered, header, key));
        Assert.Equal(SignatureVerdict.Invalid, VerifyAuthorizeNetSignature.Run(body, header, key[..^1] + "0"));
        Assert.Equal(SignatureVerdict.Missing, VerifyAuthorizeNetSignature.Run(body, null, key));
        Assert.Equal(SignatureVerdict.Malformed, VerifyAuthorizeNetSignature.Run(body, "sha256=abc", key));
        Assert.Equal(SignatureVerdict.Malformed, VerifyAuthorizeNetSignature.Run(Encoding.UTF8.GetBytes("{}"), "sha512=XYZ", key));
    }
}
