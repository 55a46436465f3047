using System.Globalization;
using System.Text;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>
/// Reads a NACHA ACH file (94-character records) into normalised entries: forward entries of any SEC
/// code (PPD, CCD, CCD+, CTX, WEB, CIE, TEL, IAT…), returns (addenda 99) and notifications of
/// change (addenda 98 / COR batches), checking every batch and file control total.
/// </summary>
/// <remarks>
/// Lenient where real files differ harmlessly: CR/LF or LF, short lines (padded, as the first line of
/// the moov non-ASCII sample), a missing or partial block of 9-fill lines, non-ASCII characters
/// counted as one character each. Strict where money is at stake: every amount, count and entry
/// hash of each batch control must agree with the entries, the file control's money totals and
/// hash must agree with the batches, and a file that ends before its file control is refused.
/// A file-level record count that disagrees while every batch agrees is kept as a warning.
/// </remarks>
public static class ParseNachaFile
{
    public const int RecordLength = 94;

    public static ParsedBankFile Parse(ReadOnlySpan<byte> content, List<string>? warnings = null)
    {
        BankFile.RequireSize(content);
        var hash = BankFile.Hash(content);
        var report = new BankFileReport(BankFileFormat.Nacha);
        var entries = Read(new MemoryStream(content.ToArray(), writable: false), hash, report, warnings).ToList();
        return new ParsedBankFile(BankFileFormat.Nacha, hash, Currency.USD, entries, report.Controls);
    }

    /// <summary>
    /// Reads the records one at a time from <paramref name="input"/> (only the current entry and its addenda are held).
    /// Batch controls are checked as each batch closes; the file control and every total are checked when the last
    /// record has been read, so a caller acts on the entries only after reading them all.
    /// </summary>
    public static IEnumerable<BankEntry> Read(Stream input, string fileHash, BankFileReport report, List<string>? warnings = null) =>
        BankFile.Translating(ReadRecords(input, fileHash, report, warnings),
            ex => ex is OverflowException o ? new BankFileException("the amounts add up beyond any real balance: the file is corrupt", 0, o) : null);

    private static IEnumerable<BankEntry> ReadRecords(Stream input, string hash, BankFileReport report, List<string>? warnings)
    {
        var controls = report.Controls;
        var done = new List<BankEntry>(1);

        var sawHeader = false;
        var sawFileControl = false;
        Batch? batch = null;
        Entry? entry = null;
        long fileDebits = 0, fileCredits = 0, fileHash = 0;
        var fileRecords = 0;
        var batches = 0;

        foreach (var (number, raw) in Records(BankFile.Lines(input)))
        {
            if (raw.Length == 0 || raw.Trim().Length == 0) continue;
            if (raw.Length > RecordLength)
                throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"record is {raw.Length} characters; NACHA records are {RecordLength}"), number);
            var line = raw.PadRight(RecordLength);
            var type = line[0];
            if (sawFileControl)
            {
                if (line.All(c => c == '9')) continue;
                throw new BankFileException("data after the file control (9) record", number);
            }

