using Dapper;
using Microsoft.Data.Sqlite;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// The sandbox's own SQLite file. Readers run in parallel (WAL); writers take <see cref="WriteLock"/> so a
/// balance check and the update that depends on it can never interleave with another payment.
/// </summary>
internal sealed class SandboxDb
{
    public const string FileName = "imis-sandbox.db";

    private readonly string _connectionString;

    public SandboxDb(string directory)
    {
        Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, FileName),
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    public async Task<SqliteConnection> OpenAsync()
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync();
        await c.ExecuteAsync("PRAGMA busy_timeout = 30000;");
        return c;
    }

    public async Task CreateSchemaAsync()
    {
        await using var c = await OpenAsync();
        await c.ExecuteAsync("PRAGMA journal_mode = WAL;");
        await c.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS parties (
              party_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, is_org INTEGER NOT NULL,
              prefix TEXT, first_name TEXT, last_name TEXT, org_name TEXT, full_name TEXT NOT NULL,
              email TEXT, status TEXT NOT NULL, member_type TEXT NOT NULL, join_date TEXT,
              paid_through TEXT, org_party_id TEXT, title TEXT, household_id TEXT, chapter TEXT,
              uniform_id TEXT NOT NULL, created_on TEXT NOT NULL, updated_on TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_parties_updated ON parties(updated_on);
            CREATE TABLE IF NOT EXISTS items (
              item_id TEXT PRIMARY KEY, item_code TEXT NOT NULL, name TEXT NOT NULL, item_class TEXT NOT NULL,
              member_type TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS item_prices (
              item_id TEXT NOT NULL, price_sheet TEXT NOT NULL, effective_date TEXT NOT NULL, price_cents INTEGER NOT NULL,
              PRIMARY KEY (item_id, price_sheet, effective_date));
            CREATE TABLE IF NOT EXISTS invoices (
              invoice_id TEXT PRIMARY KEY, invoice_number INTEGER NOT NULL UNIQUE, sold_to TEXT NOT NULL, bill_to TEXT NOT NULL,
              invoice_date TEXT NOT NULL, due_date TEXT NOT NULL, amount_cents INTEGER NOT NULL, balance_cents INTEGER NOT NULL,
              description TEXT NOT NULL, source_system TEXT NOT NULL, invoice_type TEXT NOT NULL,
              created_on TEXT NOT NULL, updated_on TEXT NOT NULL,
              CHECK (balance_cents >= 0 AND balance_cents <= amount_cents));
            CREATE INDEX IF NOT EXISTS ix_invoices_sold_to ON invoices(sold_to);
            CREATE INDEX IF NOT EXISTS ix_invoices_updated ON invoices(updated_on);
            CREATE TABLE IF NOT EXISTS invoice_lines (
              invoice_id TEXT NOT NULL, line_no INTEGER NOT NULL, item_id TEXT NOT NULL, description TEXT NOT NULL,
              quantity INTEGER NOT NULL, unit_cents INTEGER NOT NULL, amount_cents INTEGER NOT NULL,
              begin_date TEXT, end_date TEXT, ship_to TEXT NOT NULL, tax_code TEXT, override_reason TEXT,
              PRIMARY KEY (invoice_id, line_no));
            CREATE TABLE IF NOT EXISTS planted_defects (
              invoice_id TEXT PRIMARY KEY, kind TEXT NOT NULL, description TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS subscriptions (
              party_id TEXT NOT NULL, item_id TEXT NOT NULL, status INTEGER NOT NULL, begin_date TEXT, paid_thru TEXT,
              bill_begin TEXT, bill_through TEXT, billed_cents INTEGER NOT NULL, balance_cents INTEGER NOT NULL,
              invoice_id TEXT, bill_to TEXT NOT NULL, updated_on TEXT NOT NULL,
              PRIMARY KEY (party_id, item_id));
            CREATE TABLE IF NOT EXISTS subscription_adjustments (
              adjustment_id INTEGER PRIMARY KEY AUTOINCREMENT, party_id TEXT NOT NULL, item_id TEXT NOT NULL, invoice_id TEXT,
              old_cents INTEGER NOT NULL, new_cents INTEGER NOT NULL, reason TEXT, adjusted_on TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS invoice_reversals (
              invoice_id TEXT PRIMARY KEY, reversed_cents INTEGER NOT NULL, adjustment_date TEXT, reason TEXT, reversed_on TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS receipts (
              receipt_id INTEGER PRIMARY KEY AUTOINCREMENT, reference_number TEXT, payor_party_id TEXT NOT NULL,
              method_id TEXT NOT NULL, amount_cents INTEGER NOT NULL, receipt_date TEXT NOT NULL,
              created_on TEXT NOT NULL, updated_on TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_receipts_reference ON receipts(reference_number);
            CREATE TABLE IF NOT EXISTS receipt_lines (
              receipt_id INTEGER NOT NULL, invoice_id TEXT NOT NULL, amount_cents INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_receipt_lines_invoice ON receipt_lines(invoice_id);
            CREATE TABLE IF NOT EXISTS party_notes (
              note_id INTEGER PRIMARY KEY AUTOINCREMENT, party_id TEXT NOT NULL, purpose TEXT, text TEXT NOT NULL,
              created_on TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS custom_rows (
              entity TEXT NOT NULL, party_id TEXT NOT NULL, ordinal INTEGER NOT NULL, properties TEXT NOT NULL,
              updated_on TEXT NOT NULL,
              PRIMARY KEY (entity, party_id, ordinal));
            CREATE VIEW IF NOT EXISTS party_view AS
              SELECT p.*, o.org_name AS employer_name FROM parties p LEFT JOIN parties o ON o.party_id = p.org_party_id;
            CREATE VIEW IF NOT EXISTS invoice_view AS
              SELECT i.*, p.full_name AS sold_to_name FROM invoices i JOIN parties p ON p.party_id = i.sold_to;
            CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
    }
}
