-- One-off repairs of stored data, run by code at start (Persistence/StoreRepairs.cs) and recorded here so
-- each runs once. The first: card numbers masked in every stored text (security finding 1), with the
-- audit chain re-anchored and the re-anchoring itself written to the audit log.
CREATE TABLE data_repairs (
    repair        TEXT PRIMARY KEY,
    ran_at        TEXT NOT NULL,
    rows_changed  BIGINT NOT NULL,
    detail        TEXT NOT NULL
);
