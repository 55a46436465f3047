-- iMIS change polling: one high-water mark per stream (invoices, members). iMIS has no general outbound
-- webhooks, so DuesPilot polls UpdatedOn >= mark; ids_at_mark lists the records already handled at exactly
-- the mark (a JSON array), so a record is not handed over twice when several share one timestamp.
CREATE TABLE imis_poll_marks (
    stream       TEXT PRIMARY KEY,
    mark         TEXT NOT NULL,
    ids_at_mark  TEXT NOT NULL,
    rows_seen    BIGINT NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
);
