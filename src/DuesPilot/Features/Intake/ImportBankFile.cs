using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>One bank-file entry as it is queued in the inbox (the body of an item whose source is the format).</summary>
public sealed record BankEntryMessage(
    string Format,
    string Kind,
    long AmountMinor,
    string Currency,
    string? Date,
    string Method,
    string? PayerName,
    string? Reference,
    string? Memo,
    string Position,
    string? OriginalReference,
    string? ReasonCode,
    string? PayerId,
    string FileName)
{
    /// <summary>
    /// Set when the entry's file was imported although its control totals do not reconcile: why staff must
    /// decide its payment. Left out of the body when null, so ordinary entries keep the bodies (and hashes) they always had.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReviewRequired { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static BankEntryMessage From(BankFileFormat format, BankEntry e, string fileName) => new(
        FormatCode(format), e.Kind.ToString(), e.Amount.MinorUnits, e.Amount.Currency.Code, DbTime.Format(e.Date), Payment.ChannelCode(e.Method),
        e.PayerName, e.Reference, e.Memo, e.Position.ToString(), e.OriginalReference, e.ReasonCode, e.PayerId, fileName);

    /// <summary>The message with card numbers masked in every text field.</summary>
    public BankEntryMessage Masked() => this with
    {
        PayerName = RedactCardNumbers.RunOrNull(PayerName),
        Reference = RedactCardNumbers.RunOrNull(Reference),
        Memo = RedactCardNumbers.RunOrNull(Memo),
        OriginalReference = RedactCardNumbers.RunOrNull(OriginalReference),
        ReasonCode = RedactCardNumbers.RunOrNull(ReasonCode),
        PayerId = RedactCardNumbers.RunOrNull(PayerId),
        FileName = RedactCardNumbers.Run(FileName),
    };

    public static string FormatCode(BankFileFormat format) => format switch
    {
        BankFileFormat.Nacha => InboxSources.Nacha,
        BankFileFormat.Bai2 => InboxSources.Bai2,
        BankFileFormat.Camt => InboxSources.Camt,
        BankFileFormat.Csv => InboxSources.Csv,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}

/// <param name="AcceptControlMismatchBy">
/// Who knowingly imports a BAI2 file whose control totals or record counts do not reconcile
/// (<c>--accept-control-mismatch</c>): the file is read, the acceptance and each disagreement go to the audit
/// log, and every payment of the file goes to review. Null: such a file is refused.
/// </param>
public sealed record ImportRequest(string FileName, byte[] Content, BankFileFormat? Format = null, CsvMapping? Mapping = null, bool DryRun = false,
    Bai2Totals Bai2Totals = Bai2Totals.Require, string? AcceptControlMismatchBy = null)
{
    /// <summary>The file to read instead of <see cref="Content"/>: a file on disk is read twice, front to back, never whole.</summary>
    public BankFileSource? Source { get; init; }

    /// <summary>How many of the first entries the result keeps, to show them.</summary>
    public int SampleSize { get; init; } = 20;

    /// <summary>Called with each entry as the checking pass reads it (to list every entry of a dry run without keeping them); its position's file hash is not known yet and is empty.</summary>
    public Action<BankEntry>? OnEntry { get; init; }

    internal BankFileSource OpenSource() => Source ?? BankFileSource.FromBytes(FileName, Content);
}

/// <summary>The entries of one kind in one currency: how many, and their sum in minor units.</summary>
public sealed record KindTotal(BankEntryKind Kind, Currency Currency, int Count, long MinorUnits);

/// <summary>
/// What the checking pass learned about a whole file without keeping its entries: its hash and version, the
/// control totals, the count and totals of each kind, and the first few entries (to show).
/// </summary>
public sealed record BankFileSummary(BankFileFormat Format, string FileHash, Currency Currency, IReadOnlyList<ControlTotal> Controls, int EntryCount,
    IReadOnlyList<BankEntry> FirstEntries, IReadOnlyList<KindTotal> Totals, FileStamp Stamp)
{
    /// <summary>The sum of the entries of a kind in the file's currency.</summary>
    public Money Total(BankEntryKind kind) => Money.FromMinor(Totals.Where(t => t.Kind == kind && t.Currency == Currency).Sum(t => t.MinorUnits), Currency);

    public int Count(BankEntryKind kind) => Totals.Where(t => t.Kind == kind).Sum(t => t.Count);
}

