using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>
/// Reads a BAI2 cash-management report into normalised entries: one per transaction detail (16)
/// record, with its 88 continuations, and checks every account (49), group (98) and file (99)
/// control total and record count.
/// </summary>
/// <remarks>
/// Lenient about what real files get wrong harmlessly: records without the closing <c>/</c>,
/// <c>88:</c> for <c>88,</c>, times written <c>14:59:35</c>, several records on one physical line,
/// trailing blanks, signed amounts, and every funds-type layout (0/1/2/Z, S with three amounts,
/// V with value date and time, D with a distribution list). Strict about money: a control total or
/// record count that disagrees is refused with the line of the trailer, unless the caller asks for
/// <see cref="Bai2Totals.Report"/> (the disagreement then comes back as a warning).
/// </remarks>
public static partial class ParseBai2File
{
    public static ParsedBankFile Parse(ReadOnlySpan<byte> content, Bai2Totals totals = Bai2Totals.Require, List<string>? warnings = null)
    {
        BankFile.RequireSize(content);
        var hash = BankFile.Hash(content);
        var report = new BankFileReport(BankFileFormat.Bai2);
        var entries = Read(new MemoryStream(content.ToArray(), writable: false), hash, report, totals, warnings).ToList();
        return new ParsedBankFile(BankFileFormat.Bai2, hash, report.Currency, entries, report.Controls);
    }

    /// <summary>
    /// Reads the records one at a time from <paramref name="input"/> (only the current record and its continuations
    /// are held). Every control total is checked when the last record has been read, so a caller acts on the entries
    /// only after reading them all.
    /// </summary>
    public static IEnumerable<BankEntry> Read(Stream input, string fileHash, BankFileReport report, Bai2Totals totals = Bai2Totals.Require, List<string>? warnings = null) =>
        // Totals are summed in checked arithmetic: amounts this large are a corrupt file, refused as a whole (found by chaos fuzz).
        BankFile.Translating(ReadRecords(input, fileHash, report, totals, warnings),
            ex => ex is OverflowException o ? new BankFileException("the amounts add up beyond any real balance: the file is corrupt", 0, o) : null);

