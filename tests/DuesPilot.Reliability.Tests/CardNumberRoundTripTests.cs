using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using DuesPilot.Cli.Chaos;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using DuesPilot.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace DuesPilot.Reliability.Tests;

/// <summary>
/// Security finding 1: every source (Stripe, Authorize.Net webhook and transaction details, iMIS, CSV, camt,
/// refused requests' headers) is sent card numbers written as JSON escapes, XML character references, with
/// spaces, double spaces, dots, dashes and glued to letters; afterwards no table and no log line holds one.
/// The scan is this test's own: it decodes escapes, drops every non-digit and looks for the test cards' digits.
/// </summary>
public sealed partial class CardNumberRoundTripTests
{
    /// <summary>Published test card numbers (Visa, Mastercard, Amex, Discover, Visa 13).</summary>
    private static readonly string[] Cards = ["4111111111111111", "5555555555554444", "378282246310005", "6011000990139424", "4012888888881881", "4222222222222"];

    /// <summary>Each card written the ways a payer (or a hostile sender) might; JSON text, so escapes stay escapes on the wire.</summary>
    private static string JsonVariants(int salt) => salt switch
    {
        0 => @"paid \u0034111111111111111 and \u0035\u0035\u0035\u0035 5555 5555 4444",
        1 => @"card 3782.822463.10005 / cc6011000990139424 / 4012  8888  8888  1881",
        _ => @"visa4222222222222 and 4111-1111-1111-1111 and 4111\u00201111\u00201111\u00201111",
    };