public sealed record ImportResult(BankFileSummary File, int Queued, int AlreadyQueued, int Conflicts, bool FileSeenBefore, IReadOnlyList<string> Warnings)
{
    /// <summary>The control totals that do not reconcile (only ever non-empty for a file accepted with them).</summary>
    public IReadOnlyList<ControlTotal> Mismatches => File.Controls.Where(c => !c.Agrees).ToList();
}

/// <summary>
/// Imports a bank or lockbox file in two streaming passes, holding one entry at a time. Pass 1 reads the whole
/// file and checks it (format, every record, control totals), computing its SHA-256 as it goes; any error
/// refuses the whole file. Pass 2 reads it again and queues every entry in the inbox in ONE transaction under
/// the key <c>{format}:{file sha256}:L{line}</c>, then checks the file read the same (hash, size, last write);
/// if it changed between the passes the transaction is rolled back and nothing is queued. Importing the same
/// file again queues nothing new, and a crash mid-import leaves nothing half-done.
/// </summary>
public static class ImportBankFile
{
    public static BankFileFormat Detect(ReadOnlySpan<byte> content, string fileName)
    {
        var head = Encoding.UTF8.GetString(content[..Math.Min(content.Length, 4096)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (head.StartsWith('<')) return BankFileFormat.Camt;
        if (head.StartsWith("01,", StringComparison.Ordinal)) return BankFileFormat.Bai2;
        if (head.StartsWith("101", StringComparison.Ordinal) && head.Split('\n')[0].TrimEnd('\r').Length <= ParseNachaFile.RecordLength) return BankFileFormat.Nacha;
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        return ext switch
        {
            ".ach" or ".nacha" => BankFileFormat.Nacha,
            ".bai" or ".bai2" => BankFileFormat.Bai2,
            ".xml" or ".camt" => BankFileFormat.Camt,
            ".csv" or ".txt" or ".tsv" when head.IndexOfAny([',', ';', '\t', '|']) >= 0 => BankFileFormat.Csv,
            _ => throw new BankFileException($"cannot tell the format of {Path.GetFileName(fileName)}: not NACHA (101…), BAI2 (01,…), camt XML or CSV; pass --format", 0),
        };
    }

    /// <summary>Reads a whole file into memory with every entry (for callers that want them all; the import itself never does).</summary>
    public static ParsedBankFile Parse(ImportRequest request, List<string> warnings)
    {
        var source = request.OpenSource();
        var format = request.Format ?? Detect(source.Head(4096), request.FileName);
        if (source.Stamp().Length == 0) throw new BankFileException("the file is empty", 0);
        using var stream = source.Open();
        var report = new BankFileReport(format);
        var entries = Read(format, stream, "", report, request, warnings).ToList();
        var hash = stream.Finish();
        return new ParsedBankFile(format, hash, report.Currency, [.. entries.Select(e => e with { Position = e.Position with { FileHash = hash } })], report.Controls);
    }

    /// <summary>Pass 1: reads the whole file once, checking it, and sums it up without keeping its entries.</summary>
    public static BankFileSummary Check(ImportRequest request, List<string> warnings)
    {
        var source = request.OpenSource();
        var stamp = source.Stamp();
        var format = request.Format ?? Detect(source.Head(4096), request.FileName);
        if (stamp.Length == 0) throw new BankFileException("the file is empty", 0);
        if (stamp.Length > BankFile.MaxBytes)
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"the file is {stamp.Length:N0} bytes; the limit is {BankFile.MaxBytes:N0}"), 0);
        using var stream = source.Open();
        var report = new BankFileReport(format);
        var first = new List<BankEntry>(Math.Clamp(request.SampleSize, 0, 1000));
        var totals = new Dictionary<(BankEntryKind, Currency), (int Count, long Minor)>();
        foreach (var entry in Read(format, stream, "", report, request, warnings))
        {
            if (first.Count < request.SampleSize) first.Add(entry);
            var key = (entry.Kind, entry.Amount.Currency);
            var (count, minor) = totals.GetValueOrDefault(key);
            totals[key] = (count + 1, checked(minor + entry.Amount.MinorUnits));
            request.OnEntry?.Invoke(entry);
        }

        var hash = stream.Finish();
        return new BankFileSummary(format, hash, report.Currency, report.Controls, report.Entries,
            [.. first.Select(e => e with { Position = e.Position with { FileHash = hash } })],
            [.. totals.Select(t => new KindTotal(t.Key.Item1, t.Key.Item2, t.Value.Count, t.Value.Minor)).OrderBy(t => t.Kind)], stamp);
    }

