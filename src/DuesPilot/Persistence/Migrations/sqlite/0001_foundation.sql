-- Foundation schema (SQLite). Money is integer minor units plus an ISO currency; times are
-- UTC ISO-8601 text of fixed width (sortable); dates are yyyy-MM-dd text.

CREATE TABLE members (
    member_id       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    full_name       TEXT NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    email           TEXT,
    tier            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('A', 'I', 'L')),
    join_date       TEXT,
    paid_through    TEXT,
    household_id    TEXT,
    organization_id TEXT,
    chapter_id      TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX members_email ON members (email);
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_organization ON members (organization_id);

CREATE TABLE invoices (
    invoice_id    TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL,
    invoice_date  TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    balance_minor INTEGER NOT NULL,
    product_code  TEXT NOT NULL,
    description   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (balance_minor <= amount_minor)
);
CREATE INDEX invoices_member ON invoices (member_id);

CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (invoice_id),
    line_no      INTEGER NOT NULL,
    product_code TEXT NOT NULL,
    description  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    quantity     INTEGER NOT NULL DEFAULT 1,
    tax_code     TEXT,
    period_start TEXT,
    period_end   TEXT,
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE inbox (
    item_id          TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    payload_hash     TEXT NOT NULL,
    content_type     TEXT,
    headers          TEXT,
    body             BLOB NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    received_at      TEXT NOT NULL,
    next_attempt_at  TEXT,
    processed_at     TEXT,
    lease_owner      TEXT,
    lease_expires_at TEXT
);
CREATE INDEX inbox_state ON inbox (state, next_attempt_at);

CREATE TABLE payments (
    payment_id   TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    payer_name   TEXT,
    payer_email  TEXT,
    reference    TEXT,
    memo         TEXT,
    source       TEXT NOT NULL,
    inbox_item_id TEXT REFERENCES inbox (item_id),
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX payments_state ON payments (state);

CREATE TABLE allocations (
    allocation_id TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL REFERENCES payments (payment_id),
    member_id     TEXT NOT NULL,
    invoice_id    TEXT,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    entry_id      TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX allocations_payment ON allocations (payment_id);
CREATE INDEX allocations_invoice ON allocations (invoice_id);

CREATE TABLE journal_entries (
    entry_id          TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL CHECK (kind IN ('Standard', 'Pending', 'Post', 'Void', 'Reversal')),
    resolves_entry_id TEXT UNIQUE REFERENCES journal_entries (entry_id),
    currency          TEXT NOT NULL,
    total_minor       INTEGER NOT NULL CHECK (total_minor > 0),
    created_at        TEXT NOT NULL,
    release_at        TEXT,
    memo              TEXT NOT NULL,
    payload_hash      TEXT NOT NULL,
    CHECK ((kind = 'Pending') = (release_at IS NOT NULL)),
    CHECK ((kind IN ('Post', 'Void', 'Reversal')) = (resolves_entry_id IS NOT NULL))
);
CREATE INDEX journal_entries_release ON journal_entries (kind, release_at);

-- Lines are written before their header; the header's insert trigger then checks the balance.
CREATE TABLE journal_lines (
    entry_id     TEXT NOT NULL REFERENCES journal_entries (entry_id) DEFERRABLE INITIALLY DEFERRED,
    line_no      INTEGER NOT NULL,
    account      TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX journal_lines_account ON journal_lines (account, currency);

CREATE TRIGGER journal_lines_only_before_header BEFORE INSERT ON journal_lines
WHEN EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: lines cannot be added to a recorded entry');
END;

CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
WHEN (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.entry_id) < 2
  OR (SELECT SUM(amount_minor) FROM journal_lines WHERE entry_id = NEW.entry_id) <> 0
  OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.entry_id AND currency <> NEW.currency)
  OR (SELECT SUM(amount_minor) FROM journal_lines WHERE entry_id = NEW.entry_id AND amount_minor > 0) <> NEW.total_minor
BEGIN
    SELECT RAISE(ABORT, 'ledger: unbalanced entry (debits must equal credits, in one currency, over at least two lines)');
END;

CREATE TRIGGER journal_entries_immutable_u BEFORE UPDATE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger: entries are immutable; record a reversing entry instead');
END;
CREATE TRIGGER journal_entries_immutable_d BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger: entries are immutable; record a reversing entry instead');
END;
CREATE TRIGGER journal_lines_immutable_u BEFORE UPDATE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'ledger: lines are immutable; record a reversing entry instead');
END;
CREATE TRIGGER journal_lines_immutable_d BEFORE DELETE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'ledger: lines are immutable; record a reversing entry instead');
END;

CREATE TABLE review_items (
    item_id          TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    member_id        TEXT,
    state            TEXT NOT NULL,
    priority         INTEGER NOT NULL DEFAULT 0,
    confidence       TEXT,
    suggested_action TEXT,
    reason           TEXT,
    analysis         TEXT,
    amount_minor     INTEGER,
    currency         TEXT,
    assigned_to      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    resolved_at      TEXT,
    resolution       TEXT,
    UNIQUE (kind, subject_id)
);
CREATE INDEX review_items_state ON review_items (state, priority);

CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    occurred_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    member_id    TEXT,
    inputs       TEXT,
    rule_version TEXT,
    outcome      TEXT NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events (subject);

CREATE TRIGGER audit_events_append_only_u BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit: the log is append-only');
END;
CREATE TRIGGER audit_events_append_only_d BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit: the log is append-only');
END;
