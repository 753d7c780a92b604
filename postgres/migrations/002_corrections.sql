-- case_corrections keeps corrected case data until the filing workflow
-- applies it: the workflow update carries only the correction's id, so ID
-- numbers and other personal data never enter Temporal's history.
CREATE TABLE case_corrections (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id    uuid        NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    data       jsonb       NOT NULL,
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_corrections_case_idx ON case_corrections (case_id);