    private static IEnumerable<BankEntry> Read(BankFileFormat format, Stream stream, string hash, BankFileReport report, ImportRequest request, List<string> warnings) => format switch
    {
        BankFileFormat.Nacha => ParseNachaFile.Read(stream, hash, report, warnings),
        BankFileFormat.Bai2 => ParseBai2File.Read(stream, hash, report, request.AcceptControlMismatchBy is null ? request.Bai2Totals : Bai2Totals.Report, warnings),
        BankFileFormat.Camt => ParseCamtFile.Read(stream, hash, report, warnings),
        BankFileFormat.Csv => ParseCsvFile.Read(stream, hash, report, request.Mapping),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static async Task<ImportResult> RunAsync(Store? store, TimeProvider clock, ImportRequest request, CancellationToken ct = default)
    {
        var warnings = new List<string>();
        var file = Check(request, warnings);
        if (request.DryRun || store is null) return new ImportResult(file, 0, 0, 0, false, warnings);
        var format = BankEntryMessage.FormatCode(file.Format);
        var name = RedactCardNumbers.Run(Path.GetFileName(request.FileName));
        var mismatches = file.Controls.Where(c => !c.Agrees).ToList();
        if (mismatches.Count > 0 && string.IsNullOrWhiteSpace(request.AcceptControlMismatchBy))
            throw new BankFileException($"{Describe(mismatches[0])}; a file whose totals do not reconcile is imported only knowingly (--accept-control-mismatch)", mismatches[0].Line);
        var mismatch = mismatches.Count == 0 ? null : string.Join("; ", mismatches.Select(Describe));
        var reviewRequired = mismatch is null ? null : $"Its file {name} was imported by {request.AcceptControlMismatchBy} although its control totals do not reconcile ({mismatch}): staff decide every payment of it.";
        var source = request.OpenSource();

        return await store.InTransactionAsync(async (c, tx) =>
        {
            int queued = 0, duplicates = 0, conflicts = 0;
            // Pass 2: the same file read again, entry by entry, each queued as it is read.
            using var stream = source.Open();
            foreach (var entry in Read(file.Format, stream, file.FileHash, new BankFileReport(file.Format), request, []))
            {
                var message = BankEntryMessage.From(file.Format, entry, name) with { ReviewRequired = reviewRequired };
                // The position names the file by content, not by name, so a renamed copy is still the same file.
                // A card number a payer wrote in any field is masked before it is stored (references too: masking
                // is deterministic, so a return still finds its original). The hash is of the masked body.
                var body = JsonSerializer.SerializeToUtf8Bytes(message.Masked() with { FileName = "" }, BankEntryMessage.Json);
                var result = await QueueInboxItem.RunAsync(c, tx, clock, new InboxItem(format, RedactCardNumbers.Run($"{format}:{entry.Position}"), QueueInboxItem.Hash(body), body,
                    "application/json", null, entry.Kind is BankEntryKind.Payment ? entry.Amount.MinorUnits : -entry.Amount.MinorUnits, entry.Amount.Currency.Code));
                switch (result.Outcome)
                {
                    case QueueOutcome.Queued: queued++; break;
                    case QueueOutcome.Duplicate: duplicates++; break;
                    default: conflicts++; break;
                }
            }

            // What was queued is what was checked, or nothing is: the transaction rolls back on a changed file.
            if (stream.Finish() != file.FileHash || source.Stamp() != file.Stamp)
                throw new BankFileException("the file changed between the check and the import (its content, size or last-write time differ): nothing imported; import it again once it is complete", 0);

            var seen = await RecordImportAsync(c, tx, clock, file, name, format, queued);
            if (mismatch is not null)
            {
                await c.ExecuteAsync(
                    "UPDATE file_imports SET mismatch_accepted_by = @by, mismatch = @mismatch WHERE file_hash = @hash AND mismatch_accepted_by IS NULL",
                    new { by = request.AcceptControlMismatchBy, mismatch, hash = file.FileHash }, tx);
                if (!seen)
                {
                    await Audit.AuditTrail.AppendAsync(c, tx, clock, new Audit.AuditEvent(request.AcceptControlMismatchBy!, "import.control-mismatch-accepted",
                        $"file:{file.FileHash}", "imported for review", Inputs: $"{name} ({format}, {file.EntryCount} entries)", After: mismatch));
                }
            }

            return new ImportResult(file, queued, duplicates, conflicts, seen, warnings);
        }, ct);
    }

    private static string Describe(ControlTotal c) =>
        string.Create(CultureInfo.InvariantCulture, $"line {c.Line}: {c.Name} states {c.Stated} but the records add up to {c.Computed}");

    private static async Task<bool> RecordImportAsync(DbConnection c, DbTransaction tx, TimeProvider clock, BankFileSummary file, string name, string format, int queued)
    {
        var rows = await c.ExecuteAsync(
            """
            INSERT INTO file_imports (file_hash, file_name, format, entries, queued, credits_minor, debits_minor, currency, imported_at)
            VALUES (@hash, @name, @format, @entries, @queued, @credits, @debits, @currency, @at)
            ON CONFLICT (file_hash) DO NOTHING
            """,
            new
            {
                hash = file.FileHash, name, format, entries = (long)file.EntryCount, queued = (long)queued,
                credits = file.Total(BankEntryKind.Payment).MinorUnits,
                debits = file.Total(BankEntryKind.Reversal).MinorUnits + file.Total(BankEntryKind.Outgoing).MinorUnits,
                currency = file.Currency.Code, at = DbTime.Format(clock.GetUtcNow()),
            },
            tx);
        return rows == 0;
    }
}

/// <summary>Turns a queued bank-file entry into a payment, a reversal of the original, or a review note.</summary>
public static class ProcessBankEntry
{
    public static Func<DbConnection, DbTransaction, Task<ItemResult>> Prepare(LeasedItem item, TimeProvider clock, Posting.PostingBooks books)
    {
        var m = JsonSerializer.Deserialize<BankEntryMessage>(item.Body, BankEntryMessage.Json)
            ?? throw new InboxItemException("empty bank entry", retryable: false);
        var currency = Currency.TryParse(m.Currency, out var cur) ? cur : throw new InboxItemException($"unknown currency {m.Currency}", retryable: false);
        var amount = Money.FromMinor(m.AmountMinor, currency);
        var date = DbTime.ParseDateOrNull(m.Date);
        var kind = Enum.Parse<BankEntryKind>(m.Kind);
        return async (c, tx) =>
        {
            switch (kind)
            {
                case BankEntryKind.Payment:
                    var received = date is { } d ? BusinessClock.Of(clock).StartOf(d) : clock.GetUtcNow();
                    var payment = new IncomingPayment($"{m.Format}:{m.Position}", Payment.ParseChannel(m.Method), amount, received, date, m.PayerName, null,
                        m.Reference, Join(m.Memo, m.PayerId is null ? null : $"id {m.PayerId}"), m.Format, m.Position, item.ItemId, [m.Reference])
                    {
                        ReviewRequired = m.ReviewRequired,
                    };
                    var isNew = await RecordPayment.RunAsync(c, tx, clock, payment, books.Accounts);
                    return new ItemResult(isNew ? $"payment {payment.PaymentId} received" : "already received", amount);
                case BankEntryKind.Reversal:
                    var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock, books, new PaymentEventRequest(PaymentEventKind.AchReturn,
                        [m.OriginalReference, m.Reference], amount, m.ReasonCode ?? m.Memo, m.Reference, item.ItemId, PaymentEvent.Return), recordWhenNotFound: true);
                    return new ItemResult(paymentId is null ? $"return {m.ReasonCode} of {m.OriginalReference}: original not found, sent to review" : $"return {m.ReasonCode} recorded on {paymentId} ({outcome})", amount);
                case BankEntryKind.Notice:
                    if (m.OriginalReference is null && m.ReasonCode?.StartsWith('C') != true)
                        return new ItemResult($"no money moved ({m.ReasonCode}): nothing to book", null);
                    var (o2, p2) = await RecordPaymentEvent.RunAsync(c, tx, clock, books, new PaymentEventRequest(PaymentEventKind.ChangeNotice,
                        [m.OriginalReference], null, m.Memo ?? m.ReasonCode, m.Reference, item.ItemId, null), recordWhenNotFound: true);
                    return new ItemResult($"notification of change {m.ReasonCode} on {p2 ?? m.OriginalReference} ({o2})", null);
                default:
                    return new ItemResult(string.Create(CultureInfo.InvariantCulture, $"outgoing {amount}: not a dues payment"), null);
            }
        };
    }

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a} | {b}";
}
