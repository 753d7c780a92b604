-- The filing desk's schema: cases with their domains and timeline, the
-- side effects of transitions (mail outbox, staff tasks, access actions),
-- reference data edited by staff (data centres, calendar), idempotency keys
-- of the API and the audit log.

-- Trigram indexes serve the list's free-text search (q), a substring match.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- case_counters hands out case numbers <PREFIX>-<YYYY>-<seq>, one sequence per
-- prefix and year. The row is locked by the upsert until the creating
-- transaction ends, so numbers have no gaps and no duplicates.
CREATE TABLE case_counters (
    prefix   text    NOT NULL,
    year     integer NOT NULL,
    last_seq integer NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- cases is one filing case (备案申请). Sponsor, principal and website are
-- kept whole as jsonb; the names searched by the list are copied into plain
-- columns.
CREATE TABLE cases (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    case_no                text        NOT NULL UNIQUE,
    type                   text        NOT NULL,
    status                 text        NOT NULL,
    province               text        NOT NULL DEFAULT '', -- system province (R-ENT-1)
    data_centre            text        NOT NULL DEFAULT '',
    access_provider        text        NOT NULL DEFAULT '',
    mailbox                text        NOT NULL DEFAULT '',
    bureau_province        text        NOT NULL DEFAULT '', -- reviewing bureau (R-ENT-3)
    checklist              jsonb       NOT NULL DEFAULT '[]',
    email_subject          text        NOT NULL DEFAULT '',
    purge_at               timestamptz,
    bureau_due_at          timestamptz,
    rectify_by             timestamptz,
    overdue                boolean     NOT NULL DEFAULT false,
    bureau_received        boolean     NOT NULL DEFAULT false,
    returned               boolean     NOT NULL DEFAULT false,
    bureau_due_provisional boolean     NOT NULL DEFAULT false,
    return_reason          text        NOT NULL DEFAULT '',
    review_reasons         jsonb       NOT NULL DEFAULT '[]',
    filing_number          text        NOT NULL DEFAULT '',
    filing_password_sealed text        NOT NULL DEFAULT '',
    rectify_reason         text        NOT NULL DEFAULT '',
    rectify_source         text        NOT NULL DEFAULT '',
    customer_id            text        NOT NULL DEFAULT '',
    sponsor                jsonb       NOT NULL,
    principal              jsonb       NOT NULL,
    website                jsonb       NOT NULL,
    sponsor_name           text        NOT NULL DEFAULT '',
    sponsor_cert_number    text        NOT NULL DEFAULT '',
    principal_name         text        NOT NULL DEFAULT '',
    workflow_id            text        NOT NULL DEFAULT '',
    created_by             text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- The list is ordered newest first and paged by (created_at, id).
CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);
CREATE INDEX cases_status_created_idx ON cases (status, created_at DESC, id DESC);
CREATE INDEX cases_province_idx ON cases (province, created_at DESC);
CREATE INDEX cases_bureau_province_idx ON cases (bureau_province, created_at DESC);
CREATE INDEX cases_overdue_idx ON cases (created_at DESC) WHERE overdue;
CREATE INDEX cases_sponsor_cert_number_idx ON cases (sponsor_cert_number);
CREATE INDEX cases_customer_idx ON cases (customer_id);
CREATE INDEX cases_case_no_trgm_idx ON cases USING gin (case_no gin_trgm_ops);
CREATE INDEX cases_sponsor_name_trgm_idx ON cases USING gin (sponsor_name gin_trgm_ops);
CREATE INDEX cases_principal_name_trgm_idx ON cases USING gin (principal_name gin_trgm_ops);

-- case_domains holds each case's domains, lower-cased. A domain is active
-- while its case is open or its filing is live; one domain has at most one
-- active row (R-IN-5). Rows of ended cases stay, inactive, for search.
CREATE TABLE case_domains (
    case_id uuid    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    domain  text    NOT NULL,
    active  boolean NOT NULL,
    PRIMARY KEY (case_id, domain)
);
CREATE UNIQUE INDEX case_domains_active_domain_key ON case_domains (domain) WHERE active;
CREATE INDEX case_domains_domain_idx ON case_domains (domain);
CREATE INDEX case_domains_domain_trgm_idx ON case_domains USING gin (domain gin_trgm_ops);

-- case_events is the timeline. Events written by a transition carry its seq,
-- which makes a retried transition a no-op; other events have none.
CREATE TABLE case_events (
    id      bigserial   PRIMARY KEY,
    case_id uuid        NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq     integer,
    at      timestamptz NOT NULL,
    event   text        NOT NULL,
    actor   text        NOT NULL DEFAULT '',
    detail  text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX case_events_case_seq_key ON case_events (case_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX case_events_case_at_idx ON case_events (case_id, at, id);

-- mail_outbox: a key is sent at most once.
CREATE TABLE mail_outbox (
    key        text        PRIMARY KEY,
    case_id    uuid        REFERENCES cases (id) ON DELETE CASCADE,
    recipients text[]      NOT NULL DEFAULT '{}',
    subject    text        NOT NULL DEFAULT '',
    body       text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX mail_outbox_case_idx ON mail_outbox (case_id, created_at);
CREATE INDEX mail_outbox_unsent_idx ON mail_outbox (created_at) WHERE sent_at IS NULL;

-- tasks is work for staff, e.g. verification calls (R-VC).
CREATE TABLE tasks (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key          text        NOT NULL UNIQUE,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    case_id      uuid        REFERENCES cases (id) ON DELETE CASCADE,
    due_at       timestamptz,
    script       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    outcome      jsonb
);
CREATE INDEX tasks_kind_status_idx ON tasks (kind, status, due_at);
CREATE INDEX tasks_status_idx ON tasks (status, due_at);
CREATE INDEX tasks_case_idx ON tasks (case_id);

-- access_actions is work for tech: open, cancel or restore access (R-AC).
CREATE TABLE access_actions (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key          text        NOT NULL UNIQUE,
    case_id      uuid        REFERENCES cases (id) ON DELETE CASCADE,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    server_ips   text[]      NOT NULL DEFAULT '{}',
    domains      text[]      NOT NULL DEFAULT '{}',
    requested_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    confirmed_by text        NOT NULL DEFAULT ''
);
CREATE INDEX access_actions_status_idx ON access_actions (status, requested_at);
CREATE INDEX access_actions_case_idx ON access_actions (case_id);

-- data_centres route a case by its server IP (R-ENT-1); staff edit them.
CREATE TABLE data_centres (
    name            text    PRIMARY KEY,
    province        text    NOT NULL,
    access_provider text    NOT NULL,
    mailbox         text    NOT NULL,
    position        integer NOT NULL
);

-- data_centre_cidrs: the ranges of each data centre. Ranges may nest (the
-- longest prefix holding an address wins), but one range names one data
-- centre.
CREATE TABLE data_centre_cidrs (
    data_centre text    NOT NULL REFERENCES data_centres (name) ON DELETE CASCADE ON UPDATE CASCADE,
    cidr        cidr    NOT NULL UNIQUE,
    position    integer NOT NULL,
    PRIMARY KEY (data_centre, position)
);

-- calendar_days are staff overrides of the working-day calendar: holidays
-- and make-up working days (调休).
CREATE TABLE calendar_days (
    date       date        PRIMARY KEY,
    off        boolean     NOT NULL,
    name       text        NOT NULL DEFAULT '',
    updated_by text        NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- idempotency_keys keep the first answer to a write for 24 hours.
CREATE TABLE idempotency_keys (
    actor      text        NOT NULL,
    key        text        NOT NULL,
    body_hash  text        NOT NULL,
    status     integer     NOT NULL,
    body       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- audit_log records who did what to which target.
CREATE TABLE audit_log (
    id     bigserial   PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text        NOT NULL,
    action text        NOT NULL,
    target text        NOT NULL DEFAULT '',
    detail text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target_idx ON audit_log (target, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

---- create above / drop below ----

DROP TABLE audit_log;
DROP TABLE idempotency_keys;
DROP TABLE calendar_days;
DROP TABLE data_centre_cidrs;
DROP TABLE data_centres;
DROP TABLE access_actions;
DROP TABLE tasks;
DROP TABLE mail_outbox;
DROP TABLE case_events;
DROP TABLE case_domains;
DROP TABLE cases;
DROP TABLE case_counters;
