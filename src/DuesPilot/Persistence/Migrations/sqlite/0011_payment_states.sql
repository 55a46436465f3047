-- One spelling per payment state (issue 18): the lifecycle in DuesPilot.Domain.PaymentState is the only
-- list, and handlers write states only through PaymentStates.TransitionAsync. Older rows spelt two
-- states differently; they are renamed here. SQLite cannot add a CHECK to an existing table, so two
-- triggers refuse any other spelling on insert and update.
UPDATE payments SET state = 'partially_refunded' WHERE state IN ('partially-refunded', 'partially refunded');
UPDATE payments SET state = 'in_review' WHERE state IN ('in-review', 'in review', 'review');
CREATE TRIGGER payments_state_known_insert BEFORE INSERT ON payments
WHEN NEW.state NOT IN ('received', 'in_review', 'disputed', 'partially_refunded', 'held', 'applied', 'posted', 'on_account', 'refunded', 'returned', 'voided')
BEGIN
    SELECT RAISE(ABORT, 'ledger: unknown payment state');
END;
CREATE TRIGGER payments_state_known_update BEFORE UPDATE OF state ON payments
WHEN NEW.state NOT IN ('received', 'in_review', 'disputed', 'partially_refunded', 'held', 'applied', 'posted', 'on_account', 'refunded', 'returned', 'voided')
BEGIN
    SELECT RAISE(ABORT, 'ledger: unknown payment state');
END;