            switch (type)
            {
                case '1':
                    if (sawHeader) throw new BankFileException("a second file header (1) record", number);
                    sawHeader = true;
                    break;
                case '5':
                    RequireHeader(sawHeader, number);
                    if (batch is not null) throw new BankFileException($"batch header before the control (8) record of the batch that starts on line {batch.Line}", number);
                    batch = Batch.Read(line, number);
                    entry = null;
                    break;
                case '6':
                    RequireBatch(batch, number, "entry detail (6)");
                    entry = Finish(entry, batch!, done, hash);
                    entry = new Entry(line, number, batch!);
                    batch!.Records++;
                    batch.Add(entry);
                    break;
                case '7':
                    RequireBatch(batch, number, "addenda (7)");
                    if (entry is null) throw new BankFileException("addenda (7) record without an entry detail (6) before it", number);
                    entry.Addenda.Add((number, line));
                    batch!.Records++;
                    break;
                case '8':
                    RequireBatch(batch, number, "batch control (8)");
                    entry = Finish(entry, batch!, done, hash);
                    batch!.Close(line, number, controls);
                    fileDebits += batch.Debits;
                    fileCredits += batch.Credits;
                    fileHash += batch.Hash;
                    fileRecords += batch.Records;
                    batches++;
                    batch = null;
                    break;
                case '9':
                    RequireHeader(sawHeader, number);
                    if (batch is not null) throw new BankFileException($"file control (9) record, but the batch that starts on line {batch.Line} has no control (8) record", number);
                    if (line.All(c => c == '9')) throw new BankFileException("9-fill record before the file control (9) record", number);
                    sawFileControl = true;
                    controls.Add(new ControlTotal("file entry hash", number, Numeric(line, 22, 10, number, "entry hash"), fileHash % 10_000_000_000));
                    controls.Add(new ControlTotal("file total debits", number, Numeric(line, 32, 12, number, "total debits"), fileDebits));
                    controls.Add(new ControlTotal("file total credits", number, Numeric(line, 44, 12, number, "total credits"), fileCredits));
                    // Counts are kept as warnings: the entry hash and the money totals, which are checked
                    // strictly, already change if any entry or batch is lost.
                    var statedBatches = Numeric(line, 2, 6, number, "batch count");
                    if (statedBatches != batches)
                        warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {number}: file control states {statedBatches} batches; the file holds {batches} (entry hash and money totals agree)"));
                    var statedRecords = Numeric(line, 14, 8, number, "entry/addenda count");
                    if (statedRecords != fileRecords)
                    {
                        warnings?.Add(string.Create(CultureInfo.InvariantCulture,
                            $"line {number}: file control states {statedRecords} entry/addenda records; the batches hold {fileRecords} (every batch control and money total agrees)"));
                    }

                    break;
                default:
                    throw new BankFileException($"unknown record type '{type}' (expected 1, 5, 6, 7, 8 or 9)", number);
            }

            foreach (var finished in done)
            {
                report.Saw(finished);
                yield return finished;
            }

