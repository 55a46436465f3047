-- Money credited to a payment plan's installments from a real payment, once per plan and payment: posting a payment
-- that pays a plan's invoices counts it against the plan (CreditPlanInstallments), so a paid installment is not missed.
CREATE TABLE payment_plan_credits (
    plan_id      TEXT NOT NULL REFERENCES payment_plans (plan_id),
    payment_id   TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    credited_at  TEXT NOT NULL,
    PRIMARY KEY (plan_id, payment_id)
);
CREATE INDEX payment_plan_credits_payment ON payment_plan_credits (payment_id);
