using System.Globalization;
using CsvHelper;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;

namespace DuesPilot.Tooling.Golden;

/// <summary>A row of truth.csv: the outcome a careful clerk would choose.</summary>
/// <param name="Case">The generator's scenario name (optional extra column <c>case</c>), used to report coverage per case.</param>
public sealed record TruthRow(string PaymentId, MatchAction Expected, string? MemberId, string? InvoiceId, Money? Amount, string? Case = null);

/// <summary>A golden-dataset folder (shared/formats/golden-dataset.md) read into domain records.</summary>
public sealed record GoldenDataset(IReadOnlyList<Member> Members, IReadOnlyList<Invoice> Invoices, IReadOnlyList<Payment> Payments, IReadOnlyList<TruthRow>? Truth)
{
    /// <summary>Payments in processing order: received date, ties in file order.</summary>
    public IReadOnlyList<Payment> PaymentsInOrder() => Payments.Select((p, i) => (p, i)).OrderBy(x => x.p.ReceivedAt).ThenBy(x => x.i).Select(x => x.p).ToList();
}

/// <summary>A malformed golden-dataset file: the message names the file, line and column.</summary>
public sealed class GoldenDataException(string message) : Exception(message);

/// <summary>Reads and writes golden-dataset CSV files with CsvHelper.</summary>
public static class GoldenDatasetFiles
{
    public static readonly string[] MemberColumns = ["member_id", "kind", "full_name", "first_name", "last_name", "email", "organization_id", "household_id", "chapter_id", "member_type", "join_date", "paid_through", "status"];
    public static readonly string[] InvoiceColumns = ["invoice_id", "member_id", "invoice_date", "due_date", "amount", "balance", "product_code", "description"];
    public static readonly string[] PaymentColumns = ["payment_id", "received_on", "amount", "currency", "method", "payer_name", "payer_email", "reference", "memo"];
    public static readonly string[] TruthColumns = ["payment_id", "expected", "member_id", "invoice_id", "amount"];
    public static readonly string[] DecisionColumns = ["payment_id", "action", "member_id", "invoice_id", "amount", "confidence", "reason"];

    /// <summary>Reads members.csv, invoices.csv, payments.csv and, when present and asked for, truth.csv.</summary>
    /// <exception cref="GoldenDataException">A file is missing or malformed.</exception>
    public static GoldenDataset Read(string folder, bool withTruth)
    {
        var members = ReadRows(Path.Combine(folder, "members.csv"), MemberColumns, ["member_id", "kind", "full_name"], row => new Member(
            new MemberId(row.Required("member_id")),
            row.Get("kind").Trim().ToLowerInvariant() switch
            {
                "person" or "" => PartyKind.Person,
                "organization" or "organisation" => PartyKind.Organization,
                var k => throw row.Error("kind", $"'{k}' is not person or organization"),
            },
            row.Required("full_name"),
            row.Optional("first_name"),
            row.Optional("last_name"),
            row.Optional("email"),
            row.Optional("member_type") ?? "",
            row.Optional("status") is { } st ? row.Parse("status", () => Member.ParseStatus(st)) : MemberStatus.Active,
            row.Date("join_date"),
            row.Date("paid_through"),
            row.Optional("household_id"),
            row.Optional("organization_id") is { } org ? new MemberId(org) : null,
            row.Optional("chapter_id")));
        var known = new HashSet<string>(members.Select(m => m.Id.Value), StringComparer.Ordinal);
        var duplicates = members.GroupBy(m => m.Id.Value).FirstOrDefault(g => g.Count() > 1);
        if (duplicates is not null) throw new GoldenDataException($"members.csv: member_id {duplicates.Key} appears more than once");

        var invoices = ReadRows(Path.Combine(folder, "invoices.csv"), InvoiceColumns, ["invoice_id", "member_id", "amount", "balance"], row =>
        {
            var memberId = row.Required("member_id");
            if (!known.Contains(memberId)) throw row.Error("member_id", $"unknown member {memberId} (not in members.csv)");
            var amount = row.Money("amount", Currency.USD);
            var balance = row.Money("balance", Currency.USD);
            if (balance > amount) throw row.Error("balance", $"balance {balance.ToPlainString()} exceeds amount {amount.ToPlainString()}");
            var invoiceDate = row.Date("invoice_date") ?? DateOnly.MinValue;
            return Invoice.SingleLine(new InvoiceId(row.Required("invoice_id")), new MemberId(memberId), invoiceDate, row.Date("due_date") ?? invoiceDate, amount, balance, row.Optional("product_code") ?? "", row.Optional("description") ?? "");
        });

        var payments = ReadRows(Path.Combine(folder, "payments.csv"), PaymentColumns, ["payment_id", "received_on", "amount", "method"], row =>
        {
            var currency = row.Optional("currency") is { } code ? row.Parse("currency", () => Currency.Parse(code)) : Currency.USD;
            var received = row.Date("received_on") ?? throw row.Error("received_on", "missing date");
            return new Payment(new PaymentId(row.Required("payment_id")), row.Parse("method", () => Payment.ParseChannel(row.Get("method"))), row.Money("amount", currency),
                new DateTimeOffset(received.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), row.Optional("payer_name"), row.Optional("payer_email"), row.Optional("reference"), row.Optional("memo"));
        });

        IReadOnlyList<TruthRow>? truth = null;
        var truthPath = Path.Combine(folder, "truth.csv");
        if (withTruth)
        {
            if (!File.Exists(truthPath)) throw new GoldenDataException($"truth.csv: file not found in {folder}");
            truth = ReadRows(truthPath, TruthColumns, ["payment_id", "expected"], row => new TruthRow(
                row.Required("payment_id"),
                row.Get("expected").Trim().ToLowerInvariant() switch { "apply" => MatchAction.Apply, "review" => MatchAction.Review, var e => throw row.Error("expected", $"'{e}' is not apply or review") },
                row.Optional("member_id"), row.Optional("invoice_id"), row.Optional("amount") is null ? null : row.Money("amount", Currency.USD), row.Optional("case")));
        }

        return new GoldenDataset(members, invoices, payments, truth);
    }