    [Fact]
    public async Task EverySource_EscapedSpacedDottedAndGluedCardNumbers_NothingStoredOrLogged()
    {
        await using var anet = await FakeAuthorizeNet.StartAsync();
        await using var host = await SecurityHost.StartAsync(new Dictionary<string, string?>
        {
            ["Intake:AuthorizeNet:SignatureKey"] = AnetKey,
            ["Intake:AuthorizeNet:ApiLoginId"] = "login",
            ["Intake:AuthorizeNet:TransactionKey"] = "txkey",
            ["Intake:AuthorizeNet:ApiUrl"] = anet.Url + "xml/v1/request.api",
            ["Intake:Imis:SharedSecret"] = "imis-secret-for-tests",
        });
        using var http = host.Client();

        // Stripe: description, payer name and metadata.
        for (var i = 0; i < 3; i++)
        {
            var e = ChaosWebhooks.Make(1, 900 + i, description: "DESCRIPTION")[0];
            var body = e.Body.Replace("\"DESCRIPTION\"", $"\"{JsonVariants(i)}\"", StringComparison.Ordinal)
                .Replace("\"Payer 0\"", $"\"{JsonVariants(i + 1)}\"", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign(body, ChaosWebhooks.Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()));
            request.Headers.TryAddWithoutValidation("User-Agent", "agent 4111 1111 1111 1111");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Authorize.Net: the notification carries a merchant reference; the details bring description and names.
        for (var i = 0; i < 3; i++)
        {
            var body = $$$"""{"notificationId":"n-{{{i}}}-{{{JsonVariants(i)}}}","eventType":"net.authorize.payment.authcapture.created","eventDate":"2027-03-01T10:00:00Z","webhookId":"w1","payload":{"responseCode":1,"authCode":"A1","avsResponse":"Y","authAmount":45.00,"entityName":"transaction","id":"6000000000{{{i}}}","merchantReferenceId":"{{{JsonVariants(i + 2)}}}"}}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/authorizenet") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("X-ANET-Signature", VerifyAuthorizeNetSignature.Sign(Encoding.UTF8.GetBytes(body), AnetKey));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // iMIS Event Grid delivery.
        {
            var body = $$$"""[{"id":"ev-1","eventType":"Party.Updated","subject":"{{{JsonVariants(0)}}}","data":{"note":"{{{JsonVariants(1)}}}","other":"{{{JsonVariants(2)}}}"}}]""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/imis") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-DuesPilot-Secret", "imis-secret-for-tests");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Refused requests: the card is in the headers (and the body, which is never kept).
        foreach (var path in new[] { "/webhooks/stripe", "/webhooks/authorizenet", "/webhooks/imis" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{\"x\":\"4111111111111111\"}", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("User-Agent", "4111111111111111");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "5555.5555.5555.4444");
            request.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1,v1=cc4012888888881881");
            using var response = await http.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}: {response.StatusCode}");
        }

        // Bank files: CSV and camt (an XML character reference is the camt form of an escape).
        var csv = "Date,Amount,Payer Name,Reference,Memo,Payer Id\n" +
                  "2027-03-02,45.00,cc4111111111111111,REF 5555 5555 5555 4444,dues 3782.822463.10005,6011  0009  9013  9424\n" +
                  "2027-03-02,46.00,Dana 4012-8888-8888-1881,R2,\"visa4222222222222\",7\n";
        await ImportBankFile.RunAsync(host.Store, TimeProvider.System, new ImportRequest("lockbox-4111111111111111.csv", Encoding.UTF8.GetBytes(csv)));
        await ImportBankFile.RunAsync(host.Store, TimeProvider.System, new ImportRequest("camt.xml", Encoding.UTF8.GetBytes(Camt())));

        Assert.True(await WaitAsync(host.Store, TimeSpan.FromMinutes(1)), "the inbox was not processed");

        var found = new List<string>();
        await using (var c = await host.Store.OpenConnectionAsync())
        {
            foreach (var table in (await c.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")).ToList())
            {
                await using var command = c.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        var text = reader.IsDBNull(i) ? null : reader.GetValue(i) switch { string s => s, byte[] b => Encoding.UTF8.GetString(b), _ => null };
                        if (text is not null && CardIn(text) is { } card) found.Add($"{table}.{reader.GetName(i)}: {card[..4]}…");
                    }
                }
            }

            // The sources really arrived (masked): payments from Stripe, Authorize.Net and the CSV, rejections with headers.
            Assert.Equal(3, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE source = 'stripe'"));
            Assert.Equal(3, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE source = 'authorizenet'"));
            Assert.True(await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE source IN ('csv', 'camt')") >= 3);
            Assert.Equal(3, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox_rejections WHERE headers LIKE '%1111%'"));
            Assert.True(await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE memo LIKE '%****%'") >= 6);
        }

        foreach (var line in host.Logs.Lines) if (CardIn(line) is { } card) found.Add($"log: {card[..4]}… in {line[..Math.Min(80, line.Length)]}");
        Assert.Empty(found);
    }

    [Fact]
    public async Task ExistingStore_CardNumbersStoredByAnOlderVersion_MaskedAndAuditChainReanchoredByARecordedEvent()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-repair-").FullName;
        try
        {
            var options = new StoreOptions(folder);
            await using (var store = await Store.OpenAsync(options))
            {
                // What an older version wrote: raw card numbers in an inbox body (as a JSON escape), a payment memo and the audit log.
                var trail = new AuditTrail(store, TimeProvider.System);
                await trail.AppendAsync(new AuditEvent("duespilot", "payment.received", "payment:a", "ok"));
                await trail.AppendAsync(new AuditEvent("duespilot", "payment.received", "payment:b", "ok", Inputs: "{\"memo\":\"card 4111 1111 1111 1111\"}"));
                await trail.AppendAsync(new AuditEvent("kim", "hold.overridden", "payment:c", "ok", After: "cc5555555555554444"));
                var body = Encoding.UTF8.GetBytes("{\"description\":\"\\u0034111111111111111\"}");
                await QueueInboxItem.RunAsync(store, TimeProvider.System, new InboxItem("stripe", "stripe:evt_old", "h", body));
                await store.InTransactionAsync(async (c, tx) =>
                {
                    await c.ExecuteAsync("DELETE FROM data_repairs", transaction: tx);
                    await c.ExecuteAsync("UPDATE inbox SET last_error = 'JsonException: 6011.0009.9013.9424' WHERE idempotency_key = 'stripe:evt_old'", transaction: tx);
                });
                Assert.True((await trail.VerifyAsync()).IsIntact);
            }

            await using (var store = await Store.OpenAsync(options))
            {
                var trail = new AuditTrail(store, TimeProvider.System);
                var verification = await trail.VerifyAsync();
                Assert.True(verification.IsIntact, verification.Problem);
                Assert.Equal(4, verification.Rows);
                var reanchor = (await trail.ListAsync("audit:chain")).Single();
                Assert.Equal("audit.reanchored", reanchor.Event.Action);
                Assert.Contains("\"audit_rows_masked\":[2,3]", reanchor.Event.Inputs, StringComparison.Ordinal);
                Assert.Contains("intact", reanchor.Event.Inputs, StringComparison.Ordinal);
                await using var c = await store.OpenConnectionAsync();
                Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM data_repairs"));
                Assert.Contains("**** **** **** 1111", await c.ExecuteScalarAsync<string>("SELECT inputs FROM audit_events WHERE seq = 2"), StringComparison.Ordinal);
                Assert.Contains("************1111", Encoding.UTF8.GetString(await c.ExecuteScalarAsync<byte[]>("SELECT body FROM inbox") ?? []), StringComparison.Ordinal);
                Assert.Equal("JsonException: ****.****.****.9424", await c.ExecuteScalarAsync<string>("SELECT last_error FROM inbox"));
                // Still append-only after the repair.
                await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync("UPDATE audit_events SET outcome = 'x' WHERE seq = 1"));
                foreach (var table in (await c.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")).ToList())
                {
                    foreach (var row in await c.QueryAsync($"SELECT * FROM \"{table}\""))
                    {
                        foreach (var (name, value) in (IDictionary<string, object?>)row)
                        {
                            var text = value switch { string s => s, byte[] b => Encoding.UTF8.GetString(b), _ => null };
                            Assert.True(text is null || CardIn(text) is null, $"{table}.{name} still holds a card number");
                        }
                    }
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A test card in <paramref name="text"/> once JSON escapes and XML character references are decoded and non-digits dropped.</summary>
    private static string? CardIn(string text)
    {
        var decoded = JsonEscape().Replace(text, m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString());
        decoded = XmlReference().Replace(decoded, m => ((char)int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToString());
        var digits = new string([.. decoded.Where(char.IsAsciiDigit)]);
        return Cards.FirstOrDefault(card => digits.Contains(card, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\\u([0-9A-Fa-f]{4})")]
    private static partial Regex JsonEscape();

    [GeneratedRegex(@"&#([0-9]{1,5});")]
    private static partial Regex XmlReference();

    private const string AnetKey = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";

    private static string Camt() => """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
          <BkToCstmrDbtCdtNtfctn>
            <GrpHdr><MsgId>M1</MsgId><CreDtTm>2027-03-02T10:00:00</CreDtTm></GrpHdr>
            <Ntfctn>
              <Id>N1</Id>
              <Acct><Id><Othr><Id>1</Id></Othr></Id></Acct>
              <Ntry>
                <Amt Ccy="USD">47.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts>BOOK</Sts>
                <BookgDt><Dt>2027-03-02</Dt></BookgDt>
                <NtryDtls><TxDtls>
                  <Refs><EndToEndId>E2E-&#52;111111111111111</EndToEndId></Refs>
                  <RltdPties><Dbtr><Nm>Payer &#53;555 5555 5555 4444</Nm></Dbtr></RltdPties>
                  <RmtInf><Ustrd>dues 6011.0009.9013.9424</Ustrd></RmtInf>
                </TxDtls></NtryDtls>
              </Ntry>
            </Ntfctn>
          </BkToCstmrDbtCdtNtfctn>
        </Document>
        """;

    private static async Task<bool> WaitAsync(Store store, TimeSpan timeout)
    {
        var until = TimeProvider.System.GetUtcNow() + timeout;
        while (TimeProvider.System.GetUtcNow() < until)
        {
            await using var c = await store.OpenConnectionAsync();
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE state = 'pending'") == 0) return true;
            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>A local stand-in for Authorize.Net's getTransactionDetails: card numbers typed into the description and names.</summary>
    private sealed class FakeAuthorizeNet : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeAuthorizeNet(WebApplication app)
        {
            _app = app;
            Url = ServerHost.Address(app);
        }

        public Uri Url { get; }

        public static async Task<FakeAuthorizeNet> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapPost("/xml/v1/request.api", async (HttpContext http) =>
            {
                using var doc = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
                var transId = doc.RootElement.GetProperty("getTransactionDetailsRequest").GetProperty("transId").GetString();
                var salt = transId![^1] - '0';
                var json = $$$"""{"transaction":{"transId":"{{{transId}}}","transactionStatus":"settledSuccessfully","settleAmount":45.00,"authAmount":45.00,"submitTimeUTC":"2027-03-01T10:00:00Z","order":{"invoiceNumber":"INV {{{JsonVariants(salt)}}}","description":"{{{JsonVariants(salt + 1)}}}"},"customer":{"id":"{{{JsonVariants(salt + 2)}}}","email":"p4111111111111111@example.org"},"billTo":{"firstName":"{{{JsonVariants(salt)}}}","lastName":"Payer","company":"Co 4111 1111 1111 1111"}},"messages":{"resultCode":"Ok","message":[{"code":"I00001","text":"Successful."}]}}""";
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("\uFEFF" + json);
            });
            await app.StartAsync();
            return new FakeAuthorizeNet(app);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
