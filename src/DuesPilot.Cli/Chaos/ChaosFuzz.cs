using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Server.Intake;

namespace DuesPilot.Cli.Chaos;

/// <summary>One input format and how it is read; <see cref="Expected"/> names the exceptions that are a clear refusal.</summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Parse, Func<Exception, bool> Expected);

/// <summary>
/// Mutation fuzzing of every input parser: seeded inputs (fixtures, the demo day) are mutated — bit flips,
/// byte and line insertions, deletions, duplicated and swapped chunks, truncation, digit and separator
/// swaps, random bytes — and fed to the parser. A parser may refuse with its documented exception
/// (<see cref="BankFileException"/> for bank files; <see cref="JsonException"/> or
/// <see cref="InboxItemException"/> for JSON bodies, which the inbox dead-letters), never anything else,
/// and never hang. Deterministic for a seed.
/// </summary>
public static class ChaosFuzz
{
    private const string Separators = ",/\n\r\"<>{}[]:-+. 9'";

    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public sealed record Finding(string Target, int Iteration, string Exception, string InputBase64);

    public sealed record TargetOutcome(string Target, int Seeds, long Inputs, long Accepted, long Refused, IReadOnlyList<Finding> Crashes, bool Hung, TimeSpan Slowest);

    public static IReadOnlyList<FuzzTarget> Targets() =>
    [
        new("nacha", b => ParseNachaFile.Parse(b), ex => ex is BankFileException),
        new("bai2", b => ParseBai2File.Parse(b), ex => ex is BankFileException),
        new("camt", b => ParseCamtFile.Parse(b), ex => ex is BankFileException),
        new("csv", b => ParseCsvFile.Parse(b), ex => ex is BankFileException),
        new("stripe", ParseStripe, ex => ex is JsonException or InboxItemException),
        new("authorizenet", b => FetchAuthorizeNetTransaction.Parse(b), ex => ex is JsonException or InboxItemException),
    ];

    /// <summary>
    /// What the Stripe endpoint does with a body: verify a valid signature over it (Stripe.net reads the JSON),
    /// compute the payload hash, and prepare the event the way the inbox worker does.
    /// </summary>
    private static readonly Lazy<DuesPilot.Features.Posting.PostingBooks> FuzzBooks = new(Commands.CommonOptions.Books);

    private static void ParseStripe(byte[] body)
    {
        var text = VerifyStripeSignature.Decode(body) ?? throw new InboxItemException("not UTF-8: refused as malformed at the door", retryable: false);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var clock = new FixedClock(now);
        var (verdict, eventId, _) = VerifyStripeSignature.Run(text, VerifyStripeSignature.Sign(text, "whsec_fuzz", now.ToUnixTimeSeconds()), ["whsec_fuzz"], 300, clock);
        if (verdict != SignatureVerdict.Valid || eventId is null) throw new InboxItemException($"refused at the door: {verdict}", retryable: false);
        IntakeEndpoints.StripePayloadHash(body);
        ProcessStripeEvent.Prepare(new LeasedItem { ItemId = "fuzz", Source = InboxSources.Stripe, IdempotencyKey = $"stripe:{eventId}", Body = body }, clock, FuzzBooks.Value);
    }

    public static TargetOutcome Run(FuzzTarget target, IReadOnlyList<byte[]> seeds, int seed, long maxInputs, TimeSpan maxTime, CancellationToken ct)
    {
        var random = new Random(unchecked(seed * 31 + target.Name.Sum(c => c)));
        var crashes = new List<Finding>();
        long inputs = 0, accepted = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        var started = Stopwatch.GetTimestamp();
        var work = Task.Run(() =>
        {
            // The seeds themselves first, then mutants.
            while (inputs < maxInputs && Stopwatch.GetElapsedTime(started) < maxTime && !ct.IsCancellationRequested)
            {
                var input = inputs < seeds.Count ? seeds[(int)inputs] : Mutate(seeds[random.Next(seeds.Count)], seeds, random);
                var one = Stopwatch.GetTimestamp();
                try
                {
                    target.Parse(input);
                    accepted++;
                }
                catch (Exception ex) when (target.Expected(ex))
                {
                    refused++;
                }
                catch (Exception ex)
                {
                    if (crashes.Count < 20) crashes.Add(new Finding(target.Name, (int)inputs, $"{ex.GetType().Name}: {ex.Message} {ex.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("DuesPilot", StringComparison.Ordinal))?.Trim()}", Convert.ToBase64String(input)));
                }

                var took = Stopwatch.GetElapsedTime(one);
                if (took > slowest) slowest = took;
                inputs++;
            }
        }, ct);
        var hung = !work.Wait(maxTime + HangLimit, ct);
        return new TargetOutcome(target.Name, seeds.Count, inputs, accepted, refused, crashes, hung, slowest);
    }