    /// <summary>Writes decisions.csv: one row per allocation for apply, one suggestion row for review.</summary>
    public static void WriteDecisions(string path, IEnumerable<MatchDecision> decisions)
    {
        using var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions(), leaveOpen: true);
        csv.WriteRecord(DecisionColumns);
        foreach (var d in decisions)
            foreach (var row in DecisionRows(d)) csv.WriteRecord(row);
        csv.Flush();
    }

    /// <summary>The decisions.csv rows of one decision.</summary>
    public static IEnumerable<string[]> DecisionRows(MatchDecision d)
    {
        var confidence = d.Confidence.ToString("0.0000", CultureInfo.InvariantCulture);
        if (d.Action == MatchAction.Apply)
        {
            foreach (var a in d.Allocations)
                yield return [d.PaymentId.Value, "apply", a.MemberId.Value, a.InvoiceId?.Value ?? "", a.Amount.ToPlainString(), confidence, d.Reason];
            yield break;
        }

        var top = d.Allocations.Count > 0 ? d.Allocations[0] : null;
        yield return [d.PaymentId.Value, "review", d.SuggestedMember?.Value ?? "", top?.InvoiceId?.Value ?? "", "", confidence, d.Reason];
    }

    /// <summary>Writes a whole golden dataset (the generator's output).</summary>
    public static void Write(string folder, IReadOnlyList<string[]> members, IReadOnlyList<string[]> invoices, IReadOnlyList<string[]> payments, IReadOnlyList<string[]> truth)
    {
        Directory.CreateDirectory(folder);
        WriteFile(Path.Combine(folder, "members.csv"), MemberColumns, members);
        WriteFile(Path.Combine(folder, "invoices.csv"), InvoiceColumns, invoices);
        WriteFile(Path.Combine(folder, "payments.csv"), PaymentColumns, payments);
        // A generator may add the scenario name as a sixth column; readers that do not know it ignore it.
        WriteFile(Path.Combine(folder, "truth.csv"), truth.Count > 0 && truth[0].Length > TruthColumns.Length ? [.. TruthColumns, "case"] : TruthColumns, truth);
    }

    private static void WriteFile(string path, string[] header, IReadOnlyList<string[]> rows)
    {
        using var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions(), leaveOpen: true);
        csv.WriteRecord(header);
        foreach (var r in rows) csv.WriteRecord(r);
        csv.Flush();
    }

    private static List<T> ReadRows<T>(string path, string[] known, string[] required, Func<Row, T> map)
    {
        var file = Path.GetFileName(path);
        if (!File.Exists(path)) throw new GoldenDataException($"{file}: file not found in {Path.GetDirectoryName(path)}");
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true, TrackLineNumbers = true }, leaveOpen: false);
        var result = new List<T>();
        Dictionary<string, int>? columns = null;
        while (csv.Read())
        {
            columns ??= Columns(csv.Headers, file, required);
            var line = csv.LineNumber;
            try
            {
                result.Add(map(new Row(csv, columns, file, line)));
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
            {
                throw new GoldenDataException($"{file}: line {line}: {ex.Message}");
            }
        }

        if (columns is null)
        {
            // Header only (or empty): still check the header names.
            using var again = new StreamReader(path);
            var first = again.ReadLine();
            if (first is null) throw new GoldenDataException($"{file}: line 1: empty file, expected a header row");
            Columns(first.Split(',').Select(h => h.Trim().Trim('"')).ToList(), file, required);
        }

        return result;
    }

    private static Dictionary<string, int> Columns(IReadOnlyList<string> headers, string file, string[] required)
    {
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < headers.Count; i++) map.TryAdd(headers[i].Trim(), i);
        foreach (var r in required)
            if (!map.ContainsKey(r)) throw new GoldenDataException($"{file}: line 1: missing required column '{r}'");
        return map;
    }

    /// <summary>One CSV record with column access that names the file, line and column on error.</summary>
    private sealed class Row(CsvReader csv, Dictionary<string, int> columns, string file, long line)
    {
        public string Get(string column) => columns.TryGetValue(column, out var i) && i < csv.FieldCount ? csv.GetString(i) ?? "" : "";

        public string? Optional(string column)
        {
            var v = Get(column).Trim();
            return v.Length == 0 ? null : v;
        }

        public string Required(string column) => Optional(column) ?? throw Error(column, "value is required");

        public Money Money(string column, Currency currency)
        {
            var text = Get(column).Trim();
            if (!Domain.Money.TryParse(text, currency, out var m)) throw Error(column, $"'{text}' is not an amount (digits, a dot, at most {currency.MinorDigits} decimals)");
            return m;
        }

        public DateOnly? Date(string column)
        {
            var text = Get(column).Trim();
            if (text.Length == 0) return null;
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) throw Error(column, $"'{text}' is not a date YYYY-MM-DD");
            return d;
        }

        public TValue Parse<TValue>(string column, Func<TValue> parse)
        {
            try
            {
                return parse();
            }
            catch (FormatException ex)
            {
                throw Error(column, ex.Message);
            }
        }

        public GoldenDataException Error(string column, string message) => new($"{file}: line {line}, column {column}: {message}");
    }
}
