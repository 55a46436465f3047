-- Revenue recognition and collections (PostgreSQL). Money is integer minor units plus currency.

-- A membership term whose dues are deferred and recognised monthly over its service period (inclusive dates).
CREATE TABLE revenue_terms (
    term_id       TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    service_start TEXT NOT NULL,
    service_end   TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('StraightLineMonths', 'Days')),
    created_at    TEXT NOT NULL,
    CHECK (service_end >= service_start)
);
CREATE INDEX revenue_terms_period ON revenue_terms (service_end, service_start);
CREATE INDEX revenue_terms_member ON revenue_terms (member_id);

-- What happened to a term: billed (join, renew, upgrade) or credited (downgrade, refund, cancel).
CREATE TABLE revenue_events (
    event_id        TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    term_id         TEXT NOT NULL REFERENCES revenue_terms (term_id),
    kind            TEXT NOT NULL CHECK (kind IN ('Join', 'Renew', 'Upgrade', 'Downgrade', 'Refund', 'Cancel')),
    effective_date  TEXT NOT NULL,
    tier            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor >= 0),
    entry_id        TEXT,
    payload_hash    TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX revenue_events_term ON revenue_events (term_id, effective_date);
CREATE INDEX revenue_events_date ON revenue_events (effective_date);

-- One row per closed month. prev_month is unique, so only one close can ever follow a given month:
-- the store itself keeps closes in order, on both engines, even under concurrent runs.
CREATE TABLE revenue_closes (
    month            TEXT PRIMARY KEY,
    prev_month       TEXT NOT NULL UNIQUE,
    currency         TEXT NOT NULL,
    recognised_minor BIGINT NOT NULL,
    terms            INTEGER NOT NULL,
    entry_id         TEXT,
    closed_at        TEXT NOT NULL,
    closed_by        TEXT NOT NULL
);

-- What each term recognised in each closed month, and for which tier (the board's revenue-by-tier report).
CREATE TABLE revenue_recognitions (
    term_id      TEXT NOT NULL,
    month        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (term_id, month)
);
CREATE INDEX revenue_recognitions_month ON revenue_recognitions (month, tier);

-- Payment plans: installments that sum exactly to the debt. At most one active plan per member.
CREATE TABLE payment_plans (
    plan_id         TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    member_id       TEXT NOT NULL,
    currency        TEXT NOT NULL,
    total_minor     BIGINT NOT NULL CHECK (total_minor > 0),
    state           TEXT NOT NULL CHECK (state IN ('Active', 'Completed', 'Defaulted', 'Cancelled')),
    grace_days      INTEGER NOT NULL,
    explanation     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX payment_plans_one_active ON payment_plans (member_id) WHERE state = 'Active';

CREATE TABLE payment_plan_invoices (
    plan_id    TEXT NOT NULL REFERENCES payment_plans (plan_id),
    invoice_id TEXT NOT NULL,
    PRIMARY KEY (plan_id, invoice_id)
);
CREATE INDEX payment_plan_invoices_invoice ON payment_plan_invoices (invoice_id);

CREATE TABLE payment_plan_installments (
    plan_id      TEXT NOT NULL REFERENCES payment_plans (plan_id),
    number       INTEGER NOT NULL,
    due_date     TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    paid_minor   BIGINT NOT NULL DEFAULT 0,
    CHECK (paid_minor >= 0 AND paid_minor <= amount_minor),
    PRIMARY KEY (plan_id, number)
);

-- Collections facts that stop dunning: an open dispute on an invoice, a member's opt-out of a channel.
CREATE TABLE collections_disputes (
    invoice_id  TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT,
    note        TEXT
);

CREATE TABLE collections_opt_outs (
    member_id  TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'all')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, channel)
);

-- Every dunning action taken (message sent or escalation raised), unique per invoice and stage so a
-- rerun of the job never sends the same stage twice.
CREATE TABLE dunning_actions (
    action_id     TEXT PRIMARY KEY,
    invoice_id    TEXT NOT NULL,
    member_id     TEXT NOT NULL,
    stage         TEXT NOT NULL,
    cycle         INTEGER NOT NULL DEFAULT 0,
    action        TEXT NOT NULL CHECK (action IN ('email', 'sms', 'escalated')),
    recipient     TEXT,
    subject       TEXT,
    body          TEXT,
    risk          TEXT,
    risk_source   TEXT,
    outcome       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (invoice_id, stage, cycle)
);
CREATE INDEX dunning_actions_member ON dunning_actions (member_id, created_at);

-- SMS needs a number and the member's consent (TCPA); e-mail uses members.email.
CREATE TABLE collections_contacts (
    member_id   TEXT PRIMARY KEY,
    phone       TEXT NOT NULL,
    sms_consent INTEGER NOT NULL CHECK (sms_consent IN (0, 1)),
    updated_at  TEXT NOT NULL
);
