using System.Globalization;
using DuesPilot.Domain;

namespace DuesPilot.Features.Invoicing;

/// <summary>A line whose price staff set by hand in iMIS, with the reason they gave (may be blank).</summary>
public sealed record LineOverride(InvoiceId InvoiceId, int LineIndex, string Reason);

/// <summary>
/// The input of invoice validation: members and their invoices with lines, from any source (a
/// golden-dataset folder now, the iMIS connector later).
/// </summary>
/// <param name="Jurisdictions">Tax jurisdiction per member where known (others use the policy's default).</param>
/// <param name="Overrides">Lines whose price was overridden by hand.</param>
public sealed record InvoiceBatch(
    IReadOnlyList<Member> Members,
    IReadOnlyList<Invoice> Invoices,
    IReadOnlyDictionary<MemberId, string> Jurisdictions,
    IReadOnlyList<LineOverride> Overrides)
{
    public static InvoiceBatch Empty { get; } = new([], [], new Dictionary<MemberId, string>(), []);
}

/// <summary>Where a batch of invoices to validate comes from.</summary>
public interface IInvoiceSource
{
    /// <summary>A human name for reports ("golden dataset ./data", "iMIS sandbox").</summary>
    string Description { get; }

    Task<InvoiceBatch> LoadAsync(CancellationToken ct);
}

/// <summary>
/// Reads a golden-dataset folder: <c>members.csv</c> and <c>invoices.csv</c> as the format defines
/// them, plus two optional extensions: a <c>jurisdiction</c> column on members, and
/// <c>invoice_lines.csv</c> (invoice_id, product_code, amount; optional line_no, description,
/// quantity, tax_code, period_start, period_end, override (true when staff set the price by hand), override_reason). Without lines, each invoice is one
/// line carrying its product and amount (and the optional <c>tax_code</c> column of invoices.csv).
/// </summary>
public sealed class GoldenDatasetInvoices(string folder) : IInvoiceSource
{
    public string Description => $"golden dataset {folder}";

    public Task<InvoiceBatch> LoadAsync(CancellationToken ct) => Task.FromResult(Load());

