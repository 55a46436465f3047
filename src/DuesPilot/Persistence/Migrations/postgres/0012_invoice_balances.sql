-- Invoice balances guarded like money (issue 18). An open balance is never negative; NOT VALID checks every
-- write from now on without stopping the start on a row already wrong (`ledger audit` reports those).
ALTER TABLE invoices ADD CONSTRAINT invoices_balance_not_negative CHECK (balance_minor >= 0) NOT VALID;
-- What would be open without our standing applications (iMIS's balance plus the applications iMIS has
-- counted), so `ledger audit` can recompute balance = base - standing applications for every invoice.
ALTER TABLE invoices ADD COLUMN base_balance_minor BIGINT NOT NULL DEFAULT 0;
UPDATE invoices SET base_balance_minor = balance_minor + COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
    WHERE a.invoice_id = invoices.invoice_id AND a.voided_by IS NULL), 0);