    private static IEnumerable<BankEntry> ReadRecords(Stream input, string hash, BankFileReport report, Bai2Totals totals, List<string>? warnings)
    {
        var controls = report.Controls;
        BankEntry? firstEntry = null;
        var lastLine = 0;
        var i = -1;
        Currency fileCurrency = Currency.USD, groupCurrency = Currency.USD, accountCurrency = Currency.USD;
        DateOnly? asOf = null;
        string? account = null;
        long accountSum = 0, groupSum = 0, fileSum = 0;
        int accountRecords = 0, groupRecords = 0, fileRecords = 0, groupAccounts = 0, fileGroups = 0;
        bool inGroup = false, inAccount = false, sawTrailer = false;
        var currencySeen = false;

        foreach (var r in Records(BankFile.Lines(input)))
        {
            i++;
            lastLine = r.Line;
            if (i == 0 && r.Code != "01") throw new BankFileException("the file does not start with a file header (01) record: not a BAI2 file", r.Line);
            if (sawTrailer) throw new BankFileException("record after the file trailer (99)", r.Line);
            var recordsInThis = 1 + r.Continuations;
            fileRecords += recordsInThis;
            if (inGroup) groupRecords += recordsInThis;
            if (inAccount) accountRecords += recordsInThis;
            var f = r.Fields;
            switch (r.Code)
            {
                case "01":
                    if (i != 0) throw new BankFileException("a second file header (01)", r.Line);
                    break;
                case "02":
                    if (inGroup) throw new BankFileException("group header (02) before the previous group's trailer (98)", r.Line);
                    inGroup = true;
                    groupRecords = recordsInThis;
                    groupSum = 0;
                    groupAccounts = 0;
                    asOf = Date(Get(f, 4), r.Line, "as-of date");
                    groupCurrency = CurrencyOr(Get(f, 6), fileCurrency, r.Line);
                    break;
                case "03":
                    if (!inGroup) throw new BankFileException("account identifier (03) outside a group", r.Line);
                    if (inAccount) throw new BankFileException("account identifier (03) before the previous account's trailer (49)", r.Line);
                    inAccount = true;
                    accountRecords = recordsInThis;
                    account = Get(f, 1);
                    accountCurrency = CurrencyOr(Get(f, 2), groupCurrency, r.Line);
                    currencySeen = true;
                    accountSum = SummaryAmounts(f, r.Line);
                    break;
                case "16":
                    if (!inAccount) throw new BankFileException("transaction detail (16) outside an account", r.Line);
                    var (entry, amount) = Detail(r, hash, accountCurrency, asOf);
                    accountSum += amount;
                    firstEntry ??= entry;
                    report.Saw(entry);
                    yield return entry;
                    break;
                case "49":
                    if (!inAccount) throw new BankFileException("account trailer (49) without an account identifier (03)", r.Line);
                    controls.Add(new ControlTotal($"account {account} control total", r.Line, Amount(Get(f, 1), r.Line, "account control total"), accountSum));
                    controls.Add(new ControlTotal($"account {account} record count", r.Line, Count(Get(f, 2), r.Line), accountRecords));
                    groupSum += accountSum;
                    groupAccounts++;
                    inAccount = false;
                    break;
                case "98":
                    if (inAccount) throw new BankFileException("group trailer (98) before the account trailer (49)", r.Line);
                    if (!inGroup) throw new BankFileException("group trailer (98) without a group header (02)", r.Line);
                    controls.Add(new ControlTotal("group control total", r.Line, Amount(Get(f, 1), r.Line, "group control total"), groupSum));
                    controls.Add(new ControlTotal("group account count", r.Line, Count(Get(f, 2), r.Line), groupAccounts));
                    controls.Add(new ControlTotal("group record count", r.Line, Count(Get(f, 3), r.Line), groupRecords));
                    fileSum += groupSum;
                    fileGroups++;
                    inGroup = false;
                    break;
                case "99":
                    if (inGroup) throw new BankFileException("file trailer (99) before the group trailer (98)", r.Line);
                    controls.Add(new ControlTotal("file control total", r.Line, Amount(Get(f, 1), r.Line, "file control total"), fileSum));
                    controls.Add(new ControlTotal("file group count", r.Line, Count(Get(f, 2), r.Line), fileGroups));
                    controls.Add(new ControlTotal("file record count", r.Line, Count(Get(f, 3), r.Line), fileRecords));
                    sawTrailer = true;
                    break;
                default:
                    throw new BankFileException($"unknown record code '{r.Code}' (expected 01, 02, 03, 16, 49, 88, 98 or 99)", r.Line);
            }
        }

        if (i < 0) throw new BankFileException("the file does not start with a file header (01) record: not a BAI2 file", 0);
        if (!sawTrailer) throw new BankFileException("the file ends without a file trailer (99): truncated", lastLine);
        foreach (var c in controls.Where(c => !c.Agrees))
        {
            var message = string.Create(CultureInfo.InvariantCulture, $"{c.Name} states {c.Stated} but the records add up to {c.Computed}");
            if (totals == Bai2Totals.Require) throw new BankFileException(message, c.Line);
            warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {c.Line}: {message}"));
        }

        report.Currency = currencySeen ? firstEntry?.Amount.Currency ?? accountCurrency : fileCurrency;
    }

    private sealed record Record(string Code, List<string> Fields, int Line, int Index, int Continuations, List<string> ContinuationTexts, string Raw);

    /// <summary>Splits the lines into logical records: physical lines, split again where one holds several records, with 88s folded into the record they continue.</summary>
    private static IEnumerable<Record> Records(IEnumerable<(int Number, string Text)> lines)
    {
        Record? current = null;
        foreach (var (line, index, rawText) in Physical(lines))
        {
            var t = rawText;
            // "88:" and "16:" for "88," and "16,": seen in real files.
            if (t.Length >= 3 && char.IsAsciiDigit(t[0]) && char.IsAsciiDigit(t[1]) && t[2] == ':') t = string.Concat(t.AsSpan(0, 2), ",", t.AsSpan(3));
            if (t.Length < 2 || !char.IsAsciiDigit(t[0]) || !char.IsAsciiDigit(t[1]) || (t.Length > 2 && t[2] != ','))
                throw new BankFileException($"not a BAI2 record: '{Shorten(t)}'", line);
            var code = t[..2];
            var body = t.Length > 3 ? t[3..] : "";
            if (code == "88")
            {
                if (current is null) throw new BankFileException("continuation (88) with no record before it", line);
                current.ContinuationTexts.Add(body);
                if (current.Code != "16")
                {
                    // Continuing a header, account or trailer record: its fields simply go on.
                    current.Fields.AddRange(SplitFields(body));
                }

                current = current with { Continuations = current.Continuations + 1 };
                continue;
            }

            // A record is complete once the next one (not an 88) starts.
            if (current is not null) yield return current;
            var fields = code == "16" ? [code, body] : SplitFields(t).ToList();
            current = new Record(code, fields, line, index, 0, [], t);
        }

        if (current is not null) yield return current;
    }

