-- Governed AI (SQLite): one row per model call, so the per-day token and cost budget survives
-- restarts and an auditor can see which prompt version and model produced what; one row per member
-- inquiry, with the answer the member saw and where it went.

CREATE TABLE ai_calls (
    call_id        TEXT PRIMARY KEY,
    occurred_at    TEXT NOT NULL,
    usage_day      TEXT NOT NULL,
    prompt_id      TEXT NOT NULL,
    prompt_version INTEGER NOT NULL,
    prompt_hash    TEXT NOT NULL,
    model          TEXT NOT NULL,
    subject        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    input_tokens   INTEGER NOT NULL DEFAULT 0,
    output_tokens  INTEGER NOT NULL DEFAULT 0,
    cost_micro_usd INTEGER NOT NULL DEFAULT 0,
    elapsed_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ai_calls_day ON ai_calls (usage_day);

CREATE TABLE inquiries (
    inquiry_id      TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL,
    asked_at        TEXT NOT NULL,
    intent          TEXT NOT NULL,
    question_masked TEXT NOT NULL,
    answer          TEXT NOT NULL,
    citations       TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    confidence      TEXT NOT NULL,
    phrased_by      TEXT NOT NULL,
    review_item_id  TEXT
);
CREATE INDEX inquiries_member ON inquiries (member_id, asked_at);
