-- Month closes per currency: each currency's books close on their own (one CAD term no longer stops a USD close).
ALTER TABLE revenue_closes DROP CONSTRAINT revenue_closes_pkey;
ALTER TABLE revenue_closes DROP CONSTRAINT revenue_closes_prev_month_key;
ALTER TABLE revenue_closes ADD PRIMARY KEY (month, currency);
ALTER TABLE revenue_closes ADD CONSTRAINT revenue_closes_prev_month_currency_key UNIQUE (prev_month, currency);
