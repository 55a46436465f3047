using DuesPilot.Cli.Chaos;
using DuesPilot.Cli.Commands;
using Xunit.Abstractions;

namespace DuesPilot.Reliability.Tests;

/// <summary>The short form of <c>duespilot chaos fuzz</c>: 2,000 seeded mutants per parser, each refused clearly or accepted.</summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    public static TheoryData<string> Parsers() => [.. ChaosFuzz.Targets().Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Parser_TwoThousandMutatedInputs_RefusesClearlyNeverCrashesOrHangs(string parser)
    {
        const int seed = 4244;
        var target = ChaosFuzz.Targets().Single(t => t.Name == parser);
        var seeds = ChaosFuzz.SeedsFrom(Path.Combine(AppContext.BaseDirectory, "Fixtures"), ChaosCommand.BuiltInSeeds());
        Assert.True(seeds.TryGetValue(parser, out var list) && list.Count > 0, $"no seed inputs for {parser}");

        var o = ChaosFuzz.Run(target, list, seed, 2_000, TimeSpan.FromMinutes(1), CancellationToken.None);

        output.WriteLine($"seed {seed}: {ChaosFuzz.Describe(o)}");
        foreach (var crash in o.Crashes) output.WriteLine($"input {crash.Iteration}: {crash.Exception} (base64 {crash.InputBase64[..Math.Min(120, crash.InputBase64.Length)]}…)");
        Assert.False(o.Hung);
        Assert.Empty(o.Crashes.Select(c => c.Exception));
        Assert.Equal(2_000, o.Inputs);
        Assert.True(o.Refused > 0, "mutants must be refused sometimes, or the parser is not checking anything");
    }
}