    /// <summary>The physical records: lines joined where one continues the record before it, then split where one holds several.</summary>
    private static IEnumerable<(int Line, int Index, string Text)> Physical(IEnumerable<(int Number, string Text)> lines)
    {
        // First the physical lines joined into logical ones: a line that does not start with a record code
        // continues the record before it (banks wrap long records at a fixed width without an 88), when that
        // record is still open — it has no closing "/", or it is a 16 or 88 whose text may itself hold "/".
        // The line break itself is not content, but blanks on either side of it are (a record wrapped at a
        // fixed width breaks wherever the column falls), so an open record is joined as it was written.
        LogicalLine? logical = null;
        foreach (var (number, raw) in lines)
        {
            if (raw.Trim().Length == 0) continue;
            if (logical is not null && !StartsWithRecordCode(raw.TrimStart()) && logical.IsOpen)
            {
                logical.Append(raw);
                continue;
            }

            if (logical is not null)
            {
                foreach (var part in logical.Split()) yield return part;
            }

            logical = new LogicalLine(number, raw.TrimStart());
        }

        if (logical is not null)
        {
            foreach (var part in logical.Split()) yield return part;
        }
    }

    /// <summary>
    /// A logical line being joined from wrapped physical lines. What <see cref="IsOpen"/> needs — where the last
    /// record starts, and its last non-blank character — is kept up to date from the end of the line only:
    /// re-splitting the whole growing line for every wrapped line (and copying it) made a record wrapped over
    /// many lines quadratic (a 2.6 MB file took 87 s).
    /// </summary>
    private sealed class LogicalLine
    {
        private readonly StringBuilder _text;
        private int _lastRecordStart;
        private int _lastNonBlank;

        public LogicalLine(int line, string first)
        {
            Line = line;
            _text = new StringBuilder(first);
            _lastNonBlank = LastNonBlank(0);
            var matches = NextRecord().Matches(first);
            _lastRecordStart = matches.Count == 0 ? 0 : matches[^1].Index + matches[^1].Length;
        }

        public int Line { get; }

        /// <summary>Whether the last record may go on on the next physical line: it has no closing "/", or it is a 16 or 88 whose text may hold "/".</summary>
        public bool IsOpen
        {
            get
            {
                if (_lastNonBlank < 0 || _text[_lastNonBlank] != '/') return true;
                var start = _lastRecordStart;
                while (start < _text.Length && char.IsWhiteSpace(_text[start])) start++;
                return start + 1 < _text.Length && ((_text[start] == '1' && _text[start + 1] == '6') || (_text[start] == '8' && _text[start + 1] == '8'));
            }
        }

        public void Append(string raw)
        {
            // A record boundary ("/" then blanks then a record code) that this line completes starts at most a few
            // characters before the old line's last non-blank character: look again from there only.
            var from = Math.Max(0, Math.Min(_lastNonBlank < 0 ? _text.Length - 1 : _lastNonBlank, _text.Length - 1) - 16);
            var oldLength = _text.Length;
            _text.Append(raw);
            var matches = NextRecord().Matches(_text.ToString(from, _text.Length - from));
            if (matches.Count > 0) _lastRecordStart = Math.Max(_lastRecordStart, from + matches[^1].Index + matches[^1].Length);
            var last = LastNonBlank(oldLength);
            if (last >= 0) _lastNonBlank = last;
        }

        public IEnumerable<(int Line, int Index, string Text)> Split()
        {
            var index = 1;
            foreach (var part in SplitSeveral(_text.ToString().TrimEnd()))
            {
                yield return (Line, index++, part);
            }
        }

        private int LastNonBlank(int notBefore)
        {
            for (var i = _text.Length - 1; i >= notBefore; i--)
            {
                if (!char.IsWhiteSpace(_text[i])) return i;
            }

            return -1;
        }
    }

