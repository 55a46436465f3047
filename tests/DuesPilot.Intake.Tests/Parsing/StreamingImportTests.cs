using System.Globalization;
using System.Text;
using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Intake.Tests.Parsing;

/// <summary>
/// Security finding 9 (files): every parser reads a file front to back holding one entry at a time, and the
/// import reads it twice (check, then queue), refusing a file that changed in between.
/// </summary>
public sealed class StreamingImportTests
{
    private const int Rows = 60_000;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 2, 12, 0, 0, TimeSpan.Zero));

    public static TheoryData<string> Formats => ["csv", "nacha", "bai2", "camt"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Read_LargeFile_FirstEntryComesBeforeMostOfTheFileIsRead(string format)
    {
        var content = Large(format);
        Assert.True(content.Length > 3_000_000, $"{format}: {content.Length} bytes");
        using var stream = new HashingStream(new MemoryStream(content, writable: false));
        var report = new BankFileReport(BankFileFormat.Csv);
        var entries = format switch
        {
            "csv" => ParseCsvFile.Read(stream, "h", report),
            "nacha" => ParseNachaFile.Read(stream, "h", report),
            "bai2" => ParseBai2File.Read(stream, "h", report, Bai2Totals.Report),
            _ => ParseCamtFile.Read(stream, "h", report),
        };

        using var e = entries.GetEnumerator();
        Assert.True(e.MoveNext());
        // Parsing whole first read every byte; a streaming reader is at most a buffer or two in.
        Assert.True(stream.BytesRead < 512 * 1024, $"{format}: {stream.BytesRead:N0} of {content.Length:N0} bytes read before the first entry");
        var count = 1;
        while (e.MoveNext()) count++;
        Assert.Equal(Rows, count);
        Assert.Equal(content.Length, stream.BytesRead);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Parse_StreamedEqualsHashedWhole(string format)
    {
        var content = Large(format);
        var file = ImportBankFile.Parse(new ImportRequest($"big.{format}", content, Format: Enum.Parse<BankFileFormat>(format, ignoreCase: true), Bai2Totals: Bai2Totals.Report), []);
        Assert.Equal(BankFile.Hash(content), file.FileHash);
        Assert.Equal(Rows, file.Entries.Count);
        Assert.All(file.Entries, x => Assert.Equal(file.FileHash, x.Position.FileHash));
    }

    [Fact]
    public void Check_KeepsOnlyTheFirstEntries_CountsAndTotalsAll()
    {
        var content = Large("csv");
        var summary = ImportBankFile.Check(new ImportRequest("big.csv", content) { SampleSize = 5 }, []);
        Assert.Equal(Rows, summary.EntryCount);
        Assert.Equal(5, summary.FirstEntries.Count);
        Assert.Equal(BankFile.Hash(content), summary.FirstEntries[0].Position.FileHash);
        Assert.Equal(Enumerable.Range(0, Rows).Sum(i => 1000L + i % 500), summary.Total(BankEntryKind.Payment).MinorUnits);
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Import_FileChangedBetweenCheckAndQueue_RefusedNothingQueued(StoreEngine engine)
    {
        await using var store = await TestStores.CreateAsync(engine);
        var folder = Directory.CreateTempSubdirectory("duespilot-twopass-").FullName;
        try
        {
            var path = Path.Combine(folder, "lockbox.csv");
            await File.WriteAllTextAsync(path, "Date,Amount,Payer Name,Reference\n2027-03-02,10.00,Ann Lee,R1\n2027-03-02,20.00,Bob Ray,R2\n2027-03-02,30.00,Cy Oh,R3\n");
            var seen = 0;
            // The last entry of the checking pass rewrites the file: same size, one amount changed.
            var request = new ImportRequest(path, [])
            {
                Source = BankFileSource.FromPath(path),
                OnEntry = _ =>
                {
                    if (++seen == 3) File.WriteAllText(path, "Date,Amount,Payer Name,Reference\n2027-03-02,90.00,Ann Lee,R1\n2027-03-02,20.00,Bob Ray,R2\n2027-03-02,30.00,Cy Oh,R3\n");
                },
            };

            var ex = await Assert.ThrowsAsync<BankFileException>(() => ImportBankFile.RunAsync(store, _clock, request));
            Assert.Contains("changed between the check and the import", ex.Message, StringComparison.Ordinal);
            await using var c = await store.OpenConnectionAsync();
            Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox"));
            Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM file_imports"));

            // Unchanged, the same file imports whole.
            var result = await ImportBankFile.RunAsync(store, _clock, new ImportRequest(path, []) { Source = BankFileSource.FromPath(path) });
            Assert.Equal(3, result.Queued);
            Assert.Equal(3L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Camt_DtdInsideTheStream_Refused()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY a \"aaaa\">]><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt/></Document>";
        var ex = Assert.Throws<BankFileException>(() => ParseCamtFile.Parse(Encoding.UTF8.GetBytes(xml)));
        Assert.Contains("invalid XML", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Camt_DeepNestingInsideAnEntry_RefusedForItsDepth()
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Ntry>");
        for (var i = 0; i < 100; i++) xml.Append("<a>");
        for (var i = 0; i < 100; i++) xml.Append("</a>");
        xml.Append("</Ntry></Stmt></BkToCstmrStmt></Document>");
        var ex = Assert.Throws<BankFileException>(() => ParseCamtFile.Parse(Encoding.UTF8.GetBytes(xml.ToString())));
        Assert.Contains("nested deeper than 64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bai2_DetailWrappedOverManyLines_ReadInLinearTime()
    {
        // A detail wrapped (without 88s) over 100,000 lines: joining re-split and copied the whole growing record for
        // every line, so time grew with the square of the lines (2.6 MB with 60,000 lines took 87 s).
        var sb = new StringBuilder("01,BANK,DUES,270302,0800,1,,,2/\n02,DUES,BANK,1,270302,0800,USD,2/\n03,12345,USD,010,0,,/\n16,175,1000,0,REF1,CHK1,Dues payment\n");
        for (var i = 0; i < 100_000; i++) sb.Append(CultureInfo.InvariantCulture, $"   note {i} / 16,1\n");
        sb.Append("49,1000,3/\n98,1000,1,5/\n99,1000,1,7/\n");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        var file = ParseBai2File.Parse(Encoding.UTF8.GetBytes(sb.ToString()));

        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30));
        var entry = Assert.Single(file.Entries);
        Assert.EndsWith("note 99999 / 16,1", entry.Memo, StringComparison.Ordinal);
        Assert.Equal(1000, entry.Amount.MinorUnits);
    }

    internal static byte[] Large(string format) => format switch
    {
        "csv" => Csv(),
        "nacha" => NachaBuilder.Build("PPD", [.. Enumerable.Range(0, Rows).Select(i => ("22", 1000L + i % 500, $"M-{i}", $"MEMBER {i}"))]),
        "bai2" => Bai2(),
        _ => Camt(),
    };

    private static byte[] Csv()
    {
        var sb = new StringBuilder("Date,Amount,Payer Name,Reference,Memo\n");
        for (var i = 0; i < Rows; i++) sb.Append(CultureInfo.InvariantCulture, $"2027-03-02,{(1000 + i % 500) / 100m:0.00},Payer Number {i},REF{i:D8},annual dues for member M-{i}\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[] Bai2()
    {
        var sb = new StringBuilder("01,BANK,DUES,270302,0800,1,,,2/\n02,DUES,BANK,1,270302,0800,USD,2/\n03,12345,USD,010,0,,/\n");
        long sum = 0;
        for (var i = 0; i < Rows; i++)
        {
            var amount = 1000 + (i % 500);
            sum += amount;
            sb.Append(CultureInfo.InvariantCulture, $"16,175,{amount},0,REF{i:D8},CHK{i},Dues payment From: PAYER NUMBER {i}/\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"49,{sum},{Rows + 2}/\n98,{sum},1,{Rows + 4}/\n99,{sum},1,{Rows + 6}/\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[] Camt()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt><Id>S1</Id>\n");
        for (var i = 0; i < Rows; i++)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"<Ntry><Amt Ccy=\"USD\">{(1000 + i % 500) / 100m:0.00}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-03-02</Dt></BookgDt><AcctSvcrRef>A{i}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {i}</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>\n");
        }

        sb.Append("</Stmt></BkToCstmrStmt></Document>\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
