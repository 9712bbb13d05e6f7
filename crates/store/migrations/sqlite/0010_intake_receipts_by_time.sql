-- Receipts are kept for a while (a provider retries for hours, not weeks), then forgotten
-- oldest first.
CREATE INDEX intake_receipts_by_time ON intake_receipts (received_at);