    private static readonly string[] RecordCodes = ["01", "02", "03", "16", "49", "88", "98", "99"];

    private static bool StartsWithRecordCode(string line) =>
        line.Length >= 3 && (line[2] == ',' || line[2] == ':') && RecordCodes.Contains(line[..2], StringComparer.Ordinal);

    private static IEnumerable<string> SplitSeveral(string line)
    {
        // A record ends at "/"; when another record code follows on the same line, it is a new record.
        var start = 0;
        foreach (Match m in NextRecord().Matches(line))
        {
            yield return line[start..(m.Index + 1)];
            start = m.Index + m.Length;
        }

        yield return line[start..];
    }

    // 01 only ever starts a file, and each code must look like its record, so a date such as
    // "12/16" inside a detail's text is not taken for a new record.
    [GeneratedRegex(@"/\s*(?=02,|03,|16,\d{3},|49,[+-]?\d|88[,:]|98,[+-]?\d|99,[+-]?\d)")]
    private static partial Regex NextRecord();

    private static List<string> SplitFields(string text)
    {
        var t = text.TrimEnd();
        if (t.EndsWith('/')) t = t[..^1];
        return [.. t.Split(',')];
    }

    private static string Get(List<string> fields, int index) => index < fields.Count ? fields[index].Trim() : "";

    /// <summary>Sums the amounts of an 03 record's status/summary groups (type, amount, item count, funds type [+ extras]).</summary>
    private static long SummaryAmounts(List<string> f, int line)
    {
        long sum = 0;
        var i = 3;
        while (i < f.Count)
        {
            var type = f[i].Trim();
            if (type.Length == 0)
            {
                // An empty type code is a stray comma (",,,/" endings, a leading empty group); step over it alone.
                i++;
                continue;
            }

            var amount = Get(f, i + 1);
            try
            {
                sum = checked(sum + (amount.Length == 0 ? 0 : Amount(amount, line, $"amount of type code {type}")));
            }
            catch (OverflowException ex)
            {
                throw new BankFileException("the summary amounts add up beyond any real balance", line, ex);
            }
            // Status codes (001-099) carry no item count in the spec, but every sample and bank writes the field.
            var funds = Get(f, i + 3);
            i += 4 + FundsExtras(f, i + 3, funds, line);
        }

        return sum;
    }

    /// <summary>How many fields follow the funds-type field.</summary>
    private static int FundsExtras(List<string> f, int fundsIndex, string funds, int line) => funds.ToUpperInvariant() switch
    {
        "" or "0" or "1" or "2" or "Z" => 0,
        "S" => 3,
        "V" => 2,
        "D" => 1 + 2 * (int)Count(Get(f, fundsIndex + 1), line),
        _ => throw new BankFileException($"unknown funds type '{funds}' (expected 0, 1, 2, S, V, D or Z)", line),
    };

    private static (BankEntry Entry, long Amount) Detail(Record r, string fileHash, Currency currency, DateOnly? asOf)
    {
        // 16,type,amount,funds,[extras],bank ref,customer ref,text — the text runs to the end of the record and may hold commas.
        var parts = r.Fields[1].Split(',');
        string P(int k) => k < parts.Length ? parts[k].Trim() : "";
        var typeText = P(0);
        if (!int.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out var type))
            throw new BankFileException($"type code '{typeText}' of a transaction detail (16) is not a number", r.Line);
        var amountText = P(1).TrimEnd('/');
        var minor = Amount(amountText, r.Line, "amount");
        var funds = P(2).TrimEnd('/');
        var extras = FundsExtras([.. parts], 2, funds, r.Line);
        DateOnly? valueDate = funds.Equals("V", StringComparison.OrdinalIgnoreCase) ? Date(P(3), r.Line, "value date") : null;
        var k = 3 + extras;
        var bankRef = BankFile.Clean(P(k).TrimEnd('/'));
        var customerRef = BankFile.Clean(P(k + 1).TrimEnd('/'));
        var text = k + 2 < parts.Length ? string.Join(",", parts[(k + 2)..]) : "";
        text = text.TrimEnd();
        if (text.EndsWith('/')) text = text[..^1];
        text = text.Trim();

