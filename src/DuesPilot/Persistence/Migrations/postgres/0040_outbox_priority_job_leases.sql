-- Issue 17. iMIS writes are sent by priority (0: payment applications, 1: review and audit rows),
-- then in creation order, so a staff payment application never waits behind a backlog of audit rows.
ALTER TABLE imis_outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
UPDATE imis_outbox SET priority = 0 WHERE kind = 'apply-payment';
CREATE INDEX imis_outbox_due ON imis_outbox (state, priority, created_at);
-- Set (and committed) before a write is first sent: a row with it set may already be in iMIS (the process
-- died, or the answer was lost), so the sender looks before it writes a panel row or note again.
ALTER TABLE imis_outbox ADD COLUMN attempted_at TEXT;

-- A job run holds a lease its instance renews while the run goes on (heartbeat). A run whose lease
-- lapsed without a finish belongs to an instance that died: it is marked abandoned, not left "running".
ALTER TABLE job_runs ADD COLUMN lease_until TEXT;
CREATE INDEX job_runs_unfinished ON job_runs (finished_at, lease_until);
