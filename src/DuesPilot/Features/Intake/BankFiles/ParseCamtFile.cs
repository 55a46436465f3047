using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>
/// Reads ISO 20022 camt.053 (statement), camt.054 (debit/credit notification) and camt.052
/// (account report) of any version (.01 to .08 and later) by element local name, into normalised
/// entries: one per transaction detail when the entry's details carry amounts that add up to it,
/// otherwise one per entry.
/// </summary>
/// <remarks>
/// Version differences handled: the version-named message element and <c>Ntry/TxDtls</c> of .01;
/// <c>Sts</c> as text (≤ .07) or <c>Sts/Cd</c> (.08+); party names in
/// <c>Dbtr/Nm</c> (≤ .07) or <c>Dbtr/Pty/Nm</c> (.08+); <c>TxDtls/Amt</c> or
/// <c>TxDtls/AmtDtls/TxAmt/Amt</c>; <c>BookgDt/Dt</c> or <c>BookgDt/DtTm</c>. Checked: opening
/// balance plus booked credits minus booked debits equals the closing balance (when both balances
/// are in the entries' currency), <c>TxsSummry</c> counts and sums when present, and details whose
/// amounts are in the entry's currency must add up to the entry. DTDs are refused.
/// </remarks>
public static class ParseCamtFile
{
    /// <summary>Deepest element nesting accepted; real camt.052/053/054 documents stay well under 20.</summary>
    public const int MaxDepth = 64;

    public static ParsedBankFile Parse(ReadOnlySpan<byte> content, List<string>? warnings = null)
    {
        BankFile.RequireSize(content);
        var hash = BankFile.Hash(content);
        var report = new BankFileReport(BankFileFormat.Camt);
        var entries = Read(new MemoryStream(content.ToArray(), writable: false), hash, report, warnings).ToList();
        return new ParsedBankFile(BankFileFormat.Camt, hash, report.Currency, entries, report.Controls);
    }

    /// <summary>
    /// Reads the document with an <see cref="XmlReader"/>, one entry (<c>Ntry</c>) at a time: only the entry being read,
    /// and each statement's balances and summary, are held as elements. Nesting deeper than <see cref="MaxDepth"/> and
    /// DTDs are refused as they are met. The balances and summaries are checked at the end of each statement, and
    /// refused at the end of the document, so a caller acts on the entries only after reading them all.
    /// </summary>
    public static IEnumerable<BankEntry> Read(Stream input, string fileHash, BankFileReport report, List<string>? warnings = null) =>
        BankFile.Translating(ReadDocument(input, fileHash, report, warnings),
            ex => ex switch
            {
                XmlException x => new BankFileException($"invalid XML: {x.Message}", x.LineNumber, x),
                OverflowException o => new BankFileException("the amounts add up beyond any real balance: the file is corrupt", 0, o),
                _ => null,
            });

