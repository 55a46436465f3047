-- Rollout phases (PostgreSQL) per (channel × member segment), and every engine decision, to measure each segment.

CREATE TABLE segment_phases (
    channel    TEXT NOT NULL,
    segment    TEXT NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('shadow', 'assist', 'guarded', 'predictive')),
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    reason     TEXT,
    PRIMARY KEY (channel, segment)
);

CREATE TABLE match_decisions (
    payment_id   TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    segment      TEXT NOT NULL,
    phase        TEXT NOT NULL,
    engine_action TEXT NOT NULL,
    taken_action TEXT NOT NULL,
    confidence   TEXT NOT NULL,
    member_id    TEXT,
    allocations  TEXT,
    reason       TEXT NOT NULL,
    rule_version TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    latency_ms   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX match_decisions_segment ON match_decisions (channel, segment, decided_at);
