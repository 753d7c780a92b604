-- A sender claims an outbox row before it sends, for a lease: two attempts at
-- the same key (a retry racing a run carried over, a restarted run) cannot
-- both send. A claim older than its lease is taken over (the sender died).
ALTER TABLE mail_outbox ADD COLUMN claimed_at timestamptz;
