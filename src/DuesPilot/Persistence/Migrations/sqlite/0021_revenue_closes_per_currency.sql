-- Month closes per currency: each currency's books close on their own (one CAD term no longer stops a USD close).
CREATE TABLE revenue_closes_per_currency (
    month            TEXT NOT NULL,
    prev_month       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    recognised_minor INTEGER NOT NULL,
    terms            INTEGER NOT NULL,
    entry_id         TEXT,
    closed_at        TEXT NOT NULL,
    closed_by        TEXT NOT NULL,
    PRIMARY KEY (month, currency),
    UNIQUE (prev_month, currency)
);
INSERT INTO revenue_closes_per_currency (month, prev_month, currency, recognised_minor, terms, entry_id, closed_at, closed_by)
SELECT month, prev_month, currency, recognised_minor, terms, entry_id, closed_at, closed_by FROM revenue_closes;
DROP TABLE revenue_closes;
ALTER TABLE revenue_closes_per_currency RENAME TO revenue_closes;
