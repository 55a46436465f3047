-- Invoice balances guarded like money (issue 18). An open balance is never negative: SQLite cannot add a
-- CHECK to an existing table, so triggers refuse it on insert and update (`ledger audit` reports older rows).
CREATE TRIGGER invoices_balance_not_negative_insert BEFORE INSERT ON invoices
WHEN NEW.balance_minor < 0
BEGIN
    SELECT RAISE(ABORT, 'ledger: invoice balance below zero');
END;
CREATE TRIGGER invoices_balance_not_negative_update BEFORE UPDATE OF balance_minor ON invoices
WHEN NEW.balance_minor < 0
BEGIN
    SELECT RAISE(ABORT, 'ledger: invoice balance below zero');
END;
-- What would be open without our standing applications (iMIS's balance plus the applications iMIS has
-- counted), so `ledger audit` can recompute balance = base - standing applications for every invoice.
ALTER TABLE invoices ADD COLUMN base_balance_minor INTEGER NOT NULL DEFAULT 0;
UPDATE invoices SET base_balance_minor = balance_minor + COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
    WHERE a.invoice_id = invoices.invoice_id AND a.voided_by IS NULL), 0);
