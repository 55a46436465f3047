using DuesPilot.Cli.Chaos;
using Xunit.Abstractions;

namespace DuesPilot.Reliability.Tests;

/// <summary>The short form of <c>duespilot chaos imis</c>.</summary>
public sealed class ImisFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SendImisWrites_ThirtyPercentFaultsTimeoutsAfterWriteAndTokenExpiry_BalancesExactNoReceiptTwice()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-chaos-imis-").FullName;

        var o = await ChaosImis.RunAsync(new ChaosImis.Request(40, 13, folder), CancellationToken.None);

        output.WriteLine($"seed {o.Seed}: {o.Rounds} rounds, {o.FaultsInjected} faults, {o.WritesDropped} dropped after write, {o.TokensIssued} tokens; done {o.Done}, wrong {o.WrongBalances}; {string.Join("; ", o.Problems)}");
        Assert.True(o.FaultsInjected > 0, "the sandbox must have injected faults");
        Assert.True(o.TokensIssued > 1, "the token must have been renewed after it expired");
        Assert.Empty(o.Problems);
        Assert.Equal(40, o.Payments);
        Assert.Equal(40, o.Done);
        Assert.True(o.Rounds >= 3, "the outbox must drain over several rounds, across the token expiry");
        Assert.Equal(0, o.WrongBalances);
    }
}
