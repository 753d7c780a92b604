-- Verification calls (R-VC): when a filing was last verified by a call
-- whose answers all matched, for the daily sampling (R-PA-1) to pick the
-- filings verified longest ago first.
ALTER TABLE cases ADD COLUMN last_verified_at timestamptz;
CREATE INDEX cases_last_verified_idx ON cases (coalesce(last_verified_at, '-infinity'::timestamptz), created_at)
    WHERE status = 'APPROVED';

-- A call task may be assigned to a specialist (the daily sampling spreads
-- its calls over the specialists on duty); empty: whoever takes it.
ALTER TABLE tasks ADD COLUMN assignee text NOT NULL DEFAULT '';

-- What tech did when it confirmed an access action (R-AC-1).
ALTER TABLE access_actions ADD COLUMN confirm_note text NOT NULL DEFAULT '';

---- create above / drop below ----

ALTER TABLE access_actions DROP COLUMN confirm_note;
ALTER TABLE tasks DROP COLUMN assignee;
DROP INDEX cases_last_verified_idx;
ALTER TABLE cases DROP COLUMN last_verified_at;
