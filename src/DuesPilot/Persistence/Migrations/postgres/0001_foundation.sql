-- Foundation schema (PostgreSQL). Money is integer minor units plus an ISO currency; times are
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
    amount_minor  BIGINT NOT NULL,
    balance_minor BIGINT NOT NULL,
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
    amount_minor BIGINT NOT NULL,
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
    body             BYTEA NOT NULL,
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
    amount_minor BIGINT NOT NULL,
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
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
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
    total_minor       BIGINT NOT NULL CHECK (total_minor > 0),
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
    amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX journal_lines_account ON journal_lines (account, currency);


CREATE FUNCTION ledger_lines_only_before_header() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id) THEN
        RAISE EXCEPTION 'ledger: lines cannot be added to a recorded entry' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER journal_lines_only_before_header BEFORE INSERT ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_lines_only_before_header();

CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint; total bigint; debits bigint; other_currency boolean;
BEGIN
    SELECT COUNT(*), COALESCE(SUM(amount_minor), 0), COALESCE(SUM(amount_minor) FILTER (WHERE amount_minor > 0), 0),
           bool_or(currency <> NEW.currency)
      INTO n, total, debits, other_currency
      FROM journal_lines WHERE entry_id = NEW.entry_id;
    IF n < 2 OR total <> 0 OR COALESCE(other_currency, false) OR debits <> NEW.total_minor THEN
        RAISE EXCEPTION 'ledger: unbalanced entry (debits must equal credits, in one currency, over at least two lines)' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: entries and lines are immutable; record a reversing entry instead' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

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
    amount_minor     BIGINT,
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
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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


CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: the log is append-only' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
