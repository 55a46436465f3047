-- The accounting (effective) date of every journal entry, yyyy-MM-dd: balances, reconciliation and the
-- month's journal go by it, not by when the row was written. Existing entries: the day they were written,
-- except month-close recognition, which belongs to the last day of the month it recognises.
ALTER TABLE journal_entries ADD COLUMN effective_date TEXT;
UPDATE journal_entries SET effective_date = substr(created_at, 1, 10);
UPDATE journal_entries SET effective_date = (SELECT to_char(to_date(rc.month || '-01', 'YYYY-MM-DD') + interval '1 month' - interval '1 day', 'YYYY-MM-DD') FROM revenue_closes rc WHERE rc.entry_id = journal_entries.entry_id)
WHERE entry_id IN (SELECT entry_id FROM revenue_closes WHERE entry_id IS NOT NULL);
CREATE INDEX journal_entries_effective ON journal_entries (effective_date);
