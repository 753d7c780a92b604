-- The judgement rules a supervisor accepted for a case (REGION_NAME_IN_PERSONAL_SITE,
-- NATIONAL_WORD_IN_SITE_NAME): later corrections keep them without asking again.
ALTER TABLE cases ADD COLUMN accepted_overrides text[] NOT NULL DEFAULT '{}';
