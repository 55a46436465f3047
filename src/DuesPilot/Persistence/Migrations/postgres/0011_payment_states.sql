-- One spelling per payment state (issue 18): the lifecycle in DuesPilot.Domain.PaymentState is the only
-- list, and handlers write states only through PaymentStates.TransitionAsync. Older rows spelt two
-- states differently; they are renamed here. The check holds every write from now on; NOT VALID leaves any
-- row it does not know as it is (the application refuses to read it, which names it) instead of stopping
-- the start.
UPDATE payments SET state = 'partially_refunded' WHERE state IN ('partially-refunded', 'partially refunded');
UPDATE payments SET state = 'in_review' WHERE state IN ('in-review', 'in review', 'review');
ALTER TABLE payments ADD CONSTRAINT payments_state_known CHECK (state IN
    ('received', 'in_review', 'disputed', 'partially_refunded', 'held', 'applied', 'posted', 'on_account', 'refunded', 'returned', 'voided')) NOT VALID;
