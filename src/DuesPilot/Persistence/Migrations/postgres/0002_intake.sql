-- Intake (PostgreSQL): dead letters, rejected requests, conflicting duplicates, bank-file imports,
-- normalised payment details and the events (refunds, disputes, returns) recorded against payments.

ALTER TABLE inbox ADD COLUMN dead_at TEXT;
ALTER TABLE inbox ADD COLUMN amount_minor BIGINT;
ALTER TABLE inbox ADD COLUMN currency TEXT;
ALTER TABLE inbox ADD COLUMN outcome TEXT;
CREATE INDEX inbox_source ON inbox (source, received_at);

-- Requests that failed verification. Never the body (it may be forged junk) and never a secret:
-- only its hash and length and an allow-list of headers.
CREATE TABLE inbox_rejections (
    rejection_id TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    remote_addr  TEXT,
    headers      TEXT,
    body_sha256  TEXT,
    body_length  BIGINT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX inbox_rejections_at ON inbox_rejections (received_at);

-- A known idempotency key arrived with a different payload: refused (409) and raised here.
CREATE TABLE inbox_alerts (
    alert_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    source          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    existing_hash   TEXT NOT NULL,
    incoming_hash   TEXT NOT NULL,
    incoming_body   BYTEA,
    received_at     TEXT NOT NULL,
    acknowledged_at TEXT
);
CREATE INDEX inbox_alerts_key ON inbox_alerts (idempotency_key);

CREATE TABLE file_imports (
    file_hash     TEXT PRIMARY KEY,
    file_name     TEXT NOT NULL,
    format        TEXT NOT NULL,
    entries       BIGINT NOT NULL,
    queued        BIGINT NOT NULL,
    credits_minor BIGINT NOT NULL,
    debits_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    imported_at   TEXT NOT NULL
);

ALTER TABLE payments ADD COLUMN value_date TEXT;
ALTER TABLE payments ADD COLUMN source_position TEXT;

-- Every reference a payment is known by (gateway ids, charge ids, ACH traces, bank references),
-- so a refund, dispute or return finds its original whichever id it carries.
CREATE TABLE payment_references (
    reference  TEXT NOT NULL,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    PRIMARY KEY (reference, payment_id)
);

-- Reversals and flags (refund, dispute, failure, ACH return, notification of change). Appended,
-- never edited; the payment's state moves, nothing is deleted.
CREATE TABLE payment_events (
    event_id      TEXT PRIMARY KEY,
    payment_id    TEXT REFERENCES payments (payment_id),
    kind          TEXT NOT NULL,
    currency      TEXT,
    amount_minor  BIGINT,
    reason        TEXT,
    reference     TEXT,
    inbox_item_id TEXT NOT NULL REFERENCES inbox (item_id),
    created_at    TEXT NOT NULL,
    UNIQUE (inbox_item_id, kind)
);
CREATE INDEX payment_events_payment ON payment_events (payment_id);
