-- A change, cancel or cancel_access case of a filing we already hold works on
-- that live case (linked_case_id). Its domains stay with the live case until
-- the outcome: a cancellation ends the live case, an approved change replaces
-- it and takes its domains over.
ALTER TABLE cases ADD COLUMN linked_case_id text NOT NULL DEFAULT '';
CREATE INDEX cases_linked_case_idx ON cases (linked_case_id) WHERE linked_case_id <> '';
CREATE INDEX cases_filing_number_idx ON cases (filing_number) WHERE filing_number <> '';
