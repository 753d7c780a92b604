-- Verification calls (R-VC): when a filing was last verified by a call
-- whose answers all matched, for the daily sampling (R-PA-1) to pick the
-- filings verified longest ago first.
ALTER TABLE cases ADD COLUMN last_verified_at timestamptz;
CREATE INDEX cases_last_verified_idx ON cases (coalesce(last_verified_at, '-infinity'::timestamptz), created_at)
    WHERE status = 'APPROVED';

---- create above / drop below ----

DROP INDEX cases_last_verified_idx;
ALTER TABLE cases DROP COLUMN last_verified_at;
