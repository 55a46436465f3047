-- The service: review history, staff accounts, job runs, iMIS mirror outbox.

CREATE TABLE review_events (
    event_id   TEXT PRIMARY KEY,
    item_id    TEXT NOT NULL REFERENCES review_items (item_id),
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX review_events_item ON review_events (item_id, at);

CREATE TABLE staff_users (
    user_name     TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE job_runs (
    run_id       TEXT PRIMARY KEY,
    job          TEXT NOT NULL,
    instance     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    outcome      TEXT,
    counts       TEXT,
    error        TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

CREATE TABLE imis_outbox (
    outbox_id       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    done_at         TEXT,
    result          TEXT
);
CREATE INDEX imis_outbox_state ON imis_outbox (state, next_attempt_at);

-- An allocation undone by a staff override keeps its row; voided_by names the void entry.
ALTER TABLE allocations ADD COLUMN voided_by TEXT;
ALTER TABLE allocations ADD COLUMN mode TEXT NOT NULL DEFAULT 'hold';
CREATE UNIQUE INDEX allocations_once ON allocations (payment_id, COALESCE(invoice_id, ''), member_id, entry_id);
