-- What `duespilot imis probe` found on the customer's iMIS site, one row per UNCONFIRMED wire assumption
-- (latest run wins), and the invoice fingerprints used to poll invoices by re-reading them when the site
-- has no invoice change filter.

CREATE TABLE imis_probe_findings (
    point       TEXT PRIMARY KEY,
    verdict     TEXT NOT NULL CHECK (verdict IN ('confirmed', 'contradicted', 'unknown')),
    write_path  INTEGER NOT NULL,
    evidence    TEXT NOT NULL,
    value       TEXT,
    site        TEXT NOT NULL,
    probed_at   TEXT NOT NULL
);

CREATE TABLE imis_invoice_marks (
    invoice_id  TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    is_open     INTEGER NOT NULL,
    seen_at     TEXT NOT NULL
);