    private static IEnumerable<BankEntry> ReadDocument(Stream input, string hash, BankFileReport report, List<string>? warnings)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = BankFile.MaxBytes,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = false,
        };
        using var reader = new DepthLimitedReader(XmlReader.Create(input, settings), MaxDepth);
        if (reader.MoveToContent() != XmlNodeType.Element) throw new BankFileException("no root element", 0);
        var ns = reader.NamespaceURI;
        var rootLine = reader.LineNumber;
        if (reader.LocalName != "Document" || (ns.Length > 0 && !ns.Contains(":camt.05", StringComparison.Ordinal)))
            throw new BankFileException($"root element {{{ns}}}{reader.LocalName} is not a camt.052/053/054 Document", rootLine);

        // Version 01 (2006-2008) names the message with its version: BkToCstmrAcctRptV01 and so on. The first such
        // child of the root is the message; anything else at that level is passed over.
        var sawMessage = false;
        foreach (var _ in Children(reader))
        {
            if (sawMessage || MessageName(reader.LocalName) is not ("BkToCstmrStmt" or "BkToCstmrDbtCdtNtfctn" or "BkToCstmrAcctRpt"))
            {
                Skip(reader);
                continue;
            }

            sawMessage = true;
            foreach (var __ in Children(reader))
            {
                if (reader.LocalName is not ("Stmt" or "Ntfctn" or "Rpt"))
                {
                    Skip(reader);
                    continue;
                }

                foreach (var entry in ReadStatement(reader, hash, report.Controls, warnings))
                {
                    report.Saw(entry);
                    yield return entry;
                }
            }
        }

        if (!sawMessage) throw new BankFileException("the document holds no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt", rootLine);
        // Whatever follows the root (comments, blanks) is read too: a second root or junk is invalid XML.
        while (reader.Read())
        {
        }

        foreach (var c in report.Controls.Where(c => !c.Agrees))
        {
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"{c.Name} states {c.Stated} (minor units) but the entries give {c.Computed}"), c.Line);
        }

        report.Currency = report.MostCommonCurrency() ?? Currency.USD;
    }

    /// <summary>Steps through the child elements of the element the reader is on, leaving the reader on each; after the loop it is past the element's end.</summary>
    private static IEnumerable<bool> Children(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            yield break;
        }

        var depth = reader.Depth;
        reader.Read();
        while (!(reader.Depth == depth && reader.NodeType == XmlNodeType.EndElement) && !reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1)
            {
                // The caller loads or skips the child, which leaves the reader on the node after it.
                yield return true;
                continue;
            }

            reader.Read();
        }

        reader.Read();
    }

    /// <summary>Passes over the element the reader is on, through the depth-checking reader (so a deep subtree is refused, not skipped).</summary>
    private static void Skip(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return;
        }

        var depth = reader.Depth;
        while (reader.Read() && !(reader.Depth == depth && reader.NodeType == XmlNodeType.EndElement))
        {
        }

        reader.Read();
    }

    /// <summary>The element the reader is on, loaded whole with line numbers; the reader is left past its end.</summary>
    private static XElement Load(XmlReader reader)
    {
        XElement element;
        using (var subtree = reader.ReadSubtree())
        {
            element = XElement.Load(subtree, LoadOptions.SetLineInfo);
        }

        reader.Read();
        return element;
    }

    private static IEnumerable<BankEntry> ReadStatement(DepthLimitedReader reader, string hash, List<ControlTotal> controls, List<string>? warnings)
    {
        var statementLine = reader.LineNumber;
        var booked = new Booked();
        // The balances, paging and summary are small and come before the entries; only they are kept as elements.
        var kept = new XElement("Stmt");
        var notBooked = 0;
        foreach (var _ in Children(reader))
        {
            if (reader.LocalName is "Bal" or "StmtPgntn" or "TxsSummry")
            {
                kept.Add(Load(reader));
                continue;
            }

            if (reader.LocalName != "Ntry")
            {
                Skip(reader);
                continue;
            }

            var ntry = Load(reader);
            var line = Line(ntry);
            var amount = ReadAmount(Child(ntry, "Amt"), line) ?? throw new BankFileException("entry (Ntry) without an amount (Amt)", line);
            var credit = Text(ntry, "CdtDbtInd") switch
            {
                "CRDT" => true,
                "DBIT" => false,
                var other => throw new BankFileException($"entry credit/debit indicator '{other}' is not CRDT or DBIT", line),
            };
            var status = Text(ntry, "Sts", "Cd") ?? Text(ntry, "Sts") ?? "BOOK";
            if (status is not "BOOK")
            {
                notBooked++;
                warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {line}: entry with status {status} skipped (only booked entries are imported)"));
                continue;
            }

            booked.Add(credit, amount);
            var reversal = string.Equals(Text(ntry, "RvslInd"), "true", StringComparison.OrdinalIgnoreCase);
            var date = ReadDate(Child(ntry, "BookgDt"), line) ?? ReadDate(Child(ntry, "ValDt"), line);
            var entryRef = Text(ntry, "AcctSvcrRef");
            var method = MethodOf(ntry);
            // Version 01 puts TxDtls straight under Ntry; later versions under (one or more) NtryDtls.
            var details = Children(ntry, "NtryDtls").SelectMany(d => Children(d, "TxDtls")).Concat(Children(ntry, "TxDtls")).ToList();
            var entryInfo = Text(ntry, "AddtlNtryInf");

            var amounts = details.Select(d => ReadAmount(Child(d, "Amt") ?? Child(Child(Child(d, "AmtDtls"), "TxAmt"), "Amt"), Line(d))).ToList();
            var split = details.Count > 1 && amounts.All(a => a is { } m && m.Currency == amount.Currency);
            if (split)
            {
                var sum = Money.Sum(amounts.Select(a => a!.Value), amount.Currency);
                controls.Add(new ControlTotal($"entry {entryRef ?? "(no reference)"} amount vs its {details.Count} transactions", line, amount.MinorUnits, sum.MinorUnits));
                for (var i = 0; i < details.Count; i++)
                {
                    yield return Normalise([details[i]], amounts[i]!.Value, credit, reversal, date, entryRef, method, entryInfo, new SourcePosition(hash, Line(details[i])));
                }
            }
            else
            {
                if (details.Count > 1)
                    warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {line}: {details.Count} transaction details without amounts in {amount.Currency.Code}; imported as one entry"));
                yield return Normalise(details, amount, credit, reversal, date, entryRef, method, entryInfo, new SourcePosition(hash, line));
            }
        }

        CheckBalances(kept, statementLine, booked, controls, warnings);
        var summary = Child(Child(kept, "TxsSummry"), "TtlNtries");
        if (summary is not null && booked.First is { } first)
        {
            var number = Text(summary, "NbOfNtries");
            if (number is not null && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                controls.Add(new ControlTotal("TxsSummry/TtlNtries/NbOfNtries", Line(summary), n, booked.Count + notBooked));
            var sumText = Text(summary, "Sum");
            if (sumText is not null && Money.TryParse(sumText, first, out var stated))
            {
                controls.Add(new ControlTotal("TxsSummry/TtlNtries/Sum", Line(summary), stated.MinorUnits, booked.Gross.GetValueOrDefault(stated.Currency)));
            }
        }
    }

    /// <summary>A statement's booked entries, as running totals: their count, first currency, and sums per currency.</summary>
    private sealed class Booked
    {
        public int Count { get; private set; }
        public Currency? First { get; private set; }
        public Dictionary<Currency, long> Gross { get; } = [];
        public Dictionary<Currency, long> Net { get; } = [];

        public void Add(bool credit, Money amount)
        {
            Count++;
            First ??= amount.Currency;
            Gross[amount.Currency] = checked(Gross.GetValueOrDefault(amount.Currency) + amount.MinorUnits);
            Net[amount.Currency] = checked(Net.GetValueOrDefault(amount.Currency) + (credit ? amount.MinorUnits : -amount.MinorUnits));
        }
    }

    /// <summary>
    /// The XML reader every read goes through, skips included: it refuses an element nested deeper than the limit the
    /// moment it is met, so no subtree (loaded or passed over) can be deep.
    /// </summary>
    private sealed class DepthLimitedReader(XmlReader inner, int maxDepth) : XmlReader, IXmlLineInfo
    {
        public int LineNumber => ((IXmlLineInfo)inner).LineNumber;
        public int LinePosition => ((IXmlLineInfo)inner).LinePosition;
        public override int AttributeCount => inner.AttributeCount;
        public override string BaseURI => inner.BaseURI;
        public override int Depth => inner.Depth;
        public override bool EOF => inner.EOF;
        public override bool IsEmptyElement => inner.IsEmptyElement;
        public override string LocalName => inner.LocalName;
        public override string Name => inner.Name;
        public override string NamespaceURI => inner.NamespaceURI;
        public override XmlNameTable NameTable => inner.NameTable;
        public override XmlNodeType NodeType => inner.NodeType;
        public override string Prefix => inner.Prefix;
        public override ReadState ReadState => inner.ReadState;
        public override string Value => inner.Value;
        public override bool HasValue => inner.HasValue;
        public override bool IsDefault => inner.IsDefault;
        public override XmlSpace XmlSpace => inner.XmlSpace;
        public override string XmlLang => inner.XmlLang;

        public bool HasLineInfo() => ((IXmlLineInfo)inner).HasLineInfo();

        public override bool Read()
        {
            if (!inner.Read()) return false;
            if (inner.Depth > maxDepth)
                throw new BankFileException($"elements nested deeper than {maxDepth} levels: not a camt document", LineNumber);
            return true;
        }

        public override string GetAttribute(int i) => inner.GetAttribute(i);
        public override string? GetAttribute(string name) => inner.GetAttribute(name);
        public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);
        public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);
        public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);
        public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);
        public override void MoveToAttribute(int i) => inner.MoveToAttribute(i);
        public override bool MoveToElement() => inner.MoveToElement();
        public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();
        public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();
        public override bool ReadAttributeValue() => inner.ReadAttributeValue();
        public override void ResolveEntity() => inner.ResolveEntity();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private static void CheckBalances(XElement statement, int statementLine, Booked booked, List<ControlTotal> controls, List<string>? warnings)
    {
        Money? Balance(string code, out int line)
        {
            // Tp/CdOrPrtry/Cd from version 02 on; Tp/Cd in version 01.
            var bal = Children(statement, "Bal").FirstOrDefault(b => (Text(b, "Tp", "CdOrPrtry", "Cd") ?? Text(b, "Tp", "Cd")) == code);
            line = bal is null ? 0 : Line(bal);
            if (bal is null) return null;
            var amt = Child(bal, "Amt");
            if (amt is null || !Currency.TryParse((string?)amt.Attribute("Ccy"), out var ccy) || !Money.TryParse(amt.Value, ccy, out var m)) return null;
            return Text(bal, "CdtDbtInd") == "DBIT" ? -m : m;
        }

        // A statement split over several pages balances only as a whole: check single-page statements.
        var paging = Child(statement, "StmtPgntn");
        if (paging is not null && (Text(paging, "PgNb") is not (null or "1") || string.Equals(Text(paging, "LastPgInd"), "false", StringComparison.OrdinalIgnoreCase)))
        {
            warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {statementLine}: statement page {Text(paging, "PgNb")} of a multi-page statement; balance not checked"));
            return;
        }

        var opening = Balance("OPBD", out _) ?? Balance("PRCD", out _);
        var closing = Balance("CLBD", out var closingLine);
        if (opening is not { } o || closing is not { } c) return;
        if (o.Currency != c.Currency || booked.Net.Keys.Any(k => k != o.Currency))
        {
            warnings?.Add(string.Create(CultureInfo.InvariantCulture, $"line {closingLine}: opening and closing balances are in different currencies ({o.Currency.Code}, {c.Currency.Code}) from the entries; balance not checked"));
            return;
        }

        var computed = o.MinorUnits + booked.Net.GetValueOrDefault(o.Currency);
        controls.Add(new ControlTotal("closing booked balance (CLBD) = opening + credits − debits", closingLine, c.MinorUnits, computed));
    }

    private static BankEntry Normalise(List<XElement> details, Money amount, bool credit, bool reversal, DateOnly? date, string? entryRef, PaymentChannel method, string? entryInfo, SourcePosition position)
    {
        string? First(Func<XElement, string?> pick) => details.Select(pick).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var party = credit ? "Dbtr" : "Cdtr";
        var name = First(d => PartyName(Child(Child(d, "RltdPties"), party))) ?? First(d => PartyName(Child(Child(d, "RltdPties"), "Ultmt" + party)));
        var endToEnd = First(d => Text(d, "Refs", "EndToEndId") is { } e && !e.Equals("NOTPROVIDED", StringComparison.OrdinalIgnoreCase) ? e : null);
        var reference = endToEnd ?? First(d => Text(d, "Refs", "TxId")) ?? First(d => Text(d, "Refs", "AcctSvcrRef")) ?? entryRef ?? First(d => Text(d, "Refs", "Prtry", "Ref"));
        var returnReason = First(d => Text(d, "RtrInf", "Rsn", "Cd"));

        var memo = new List<string>();
        foreach (var d in details)
        {
            var rmt = Child(d, "RmtInf");
            memo.AddRange(Children(rmt, "Ustrd").Select(u => u.Value.Trim()).Where(u => u.Length > 0));
            foreach (var strd in Children(rmt, "Strd"))
            {
                // RfrdDocAmt is the amount remitted against the documents of this Strd; with one document it is
                // that invoice's share (the matcher allocates by it). Several documents under one total are
                // written without it: each is then read as paid in full.
                var docs = Children(strd, "RfrdDocInf").Where(doc => Text(doc, "Nb") is not null).ToList();
                var strdAmount = RemittedAmount(Child(strd, "RfrdDocAmt"));
                foreach (var doc in docs)
                {
                    var docAmount = RemittedAmount(Child(Child(doc, "LineDtls"), "Amt")) ?? (docs.Count == 1 ? strdAmount : null);
                    memo.Add(docAmount is { } a ? $"Doc: {Text(doc, "Nb")} Amt: {a}" : $"Doc: {Text(doc, "Nb")}");
                }

                if (Text(strd, "CdtrRefInf", "Ref") is { } r) memo.Add(docs.Count == 0 && strdAmount is { } ra ? $"Ref: {r} Amt: {ra}" : $"Ref: {r}");
                memo.AddRange(Children(strd, "AddtlRmtInf").Select(a => a.Value.Trim()).Where(a => a.Length > 0));
            }

            if (Text(d, "AddtlTxInf") is { } info) memo.Add(info);
        }

        if (memo.Count == 0 && entryInfo is not null) memo.Add(entryInfo);
        var kind = (credit, reversal || returnReason is not null) switch
        {
            (true, false) => BankEntryKind.Payment,
            (true, true) => BankEntryKind.Notice,
            (false, true) => BankEntryKind.Reversal,
            (false, false) => BankEntryKind.Outgoing,
        };
        var structuredRef = First(d => Text(d, "RmtInf", "Strd", "CdtrRefInf", "Ref"));
        return new BankEntry(kind, amount, date, method, BankFile.Clean(name), BankFile.Clean(reference), memo.Count == 0 ? null : string.Join(" | ", memo.Distinct()),
            position, kind == BankEntryKind.Reversal ? endToEnd : null, returnReason, BankFile.Clean(structuredRef));
    }

    /// <summary>
    /// The amount remitted against a referenced document (<c>RmtdAmt</c>, else the amount due <c>DuePyblAmt</c>), as
    /// "0.00"; null when absent or not a plain positive amount.
    /// </summary>
    private static string? RemittedAmount(XElement? amounts)
    {
        var text = Text(amounts, "RmtdAmt") ?? Text(amounts, "DuePyblAmt");
        return text is not null && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && value == decimal.Round(value, 2)
            ? value.ToString("0.00", CultureInfo.InvariantCulture)
            : null;
    }

    private static string? PartyName(XElement? party) => party is null ? null : Text(party, "Nm") ?? Text(party, "Pty", "Nm");

    private static PaymentChannel MethodOf(XElement ntry)
    {
        var family = Text(ntry, "BkTxCd", "Domn", "Fmly", "Cd");
        var sub = Text(ntry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd");
        return (family, sub) switch
        {
            ("RCHQ" or "ICHQ" or "LBOX", _) => PaymentChannel.Check,
            ("CCRD" or "MCRD", _) => PaymentChannel.Card,
            ("RDDT" or "IDDT", _) => PaymentChannel.Ach,
            (_, "ACDT" or "ADBT" or "ARET") => PaymentChannel.Ach,
            ("RCDT" or "ICDT" or "RRCT" or "IRCT", _) => PaymentChannel.Wire,
            _ => PaymentChannel.Ach,
        };
    }

    private static Money? ReadAmount(XElement? amt, int line)
    {
        if (amt is null) return null;
        var code = (string?)amt.Attribute("Ccy");
        if (!Currency.TryParse(code, out var currency)) throw new BankFileException($"amount currency '{code}' is missing or unknown", Line(amt));
        if (!Money.TryParse(amt.Value, currency, out var m) || m.IsNegative)
            throw new BankFileException($"amount '{amt.Value}' is not a positive {currency.Code} amount", Line(amt) > 0 ? Line(amt) : line);
        return m;
    }

    private static DateOnly? ReadDate(XElement? dateChoice, int line)
    {
        if (dateChoice is null) return null;
        var dt = Text(dateChoice, "Dt");
        if (dt is not null)
        {
            return DateOnly.TryParseExact(dt, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
                : throw new BankFileException($"date '{dt}' is not yyyy-MM-dd", line);
        }

        var dtm = Text(dateChoice, "DtTm");
        if (dtm is null) return null;
        // The booking date is the bank's calendar day as written, whatever the offset.
        return dtm.Length >= 10 && DateOnly.TryParseExact(dtm[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d2) ? d2
            : throw new BankFileException($"date-time '{dtm}' is not ISO 8601", line);
    }

    private static string MessageName(string local) =>
        local.Length > 3 && local[^3] == 'V' && char.IsAsciiDigit(local[^2]) && char.IsAsciiDigit(local[^1]) ? local[..^3] : local;

    private static XElement? Child(XElement? e, string local) => e?.Elements().FirstOrDefault(c => c.Name.LocalName == local);

    private static IEnumerable<XElement> Children(XElement? e, string local) => e is null ? [] : e.Elements().Where(c => c.Name.LocalName == local);

    private static string? Text(XElement? e, params string[] path)
    {
        var cur = e;
        foreach (var p in path) cur = Child(cur, p);
        if (cur is null || cur.HasElements) return null;
        var v = cur.Value.Trim();
        return v.Length == 0 ? null : v;
    }

    private static int Line(XObject o) => o is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : 0;
}
