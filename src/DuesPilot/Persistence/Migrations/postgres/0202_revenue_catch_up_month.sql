-- A term recorded after its first month(s) were closed is caught up in the first open month: nothing was billed or
-- recognised in the closed months, and the first open month recognises their share with one explained catch-up entry.
ALTER TABLE revenue_terms ADD COLUMN catch_up_month TEXT;
