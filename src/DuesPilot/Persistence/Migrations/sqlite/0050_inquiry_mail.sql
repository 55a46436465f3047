-- Issue 19: the support mailbox. One row per received e-mail, keyed by where it sits in the mailbox
-- (folder, UIDVALIDITY, UID) and by its idempotency key (Message-ID, or a hash of sender, date, subject
-- and body), so a message is answered once across restarts and copies.
CREATE TABLE inquiry_mail (
    mail_key         TEXT PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    sender           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    member_id        TEXT,
    state            TEXT NOT NULL,
    inquiry_id       TEXT,
    review_item_id   TEXT,
    reply_text       TEXT,
    reply_message_id TEXT,
    received_at      TEXT NOT NULL,
    processed_at     TEXT NOT NULL,
    replied_at       TEXT
);
CREATE INDEX inquiry_mail_state ON inquiry_mail (state);

-- Which door a question came through: portal or email.
ALTER TABLE inquiries ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal';
