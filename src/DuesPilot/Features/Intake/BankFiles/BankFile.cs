using System.Globalization;
using System.Security.Cryptography;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>The bank and lockbox formats intake reads.</summary>
public enum BankFileFormat
{
    Nacha,
    Bai2,
    Camt,
    Csv,
}

/// <summary>What a line of a bank file means for dues.</summary>
public enum BankEntryKind
{
    /// <summary>Money received (or collected by a debit we originated): becomes a payment.</summary>
    Payment,

    /// <summary>Money taken back (ACH return, returned check, reversed entry): reverses the original payment.</summary>
    Reversal,

    /// <summary>No money moves (ACH notification of change, prenote): a review note.</summary>
    Notice,

    /// <summary>Money leaving the account (fees, transfers out): reported, not a dues payment.</summary>
    Outgoing,
}

/// <summary>Where an entry came from: the file's SHA-256 and the 1-based line (and record on that line) it starts at.</summary>
public sealed record SourcePosition(string FileHash, int Line, int Record = 1)
{
    /// <summary>Stable text such as <c>sha256:ab12…:L17</c> (or <c>:L17.2</c> for the second record on a line): the idempotency key's tail.</summary>
    public override string ToString() =>
        Record == 1
            ? string.Create(CultureInfo.InvariantCulture, $"sha256:{FileHash}:L{Line}")
            : string.Create(CultureInfo.InvariantCulture, $"sha256:{FileHash}:L{Line}.{Record}");
}

/// <summary>One entry of a bank file, normalised across formats.</summary>
/// <param name="Reference">The bank's or network's id for the entry (ACH trace, bank reference, end-to-end id); reversals point at it.</param>
/// <param name="OriginalReference">For a reversal or notice: the reference of the entry it undoes or corrects.</param>
/// <param name="ReasonCode">ACH return (R01…) or change (C01…) code, camt return reason, BAI2 type code.</param>
public sealed record BankEntry(
    BankEntryKind Kind,
    Money Amount,
    DateOnly? Date,
    PaymentChannel Method,
    string? PayerName,
    string? Reference,
    string? Memo,
    SourcePosition Position,
    string? OriginalReference = null,
    string? ReasonCode = null,
    string? PayerId = null);

/// <summary>A control total the file states about itself, and what the entries add up to.</summary>
public sealed record ControlTotal(string Name, int Line, long Stated, long Computed)
{
    public bool Agrees => Stated == Computed;
}

/// <summary>A parsed file: every entry, and the control totals that were checked (all agree, or parsing threw).</summary>
public sealed record ParsedBankFile(BankFileFormat Format, string FileHash, Currency Currency, IReadOnlyList<BankEntry> Entries, IReadOnlyList<ControlTotal> Controls)
{
    public Money Total(BankEntryKind kind) => Money.Sum(Entries.Where(e => e.Kind == kind && e.Amount.Currency == Currency).Select(e => e.Amount), Currency);
}

/// <summary>
/// What a streaming read of a bank file learns besides its entries: filled in while the entries are read and
/// complete once they have all been read (the parser checks the control totals at the end, and throws then).
/// </summary>
public sealed class BankFileReport
{
    private readonly Dictionary<Currency, (int Count, int FirstSeen)> _currencies = [];

    public BankFileReport(BankFileFormat format) => Format = format;

    public BankFileFormat Format { get; }

    /// <summary>The file's currency (set by the parser at the end of the file).</summary>
    public Currency Currency { get; internal set; } = Currency.USD;

    public List<ControlTotal> Controls { get; } = [];

    /// <summary>Entries read so far.</summary>
    public int Entries { get; private set; }

    internal void Saw(BankEntry entry)
    {
        Entries++;
        var c = entry.Amount.Currency;
        _currencies[c] = _currencies.TryGetValue(c, out var seen) ? (seen.Count + 1, seen.FirstSeen) : (1, _currencies.Count);
    }

    /// <summary>The currency most entries are in (the first seen on a tie), or null when there are none.</summary>
    internal Currency? MostCommonCurrency() =>
        _currencies.Count == 0 ? null : _currencies.OrderByDescending(c => c.Value.Count).ThenBy(c => c.Value.FirstSeen).First().Key;
}

/// <summary>A file that cannot be imported as a whole. The message names the line; nothing from the file is imported.</summary>
public sealed class BankFileException : Exception
{
    public BankFileException(string message, int line)
        : base(line > 0 ? string.Create(CultureInfo.InvariantCulture, $"line {line}: {message}") : message) => Line = line;

    public BankFileException(string message, int line, Exception inner)
        : base(line > 0 ? string.Create(CultureInfo.InvariantCulture, $"line {line}: {message}") : message, inner) => Line = line;

    public BankFileException()
    {
    }

    public BankFileException(string message)
        : base(message)
    {
    }

    public BankFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>1-based line of the problem; 0 when it concerns the whole file.</summary>
    public int Line { get; }
}

/// <summary>Shared limits and helpers for the bank-file parsers.</summary>
public static class BankFile
{
    /// <summary>Files larger than this are refused before parsing: a dues bank file is kilobytes to a few megabytes.</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Refuses an empty or oversized file before any parser looks at it.</summary>
    public static void RequireSize(ReadOnlySpan<byte> content)
    {
        if (content.Length == 0) throw new BankFileException("the file is empty", 0);
        if (content.Length > MaxBytes)
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"the file is {content.Length:N0} bytes; the limit is {MaxBytes:N0}"), 0);
    }

    /// <summary>Splits text into lines on CR, LF or CRLF, keeping 1-based numbers.</summary>
    public static IEnumerable<(int Number, string Text)> Lines(string text)
    {
        var number = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n' && text[i] != '\r') continue;
            number++;
            yield return (number, text[start..i]);
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            start = i + 1;
        }

        if (start < text.Length) yield return (number + 1, text[start..]);
    }

    internal static string? Clean(string? text)
    {
        if (text is null) return null;
        var t = text.Trim();
        return t.Length == 0 ? null : t;
    }

    /// <summary>
    /// Lines of a bank file read from a stream, numbered from 1, split on CR, LF or CRLF as <see cref="Lines(string)"/>
    /// does; a UTF-8 BOM is skipped, invalid UTF-8 becomes U+FFFD. Only the current line is held in memory.
    /// </summary>
    internal static IEnumerable<(int Number, string Text)> Lines(Stream input)
    {
        using var reader = new StreamReader(input, new System.Text.UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (number == 1 && line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
            yield return (number, line);
        }
    }

    /// <summary>
    /// Runs a parser's entries, turning the exceptions of the library underneath (XML, CSV, overflow) into the
    /// <see cref="BankFileException"/> that refuses the file; an iterator cannot catch around its own yields.
    /// </summary>
    internal static IEnumerable<BankEntry> Translating(IEnumerable<BankEntry> inner, Func<Exception, BankFileException?> translate)
    {
        using var e = inner.GetEnumerator();
        while (true)
        {
            BankEntry current;
            try
            {
                if (!e.MoveNext()) break;
                current = e.Current;
            }
            catch (Exception ex) when (ex is not BankFileException && translate(ex) is { } refused)
            {
                throw refused;
            }

            yield return current;
        }
    }

    internal static string Decode(ReadOnlySpan<byte> content)
    {
        // Bank files are ASCII or UTF-8 in practice; a BOM is skipped. Invalid UTF-8 becomes U+FFFD,
        // which the fixed-width parsers then see as one character, as moov-io's readers do.
        var text = System.Text.Encoding.UTF8.GetString(content);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }
}
