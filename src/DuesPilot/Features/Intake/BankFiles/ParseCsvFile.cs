using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CsvHelper;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>
/// How the columns of a bank or lockbox CSV export map to payments. Read from a JSON mapping file
/// (<c>--mapping FILE</c>); without one, common header names are recognised (see <see cref="Default"/>).
/// </summary>
/// <param name="Amount">Column of the amount in major units ("1,234.50", "$12.00", "(5.00)" and "-5.00" are negative).</param>
/// <param name="Date">Column of the deposit/posting date, read with <see cref="DateFormats"/>.</param>
/// <param name="Memo">Columns joined into the memo (remittance text, invoice numbers, stub notes).</param>
/// <param name="OriginalReference">Column naming the payment a negative row reverses (a returned check's number).</param>
/// <param name="TotalLabel">A row whose first column equals this text (e.g. <c>TOTAL</c>) is the control total, not a payment.</param>
/// <param name="Debit">For exports with separate credit and debit columns: the debit column (its amounts are money out).</param>
public sealed record CsvMapping(
    string Amount,
    string Date,
    string? PayerName = null,
    string? Reference = null,
    IReadOnlyList<string>? Memo = null,
    string? Method = null,
    string? PayerId = null,
    string? OriginalReference = null,
    string? Currency = null,
    string? CurrencyColumn = null,
    IReadOnlyList<string>? DateFormats = null,
    string DefaultMethod = "check",
    string? Separator = null,
    string? TotalLabel = null,
    string? Debit = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static readonly IReadOnlyList<string> StandardDateFormats =
        ["yyyy-MM-dd", "M/d/yyyy", "MM/dd/yyyy", "M/d/yy", "yyyyMMdd", "yyyy/MM/dd", "d.M.yyyy", "dd-MMM-yyyy", "d-MMM-yy", "yyyy-MM-dd'T'HH:mm:ss", "M/d/yyyy h:mm:ss tt", "M/d/yyyy H:mm", "MMM d, yyyy"];

    /// <summary>Reads a mapping file; an unknown key or a missing amount/date column is an error naming it.</summary>
    public static CsvMapping Load(string json)
    {
        CsvMapping? mapping;
        try
        {
            mapping = JsonSerializer.Deserialize<CsvMapping>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new BankFileException($"mapping file: {ex.Message}", 0, ex);
        }

        if (mapping is null || string.IsNullOrWhiteSpace(mapping.Amount) || string.IsNullOrWhiteSpace(mapping.Date))
            throw new BankFileException("mapping file: \"amount\" and \"date\" columns are required", 0);
        return mapping;
    }

    /// <summary>The mapping guessed from the header when no mapping file is given, or null when amount or date cannot be found.</summary>
    public static CsvMapping? Default(IReadOnlyList<string> headers)
    {
        string? Find(params string[] names) =>
            headers.FirstOrDefault(h => names.Any(n => string.Equals(Normal(h), n, StringComparison.Ordinal)));
        var amount = Find("amount", "amt", "paymentamount", "checkamount", "creditamount", "credit", "credits", "deposit", "deposits");
        var date = Find("date", "depositdate", "postingdate", "posteddate", "paymentdate", "valuedate", "transactiondate");
        if (amount is null || date is null) return null;
        var memo = headers.Where(h => Normal(h) is "memo" or "description" or "remittance" or "invoice" or "invoicenumber" or "notes" or "stub").ToList();
        return new CsvMapping(amount, date,
            Find("payername", "payer", "name", "remitter", "remittername", "customername", "accountname"),
            Find("reference", "ref", "checknumber", "checkno", "serialnumber", "banreference", "bankreference", "traceNumber".ToLowerInvariant()),
            memo, Find("method", "type", "paymenttype", "paymentmethod"), Find("memberid", "customerid", "accountnumber", "payerid"),
            Find("originalreference", "returnof"), null, Find("currency", "ccy"), TotalLabel: "TOTAL",
            Debit: Find("debit", "debits", "debitamount", "withdrawal", "withdrawals") is { } d && d != amount ? d : null);
    }

    private static string Normal(string header) => new([.. header.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
}

/// <summary>Reads a bank or lockbox CSV export through a <see cref="CsvMapping"/>, with CsvHelper doing the CSV dialect.</summary>
public static class ParseCsvFile
{
    public static ParsedBankFile Parse(ReadOnlySpan<byte> content, CsvMapping? mapping = null)
    {
        BankFile.RequireSize(content);
        var hash = BankFile.Hash(content);
        var report = new BankFileReport(BankFileFormat.Csv);
        var entries = Read(new MemoryStream(content.ToArray(), writable: false), hash, report, mapping).ToList();
        return new ParsedBankFile(BankFileFormat.Csv, hash, report.Currency, entries, report.Controls);
    }

    /// <summary>
    /// Reads the rows one at a time from <paramref name="input"/> (only the current row is held), naming each entry's
    /// position with <paramref name="fileHash"/>. The 'TOTAL' rows are checked, and a file without payment rows refused,
    /// when the last row has been read: a caller acts on the entries only after reading them all.
    /// </summary>
    public static IEnumerable<BankEntry> Read(Stream input, string fileHash, BankFileReport report, CsvMapping? mapping = null) =>
        BankFile.Translating(ReadRows(input, fileHash, report, mapping),
            ex => ex switch
            {
                CsvFormatException f => new BankFileException($"malformed CSV: {f.Message}", (int)f.LineNumber, f),
                OverflowException o => new BankFileException("the amounts add up beyond any real balance: the file is corrupt", 0, o),
                _ => null,
            });

    private static IEnumerable<BankEntry> ReadRows(Stream input, string hash, BankFileReport report, CsvMapping? mapping)
    {
        var options = new CsvReaderOptions
        {
            HasHeader = true,
            TrackLineNumbers = true,
            TrimWhitespace = true,
            SkipEmptyLines = true,
            IncludeValuesInExceptions = false,
            MaxRecordSize = 1024 * 1024,
        };
        if (mapping?.Separator is { Length: 1 } sep) options = options with { Separator = sep[0] };

        var controls = report.Controls;
        long net = 0;
        Currency? first = null;
        using (var reader = CsvReader.Create(input, options, leaveOpen: true))
        {
            var headers = reader.Headers.ToList();
            var map = mapping ?? CsvMapping.Default(headers)
                ?? throw new BankFileException($"wrong CSV columns: no amount and date column among [{string.Join(", ", headers)}]; give a --mapping file", 1);
            // Every column the mapping names must exist: a renamed export column is an error, not a silent blank.
            int Column(string? name)
            {
                if (name is null) return -1;
                if (reader.TryGetFieldIndex(name, out var i)) return i;
                throw new BankFileException($"wrong CSV columns: the mapping's column '{name}' is not in the header [{string.Join(", ", headers)}]", 1);
            }

            var amountCol = Column(map.Amount);
            var dateCol = Column(map.Date);
            var nameCol = Column(map.PayerName);
            var refCol = Column(map.Reference);
            var methodCol = Column(map.Method);
            var idCol = Column(map.PayerId);
            var origCol = Column(map.OriginalReference);
            var debitCol = Column(map.Debit);
            var currencyCol = Column(map.CurrencyColumn);
            var memoCols = (map.Memo ?? []).Select(m => Column(m)).ToList();
            var fixedCurrency = map.Currency is null ? Currency.USD
                : Currency.TryParse(map.Currency, out var fc) ? fc : throw new BankFileException($"mapping file: unknown currency '{map.Currency}'", 0);
            var formats = (map.DateFormats ?? CsvMapping.StandardDateFormats).ToArray();
            var defaultMethod = Payment.ParseChannel(map.DefaultMethod);

            while (reader.Read())
            {
                var line = (int)reader.LineNumber;
                string? Get(int col) => col < 0 || col >= reader.FieldCount ? null : BankFile.Clean(reader.GetString(col));
                if (map.TotalLabel is not null && string.Equals(Get(0), map.TotalLabel, StringComparison.OrdinalIgnoreCase))
                {
                    var statedTotal = ParseAmount(Get(amountCol), fixedCurrency, line);
                    controls.Add(new ControlTotal($"'{map.TotalLabel}' row", line, statedTotal.MinorUnits, net));
                    continue;
                }

                var currency = currencyCol >= 0 && Get(currencyCol) is { } code
                    ? Currency.TryParse(code, out var c) ? c : throw new BankFileException($"unknown currency '{code}'", line)
                    : fixedCurrency;
                // With separate credit/debit columns, one of the two holds the row's amount.
                var amount = debitCol >= 0 && Get(amountCol) is null && Get(debitCol) is { } debitText
                    ? -ParseAmount(debitText, currency, line).Abs()
                    : ParseAmount(Get(amountCol), currency, line);
                var dateText = Get(dateCol) ?? throw new BankFileException($"column '{map.Date}' is empty", line);
                if (!DateOnly.TryParseExact(dateText, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    throw new BankFileException($"'{dateText}' in column '{map.Date}' is not a date ({string.Join(", ", formats)})", line);
                var methodText = Get(methodCol);
                PaymentChannel method;
                try
                {
                    method = methodText is null ? defaultMethod : Payment.ParseChannel(methodText);
                }
                catch (FormatException)
                {
                    method = defaultMethod;
                }

                var memo = string.Join(" | ", memoCols.Select(Get).Where(m => m is not null));
                var original = Get(origCol);
                var kind = amount.IsNegative ? original is null ? BankEntryKind.Outgoing : BankEntryKind.Reversal : BankEntryKind.Payment;
                if (amount.IsZero) kind = BankEntryKind.Notice;
                var entry = new BankEntry(kind, amount.Abs(), date, method, Get(nameCol), Get(refCol), memo.Length == 0 ? null : memo,
                    new SourcePosition(hash, line), original, null, Get(idCol));
                net = checked(net + (kind == BankEntryKind.Payment ? entry.Amount.MinorUnits : -entry.Amount.MinorUnits));
                first ??= entry.Amount.Currency;
                report.Saw(entry);
                yield return entry;
            }
        }

        foreach (var c in controls.Where(c => !c.Agrees))
        {
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"{c.Name} states {c.Stated} (minor units) but the rows add up to {c.Computed}"), c.Line);
        }

        if (report.Entries == 0) throw new BankFileException("the CSV holds no payment rows", 0);
        report.Currency = first!.Value;
    }

    private static Money ParseAmount(string? text, Currency currency, int line)
    {
        if (text is null) throw new BankFileException("the amount is empty", line);
        var t = text.Replace("$", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        var negative = false;
        if (t.StartsWith('(') && t.EndsWith(')'))
        {
            negative = true;
            t = t[1..^1];
        }

        if (!Money.TryParse(t, currency, out var m))
            throw new BankFileException($"'{text}' is not an amount of {currency.Code} (at most {currency.MinorDigits} decimals)", line);
        return negative ? -m : m;
    }
}
