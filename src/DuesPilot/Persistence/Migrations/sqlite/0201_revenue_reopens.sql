-- A closed month reopened by an administrator, with the reason: its recognition entry is reversed (dated the month's last
-- day) and its close removed, so the month closes again, in order. One row per reopening; the count names the next close's entry.
CREATE TABLE revenue_reopens (
    month               TEXT NOT NULL,
    currency            TEXT NOT NULL,
    seq                 INTEGER NOT NULL,
    recognised_minor    INTEGER NOT NULL,
    closed_entry_id     TEXT,
    reversal_entry_id   TEXT,
    reason              TEXT NOT NULL,
    reopened_at         TEXT NOT NULL,
    reopened_by         TEXT NOT NULL,
    PRIMARY KEY (month, currency, seq)
);
