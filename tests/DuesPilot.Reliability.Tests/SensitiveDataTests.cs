using System.Data.Common;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using DuesPilot.Cli.Chaos;
using DuesPilot.Cli.Commands;
using DuesPilot.Features.Intake;
using DuesPilot.Server;

namespace DuesPilot.Reliability.Tests;

/// <summary>No card number or bank account number is ever stored or logged: a demo-like run, then every text and blob column of every table and every log line is scanned.</summary>
public sealed partial class SensitiveDataTests
{
    private const string TestCard = "4111111111111111";

    /// <summary>A digit run standing alone (not part of a hex hash or signature, which are letters and digits mixed).</summary>
    [GeneratedRegex(@"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")]
    private static partial Regex DigitRun();

    /// <summary>
    /// The one card-number test: intake's masker (<see cref="RedactCardNumbers"/>, what is stored) and the assistant's
    /// (<see cref="DuesPilot.Ai.MaskingSession"/>, what a model sees) find the same card numbers, by the one Luhn check.
    /// </summary>
    [Theory]
    [InlineData("paid with 4111 1111 1111 1111 thanks", "paid with **** **** **** 1111 thanks")]
    [InlineData("AMEX 378282246310005 thanks", "AMEX ***********0005 thanks")]
    [InlineData("visa4012888888881881", "visa************1881")]
    [InlineData("Discover 6011 0009 9013 9424", "Discover **** **** **** 9424")]
    [InlineData("not a card 4111111111111112", "not a card 4111111111111112")]
    [InlineData("card 5555-5555-5555-4444", "card ****-****-****-4444")]
    [InlineData("invoice 2027000123457 order", "invoice 2027000123457 order")]
    [InlineData("Dues 2027", "Dues 2027")]
    [InlineData("ch_4111111111111111x", "ch_************1111x")]
    [InlineData("cc4111111111111111", "cc************1111")]
    [InlineData("dots 4111.1111.1111.1111 end", "dots ****.****.****.1111 end")]
    [InlineData("double 4111  1111  1111  1111", "double ****  ****  ****  1111")]
    [InlineData("amex 3782 822463 10005", "amex **** ****** *0005")]
    [InlineData("id 0192f3a4-5b6c-7d8e-9f01-234567890128", "id 0192f3a4-5b6c-7d8e-9f01-234567890128")]
    [InlineData("2027-03-01 paid $178.00", "2027-03-01 paid $178.00")]
    public void CardNumbers_IntakeAndAssistantMaskTheSame_KeepingLastFourInStorage(string text, string expected)
    {
        Assert.Equal(expected, RedactCardNumbers.Run(text));

        var session = new DuesPilot.Ai.MaskingSession();
        var masked = session.Mask(text);
        Assert.Equal(text, session.Restore(masked));
        var isCard = expected != text;
        Assert.Equal(isCard ? 1 : 0, session.Count(DuesPilot.Ai.MaskKind.Card));
        if (isCard)
        {
            var card = session.ValueOf("[CARD_1]")!;
            Assert.Contains(card, text, StringComparison.Ordinal);
            Assert.Contains(RedactCardNumbers.Run(card), expected, StringComparison.Ordinal);
            Assert.DoesNotContain(card, masked, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RedactCardNumbers_JsonEscapes_MaskedAfterDecoding()
    {
        var body = Encoding.UTF8.GetBytes("{\"d\":\"\\u0034111111111111111\",\"n\":[\"4111\\u00201111 1111 1111\"],\"k\":5555555555554444,\"a\":178.00}");

        var masked = Encoding.UTF8.GetString(RedactCardNumbers.Run(body));

        Assert.Equal("{\"d\":\"************1111\",\"n\":[\"**** **** **** 1111\"],\"k\":\"************4444\",\"a\":178.00}", masked);
    }

    [Fact]
    public async Task DemoLikeRun_CardNumbersInMemosAndNachaAccounts_NeverStoredOrLogged()
    {
        await using var host = await SecurityHost.StartAsync();
        using var http = host.Client();
        var events = ChaosWebhooks.Make(20, 5, description: $"dues paid by card {TestCard} exp 12/29");
        foreach (var e in events) Assert.Equal(200, (await ChaosWebhooks.SendAsync(http, e, TimeProvider.System, CancellationToken.None)).Status);
        // A redelivery is still recognised as the same event after its stored body was masked.
        Assert.Equal(200, (await ChaosWebhooks.SendAsync(http, events[0], TimeProvider.System, CancellationToken.None)).Status);

        var ach = ChaosCommand.BuiltInSeeds()["nacha"][0];
        var accounts = Encoding.ASCII.GetString(ach).Split('\n').Where(l => l.StartsWith('6') && l.Length >= 29).Select(l => l[12..29].Trim()).Where(a => a.Length >= 4).Distinct().ToList();
        Assert.NotEmpty(accounts);
        await ImportBankFile.RunAsync(host.Store, TimeProvider.System, new ImportRequest("ach.txt", ach));
        Assert.True(await ChaosWebhooks.WaitProcessedAsync(host.Store, TimeSpan.FromMinutes(1), CancellationToken.None));

        var found = new List<string>();
        await using (var c = await host.Store.OpenConnectionAsync())
        {
            foreach (var table in await c.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'"))
            {
                await using var command = c.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        // Generated keys (sequence numbers, GUIDs, hashes) are the store's own, never input.
                        if (reader.GetName(i) is "event_id" or "seq" || reader.GetName(i).EndsWith("_hash", StringComparison.Ordinal)) continue;
                        var text = reader.IsDBNull(i) ? null : reader.GetValue(i) switch { string s => s, byte[] b => Encoding.UTF8.GetString(b), _ => null };
                        if (text is not null) found.AddRange(Sensitive(text, accounts).Select(s => $"{table}.{reader.GetName(i)}: {s}"));
                    }
                }
            }
        }

        foreach (var line in host.Logs.Lines) found.AddRange(Sensitive(line, accounts).Select(s => $"log: {s}"));
        Assert.Empty(found);
        await using var check = await host.Store.OpenConnectionAsync();
        Assert.Equal(20, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE source = 'stripe' AND memo LIKE '%************1111%'"));
    }

    private static IEnumerable<string> Sensitive(string text, IReadOnlyList<string> accounts)
    {
        foreach (Match m in DigitRun().Matches(text))
        {
            var digits = new string([.. m.Value.Where(char.IsAsciiDigit)]);
            if (RedactCardNumbers.Luhn(digits)) yield return $"card-like number {digits[..4]}…";
        }

        foreach (var account in accounts.Where(a => text.Contains(a, StringComparison.Ordinal))) yield return $"DFI account {account[..2]}…";
    }
}