            done.Clear();
        }

        if (!sawHeader) throw new BankFileException("no file header (1) record: not a NACHA file", 0);
        if (batch is not null) throw new BankFileException($"the file ends inside the batch that starts on line {batch.Line} (no batch control): truncated", batch.Line);
        if (!sawFileControl) throw new BankFileException("the file ends without a file control (9) record: truncated", 0);
        foreach (var c in controls.Where(c => !c.Agrees))
        {
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"{c.Name} states {c.Stated} but the file holds {c.Computed}"), c.Line);
        }

        report.Currency = Currency.USD;
    }

    /// <summary>
    /// The file's records with their numbers: physical lines, with trailing blanks beyond 94 characters
    /// dropped. An "unblocked" file (all records on one line, a multiple of 94 characters) is cut into
    /// records, numbered 1, 2, 3… as lines would be.
    /// </summary>
    private static IEnumerable<(int Number, string Text)> Records(IEnumerable<(int Number, string Text)> lines)
    {
        var sawContent = false;
        (int Number, string Text)? unblocked = null;
        foreach (var (number, raw) in lines)
        {
            var blank = raw.Trim().Length == 0;
            if (unblocked is { } one)
            {
                if (blank) continue;
                // Another line with content: the long first line was not an unblocked file after all (and is refused as too long).
                unblocked = null;
                yield return one;
            }

            if (!sawContent && !blank)
            {
                sawContent = true;
                if (raw.TrimEnd().Length > RecordLength && raw.Length % RecordLength == 0)
                {
                    // Possibly an unblocked file: it is, when no other line holds anything.
                    unblocked = (number, raw);
                    continue;
                }
            }

            yield return (number, raw.Length > RecordLength && raw[RecordLength..].Trim().Length == 0 ? raw[..RecordLength] : raw);
        }

        if (unblocked is { } whole)
        {
            for (var i = 0; i < whole.Text.Length / RecordLength; i++) yield return (i + 1, whole.Text.Substring(i * RecordLength, RecordLength));
        }
    }

    private static void RequireHeader(bool sawHeader, int number)
    {
        if (!sawHeader) throw new BankFileException("record before the file header (1) record", number);
    }

    private static void RequireBatch(Batch? batch, int number, string what)
    {
        if (batch is null) throw new BankFileException($"{what} record outside a batch", number);
    }

    private static Entry? Finish(Entry? entry, Batch batch, List<BankEntry> entries, string hash)
    {
        if (entry is null) return null;
        entries.Add(entry.Normalise(batch, hash));
        return null;
    }

    internal static long Numeric(string line, int start, int length, int number, string field)
    {
        var s = line.Substring(start - 1, length);
        var t = s.Trim();
        if (t.Length == 0) return 0;
        if (!t.All(char.IsAsciiDigit) || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new BankFileException($"{field} (positions {start}-{start + length - 1}) is not a number: '{s}'", number);
        return v;
    }

    internal static string Field(string line, int start, int length) => line.Substring(start - 1, length).Trim();

    private static DateOnly? YyMmDd(string text) =>
        text.Length == 6 && DateOnly.TryParseExact(text, "yyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    private sealed class Batch
    {
        private Batch(int line) => Line = line;

        public int Line { get; }
        public string CompanyName { get; private init; } = "";
        public string Description { get; private init; } = "";
        public string Sec { get; private init; } = "";
        public DateOnly? Effective { get; private init; }
        public string ServiceClass { get; private init; } = "";
        public long Debits { get; private set; }
        public long Credits { get; private set; }
        public long Hash { get; private set; }
        public int Records { get; set; }

        public static Batch Read(string line, int number)
        {
            var sec = Field(line, 51, 3).ToUpperInvariant();
            return new Batch(number)
            {
                ServiceClass = Field(line, 2, 3),
                // IAT batch headers carry no company name at 05-20 (it is in addenda 711).
                CompanyName = sec == "IAT" ? "" : Field(line, 5, 16),
                Sec = sec,
                Description = Field(line, 54, 10),
                Effective = YyMmDd(Field(line, 70, 6)),
            };
        }

        /// <summary>Counts an entry into the batch's totals as it is read (entries are not kept).</summary>
        public void Add(Entry entry)
        {
            var code = entry.TransactionCode;
            if (code % 10 is >= 1 and <= 4) Credits += entry.AmountCents;
            else Debits += entry.AmountCents;
            Hash += entry.RdfiRouting;
        }

        public void Close(string line, int number, List<ControlTotal> controls)
        {
            var label = string.Create(CultureInfo.InvariantCulture, $"batch {Field(line, 88, 7)}");
            controls.Add(new ControlTotal($"{label} entry/addenda count", number, Numeric(line, 5, 6, number, "entry/addenda count"), Records));
            controls.Add(new ControlTotal($"{label} entry hash", number, Numeric(line, 11, 10, number, "entry hash"), Hash % 10_000_000_000));
            controls.Add(new ControlTotal($"{label} total debits", number, Numeric(line, 21, 12, number, "total debits"), Debits));
            controls.Add(new ControlTotal($"{label} total credits", number, Numeric(line, 33, 12, number, "total credits"), Credits));
        }
    }

    private sealed class Entry(string line, int number, Batch batch)
    {
        public string Line { get; } = line;
        public int Number { get; } = number;
        public List<(int Number, string Line)> Addenda { get; } = [];
        public int TransactionCode { get; } = (int)Numeric(line, 2, 2, number, "transaction code");
        public long RdfiRouting { get; } = Numeric(line, 4, 8, number, "RDFI routing number");
        public long AmountCents { get; } = Numeric(line, 30, 10, number, "amount");
        public string Trace { get; } = Field(line, 80, 15);

        public BankEntry Normalise(Batch b, string fileHash)
        {
            var amount = Money.FromMinor(AmountCents, Currency.USD);
            var position = new SourcePosition(fileHash, Number);
            var isCredit = TransactionCode % 10 is >= 1 and <= 4;
            var sec = batch.Sec;

            string? individualName, individualId;
            switch (sec)
            {
                case "CIE":
                    // CIE swaps the fields: 40-54 the consumer's name, 55-76 the biller's account number for them.
                    individualName = Field(Line, 40, 15);
                    individualId = Field(Line, 55, 22);
                    break;
                case "CTX":
                    individualId = Field(Line, 40, 15);
                    individualName = Field(Line, 59, 16);
                    break;
                case "IAT":
                    individualId = AddendaText("15", 4, 15);
                    individualName = AddendaText("10", 47, 35);
                    break;
                default:
                    individualId = Field(Line, 40, 15);
                    individualName = Field(Line, 55, 22);
                    break;
            }

            var returnAddenda = Addenda.FirstOrDefault(a => a.Line.AsSpan(1, 2).SequenceEqual("99"));
            if (returnAddenda.Line is not null)
            {
                var reason = Field(returnAddenda.Line, 4, 3);
                var original = Field(returnAddenda.Line, 7, 15);
                var info = Field(returnAddenda.Line, 36, 44);
                return new BankEntry(BankEntryKind.Reversal, amount, b.Effective, PaymentChannel.Ach, BankFile.Clean(individualName), Trace,
                    Join($"ACH return {reason}", info), position, original, reason, BankFile.Clean(individualId));
            }

            var changeAddenda = Addenda.FirstOrDefault(a => a.Line.AsSpan(1, 2).SequenceEqual("98"));
            if (changeAddenda.Line is not null || b.Sec == "COR")
            {
                var a = changeAddenda.Line ?? Line;
                var code = changeAddenda.Line is null ? null : Field(a, 4, 3);
                var original = changeAddenda.Line is null ? null : Field(a, 7, 15);
                var corrected = changeAddenda.Line is null ? null : Field(a, 36, 29);
                return new BankEntry(BankEntryKind.Notice, amount, b.Effective, PaymentChannel.Ach, BankFile.Clean(individualName), Trace,
                    Join($"ACH notification of change {code}", corrected is null ? null : $"corrected data: {corrected}"), position, original, code, BankFile.Clean(individualId));
            }

            // Prenotes (x3, x8) and zero-dollar remittance entries (x4, x9) move no money.
            var kind = TransactionCode % 10 is 3 or 4 or 8 or 9 ? BankEntryKind.Notice : BankEntryKind.Payment;
            var remittance = new StringBuilder();
            foreach (var (_, a) in Addenda.Where(a => a.Line.AsSpan(1, 2).SequenceEqual("05")))
            {
                // CTX splits one X12 820 across many addenda; the 80 characters join without a separator.
                var chunk = a.Substring(3, 80);
                remittance.Append(sec == "CTX" ? chunk : chunk.Trim() + " ");
            }

            var memo = Join(b.Description, BankFile.Clean(remittance.ToString()));
            // A debit we originated is paid by its receiver; a credit received is paid by the originating
            // company — except CIE, where a consumer's bank pushes the consumer's own bill payment.
            var paidByCompany = isCredit && b.CompanyName.Length > 0 && sec != "CIE";
            var payer = paidByCompany ? b.CompanyName : individualName;
            if (paidByCompany && !string.IsNullOrWhiteSpace(individualName)) memo = Join(memo, $"for {individualName}");
            return new BankEntry(kind, amount, b.Effective, PaymentChannel.Ach, BankFile.Clean(payer), Trace, memo, position, null,
                string.Create(CultureInfo.InvariantCulture, $"{sec} {TransactionCode:00}"), BankFile.Clean(individualId));
        }

        private string? AddendaText(string type, int start, int length)
        {
            var a = Addenda.FirstOrDefault(x => x.Line.AsSpan(1, 2).SequenceEqual(type));
            return a.Line is null ? null : Field(a.Line, start, length);
        }

        private static string? Join(string? a, string? b)
        {
            a = BankFile.Clean(a);
            b = BankFile.Clean(b);
            return a is null ? b : b is null ? a : $"{a} | {b}";
        }
    }
}