        var keyed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in r.ContinuationTexts)
        {
            foreach (Match m in KeyValue().Matches(c.TrimEnd().TrimEnd('/')))
            {
                keyed.TryAdd(m.Groups["k"].Value, m.Groups["v"].Value.Trim());
            }
        }

        var payer = First(keyed, "DBNM", "BO1", "ORIG", "ORGNAME") ?? FromText(text);
        var memoParts = new List<string>();
        if (text.Length > 0 && text != "-") memoParts.Add(text);
        memoParts.AddRange(r.ContinuationTexts.Select(c => c.Trim().TrimEnd('/').Trim()).Where(c => c.Length > 0));
        var memo = memoParts.Count == 0 ? null : string.Join(" | ", memoParts);

        var kind = KindOf(type);
        var reference = bankRef ?? customerRef ?? First(keyed, "EREF");
        var original = kind == BankEntryKind.Reversal ? First(keyed, "EREF") ?? customerRef : null;
        var entry = new BankEntry(kind, Money.FromMinor(Math.Abs(minor), currency), valueDate ?? asOf, MethodOf(type), payer, reference, memo,
            new SourcePosition(fileHash, r.Line, r.Index), original, type.ToString("000", CultureInfo.InvariantCulture),
            customerRef ?? First(keyed, "PY", "CHKN", "IDNM"));
        return (entry, minor);
    }

    [GeneratedRegex(@"(?:^|\s)(?<k>[A-Z][A-Z0-9]{1,6}):\s*(?<v>.*?)(?=\s+[A-Z][A-Z0-9]{1,6}:|$)")]
    private static partial Regex KeyValue();

    private static string? First(Dictionary<string, string> keyed, params string[] keys)
    {
        foreach (var k in keys)
        {
            if (keyed.TryGetValue(k, out var v) && v.Length > 0) return v;
        }

        return null;
    }

    private static string? FromText(string text)
    {
        var m = FromName().Match(text);
        return m.Success ? BankFile.Clean(m.Groups[1].Value) : null;
    }

    [GeneratedRegex(@"\bFrom:\s*([^,]+)")]
    private static partial Regex FromName();

    /// <summary>Credits (100-399) are receipts, except returns of our own outgoing items (251-269); 555-559 are deposited items and ACH debits returned to us.</summary>
    internal static BankEntryKind KindOf(int type) => type switch
    {
        >= 251 and <= 269 => BankEntryKind.Notice,
        >= 100 and <= 399 => BankEntryKind.Payment,
        >= 555 and <= 559 => BankEntryKind.Reversal,
        >= 400 and <= 699 => BankEntryKind.Outgoing,
        _ => BankEntryKind.Notice,
    };

    internal static PaymentChannel MethodOf(int type) => type switch
    {
        >= 109 and <= 118 or 171 or 172 or 174 or 175 or 301 or 555 => PaymentChannel.Check,
        147 or 148 => PaymentChannel.Card,
        >= 190 and <= 199 or 158 or >= 206 and <= 208 => PaymentChannel.Wire,
        _ => PaymentChannel.Ach,
    };

    private static long Amount(string text, int line, string what)
    {
        var t = text.Trim();
        if (t.Length == 0) return 0;
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw new BankFileException($"{what} '{Shorten(t)}' is not a whole number of minor units", line);
        return v;
    }

    private static long Count(string text, int line)
    {
        var t = text.Trim().TrimEnd('/');
        if (t.Length == 0) return 0;
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new BankFileException($"count '{Shorten(t)}' is not a number", line);
        return v;
    }

    private static DateOnly? Date(string text, int line, string what)
    {
        var t = text.Trim();
        if (t.Length == 0) return null;
        if (DateOnly.TryParseExact(t, "yyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        if (DateOnly.TryParseExact(t, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out d)) return d;
        throw new BankFileException($"{what} '{Shorten(t)}' is not a YYMMDD date", line);
    }

    private static Currency CurrencyOr(string code, Currency fallback, int line)
    {
        if (code.Length == 0) return fallback;
        return Currency.TryParse(code, out var c) ? c : throw new BankFileException($"unknown currency code '{Shorten(code)}'", line);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>What to do when a BAI2 control total or record count disagrees with the records.</summary>
public enum Bai2Totals
{
    /// <summary>Refuse the file (the default): the bank's totals are the check that nothing was lost.</summary>
    Require,

    /// <summary>Import it and report each disagreement as a warning (for files known to carry wrong trailers).</summary>
    Report,
}
