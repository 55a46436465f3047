-- A bank file imported knowingly although its control totals do not reconcile
-- (duespilot import FILE --accept-control-mismatch): who accepted it and the disagreement.
ALTER TABLE file_imports ADD COLUMN mismatch_accepted_by TEXT;
ALTER TABLE file_imports ADD COLUMN mismatch TEXT;

-- Why a payment must be decided by staff whatever the matching engine and rollout phase say
-- (its file's totals did not reconcile); NULL for every ordinary payment.
ALTER TABLE payments ADD COLUMN review_required TEXT;