    public InvoiceBatch Load()
    {
        if (!Directory.Exists(folder)) throw new DatasetException($"{folder}: folder not found");
        var members = new List<Member>();
        var jurisdictions = new Dictionary<MemberId, string>();
        var m = CsvTable.Read(Path.Combine(folder, "members.csv"), "member_id", "kind", "full_name", "member_type", "status");
        for (var i = 0; i < m.Rows.Count; i++)
        {
            var row = m.Rows[i];
            var n = i + 2;
            var id = new MemberId(m.Require(row, n, "member_id"));
            var kind = m.Require(row, n, "kind").ToLowerInvariant() switch
            {
                "person" => PartyKind.Person,
                "organization" => PartyKind.Organization,
                var k => throw new DatasetException($"{m.Name} row {n}: kind '{k}' is not person or organization"),
            };
            MemberStatus status;
            try { status = Member.ParseStatus(m.Require(row, n, "status")); }
            catch (FormatException ex) { throw new DatasetException($"{m.Name} row {n}: {ex.Message}"); }
            var org = m.Get(row, "organization_id");
            members.Add(new Member(id, kind, m.Require(row, n, "full_name"), m.Get(row, "first_name"), m.Get(row, "last_name"), m.Get(row, "email"),
                m.Require(row, n, "member_type"), status, Date(m, row, n, "join_date", false), Date(m, row, n, "paid_through", false),
                m.Get(row, "household_id"), org is null ? null : new MemberId(org), m.Get(row, "chapter_id")));
            if (m.Get(row, "jurisdiction") is { } j) jurisdictions[id] = j;
        }

        var inv = CsvTable.Read(Path.Combine(folder, "invoices.csv"), "invoice_id", "member_id", "invoice_date", "due_date", "amount", "balance", "product_code", "description");
        var linesPath = Path.Combine(folder, "invoice_lines.csv");
        var lines = new Dictionary<InvoiceId, List<InvoiceLine>>();
        var overrides = new List<LineOverride>();
        if (File.Exists(linesPath))
        {
            var l = CsvTable.Read(linesPath, "invoice_id", "product_code", "amount");
            var ordered = l.Rows.Select((row, i) => (row, n: i + 2))
                .OrderBy(x => x.row.Length > 0 ? l.Get(x.row, "invoice_id") : "", StringComparer.Ordinal)
                .ThenBy(x => int.TryParse(l.Get(x.row, "line_no"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var no) ? no : x.n);
            foreach (var (row, n) in ordered)
            {
                var id = new InvoiceId(l.Require(row, n, "invoice_id"));
                var currency = Currency.USD;
                if (l.Get(row, "currency") is { } c && !Currency.TryParse(c, out currency)) throw new DatasetException($"{l.Name} row {n}: currency '{c}' is unknown");
                var quantity = l.Get(row, "quantity") is { } q ? int.Parse(q, CultureInfo.InvariantCulture) : 1;
                var line = new InvoiceLine(l.Require(row, n, "product_code"), l.Get(row, "description") ?? "", Amount(l, row, n, "amount", currency), quantity,
                    l.Get(row, "tax_code"), Date(l, row, n, "period_start", false), Date(l, row, n, "period_end", false));
                if (!lines.TryGetValue(id, out var list)) lines[id] = list = [];
                if (l.Get(row, "override_reason") is not null || string.Equals(l.Get(row, "override"), "true", StringComparison.OrdinalIgnoreCase))
                    overrides.Add(new LineOverride(id, list.Count, l.Get(row, "override_reason") ?? ""));
                list.Add(line);
            }
        }

        var invoices = new List<Invoice>(inv.Rows.Count);
        for (var i = 0; i < inv.Rows.Count; i++)
        {
            var row = inv.Rows[i];
            var n = i + 2;
            var currency = Currency.USD;
            if (inv.Get(row, "currency") is { } c && !Currency.TryParse(c, out currency)) throw new DatasetException($"{inv.Name} row {n}: currency '{c}' is unknown");
            var id = new InvoiceId(inv.Require(row, n, "invoice_id"));
            var amount = Amount(inv, row, n, "amount", currency);
            var balance = Amount(inv, row, n, "balance", currency);
            if (balance > amount) throw new DatasetException($"{inv.Name} row {n}: balance {balance.ToPlainString()} exceeds amount {amount.ToPlainString()}");
            var product = inv.Require(row, n, "product_code");
            var description = inv.Require(row, n, "description");
            IReadOnlyList<InvoiceLine> invoiceLines = lines.TryGetValue(id, out var own) ? own
                : [new InvoiceLine(product, description, amount, 1, inv.Get(row, "tax_code"))];
            invoices.Add(new Invoice(id, new MemberId(inv.Require(row, n, "member_id")), Date(inv, row, n, "invoice_date", true)!.Value,
                Date(inv, row, n, "due_date", true)!.Value, amount, balance, product, description, invoiceLines));
        }

        return new InvoiceBatch(members, invoices, jurisdictions, overrides);
    }

    private static DateOnly? Date(CsvTable t, string[] row, int n, string column, bool required)
    {
        var text = required ? t.Require(row, n, column) : t.Get(row, column);
        if (text is null) return null;
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new DatasetException($"{t.Name} row {n}: {column} '{text}' is not a date (yyyy-MM-dd)");
    }

    private static Money Amount(CsvTable t, string[] row, int n, string column, Currency currency)
    {
        var text = t.Require(row, n, column);
        return Money.TryParse(text, currency, out var m) ? m : throw new DatasetException($"{t.Name} row {n}: {column} '{text}' is not an amount with at most two decimals");
    }
}

/// <summary>Writes a batch as a golden-dataset folder (members.csv, invoices.csv, invoice_lines.csv), the inverse of <see cref="GoldenDatasetInvoices"/>.</summary>
public static class WriteInvoiceDataset
{
    public static void ToFolder(InvoiceBatch batch, string folder)
    {
        Directory.CreateDirectory(folder);
        using (var w = new StreamWriter(Path.Combine(folder, "members.csv")))
        {
            w.WriteLine("member_id,kind,full_name,first_name,last_name,email,organization_id,household_id,chapter_id,member_type,join_date,paid_through,status,jurisdiction");
            foreach (var m in batch.Members)
                w.WriteLine(CsvTable.Line(m.Id.Value, m.Kind == PartyKind.Person ? "person" : "organization", m.FullName, m.FirstName, m.LastName, m.Email,
                    m.OrganizationId?.Value, m.HouseholdId, m.ChapterId, m.Tier, D(m.JoinDate), D(m.PaidThrough), Member.StatusCode(m.Status),
                    batch.Jurisdictions.TryGetValue(m.Id, out var j) ? j : null));
        }

        using (var w = new StreamWriter(Path.Combine(folder, "invoices.csv")))
        {
            w.WriteLine("invoice_id,member_id,invoice_date,due_date,amount,balance,product_code,description,currency");
            foreach (var i in batch.Invoices)
                w.WriteLine(CsvTable.Line(i.Id.Value, i.MemberId.Value, D(i.InvoiceDate), D(i.DueDate), i.Amount.ToPlainString(), i.Balance.ToPlainString(), i.ProductCode, i.Description, i.Amount.Currency.Code));
        }

        var overrides = batch.Overrides.ToDictionary(o => (o.InvoiceId, o.LineIndex), o => o.Reason);
        using (var w = new StreamWriter(Path.Combine(folder, "invoice_lines.csv")))
        {
            w.WriteLine("invoice_id,line_no,product_code,description,amount,quantity,tax_code,period_start,period_end,override,override_reason,currency");
            foreach (var i in batch.Invoices)
                for (var k = 0; k < i.Lines.Count; k++)
                {
                    var l = i.Lines[k];
                    var isOverride = overrides.TryGetValue((i.Id, k), out var reason);
                    w.WriteLine(CsvTable.Line(i.Id.Value, (k + 1).ToString(CultureInfo.InvariantCulture), l.ProductCode, l.Description, l.Amount.ToPlainString(),
                        l.Quantity.ToString(CultureInfo.InvariantCulture), l.TaxCode, D(l.PeriodStart), D(l.PeriodEnd), isOverride ? "true" : null, reason, l.Amount.Currency.Code));
                }
        }
    }

    private static string? D(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
