-- The weekly shell-site sweep (空壳网站排查, R-PA-3, R-PA-5): each run and
-- what it found for each filed domain, with the DNS answers as evidence.
CREATE TABLE sweeps (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    status      text        NOT NULL,
    trigger     text        NOT NULL,
    started_by  text        NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error       text        NOT NULL DEFAULT '',
    total       integer     NOT NULL DEFAULT 0,
    -- run_key names the workflow run that opened the sweep, so a retry of
    -- its opening finds its own sweep instead of joining it.
    run_key     text        NOT NULL DEFAULT ''
);
-- Two sweeps never run at once: a second one joins the first.
CREATE UNIQUE INDEX sweeps_one_running ON sweeps ((true)) WHERE status = 'running';
CREATE INDEX sweeps_started_idx ON sweeps (started_at DESC);

CREATE TABLE sweep_findings (
    sweep_id        uuid        NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    domain          text        NOT NULL,
    case_id         uuid        NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    case_no         text        NOT NULL,
    province        text        NOT NULL DEFAULT '',
    class           text        NOT NULL,
    addresses       text[]      NOT NULL DEFAULT '{}',
    evidence        jsonb       NOT NULL DEFAULT '[]',
    checked_at      timestamptz NOT NULL,
    notified_at     timestamptz,
    homepage        text        NOT NULL DEFAULT '',
    homepage_detail text        NOT NULL DEFAULT '',
    reminded_at     timestamptz,
    PRIMARY KEY (sweep_id, domain)
);
CREATE INDEX sweep_findings_class_idx ON sweep_findings (sweep_id, class, domain);
CREATE INDEX sweep_findings_case_idx ON sweep_findings (case_id, checked_at DESC);

---- create above / drop below ----

DROP TABLE sweep_findings;
DROP TABLE sweeps;