    public static byte[] Mutate(byte[] seed, IReadOnlyList<byte[]> all, Random random)
    {
        var data = new List<byte>(seed);
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(11))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data.Insert(at, (byte)random.Next(256));
                    break;
                case 2 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 3 when data.Count > 0:
                {
                    var length = Math.Min(data.Count - at, 1 + random.Next(200));
                    var chunk = data.GetRange(at, length);
                    data.InsertRange(random.Next(data.Count), chunk);
                    break;
                }

                case 4:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5 when data.Count > 0:
                    data[at] = (byte)"0123456789"[random.Next(10)];
                    break;
                case 6 when data.Count > 0:
                    data[at] = (byte)Separators[random.Next(Separators.Length)];
                    break;
                case 7:
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(32)).Select(_ => (byte)random.Next(256)));
                    break;
                case 8:
                {
                    // Splice: the head of this input and the tail of another.
                    var other = all[random.Next(all.Count)];
                    var cut = other.Length == 0 ? 0 : random.Next(other.Length);
                    data.RemoveRange(at, data.Count - at);
                    data.AddRange(other.AsSpan(cut).ToArray());
                    break;
                }

                case 9 when data.Count > 0:
                {
                    // Swap two lines.
                    var text = Encoding.Latin1.GetString([.. data]).Split('\n');
                    if (text.Length > 2)
                    {
                        int a = random.Next(text.Length), b = random.Next(text.Length);
                        (text[a], text[b]) = (text[b], text[a]);
                        data = [.. Encoding.Latin1.GetBytes(string.Join('\n', text))];
                    }

                    break;
                }

                case 10:
                {
                    // An interesting number in place of a digit run.
                    string[] numbers = ["0", "-1", "999999999999999999999", "9223372036854775807", "-9223372036854775808", "1e400", "NaN", "", "00000000000000000000000000"];
                    var s = Encoding.UTF8.GetBytes(numbers[random.Next(numbers.Length)]);
                    var end = at;
                    while (end < data.Count && data[end] >= '0' && data[end] <= '9') end++;
                    data.RemoveRange(at, end - at);
                    data.InsertRange(at, s);
                    break;
                }

                default:
                    break;
            }
        }

        return [.. data];
    }

    /// <summary>Seed inputs from a fixtures folder: files under nacha/, bai2/, camt/, csv/, stripe/, authorizenet/ (as in tests/DuesPilot.Intake.Tests/Fixtures).</summary>
    public static Dictionary<string, List<byte[]>> SeedsFrom(string? folder, IReadOnlyDictionary<string, List<byte[]>>? builtIn = null)
    {
        var seeds = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
        foreach (var (name, list) in builtIn ?? new Dictionary<string, List<byte[]>>()) seeds[name] = [.. list];
        if (folder is not null && Directory.Exists(folder))
        {
            foreach (var target in Targets())
            {
                var dir = Path.Combine(folder, target.Name);
                if (!Directory.Exists(dir)) continue;
                var list = seeds.TryGetValue(target.Name, out var l) ? l : seeds[target.Name] = [];
                list.AddRange(Directory.GetFiles(dir).Where(f => !f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
            }
        }

        return seeds;
    }

    public static string Describe(TargetOutcome o) => string.Create(CultureInfo.InvariantCulture,
        $"{o.Target}: {o.Inputs} inputs from {o.Seeds} seed(s), {o.Accepted} accepted, {o.Refused} refused clearly, {o.Crashes.Count} crash(es), {(o.Hung ? "HUNG" : "no hang")}, slowest {o.Slowest.TotalMilliseconds:F1} ms");

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
