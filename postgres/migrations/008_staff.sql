-- Named staff accounts of the console, their signed-in sessions and failed
-- sign-ins, and the indexes the dashboard and the deadline-sorted case list
-- need.

-- staff (员工账号): password_hash is an argon2id hash in PHC form; '' means
-- no password is set, so nobody can sign in as the account. The role list
-- mirrors beian.Roles: a typo in a role would otherwise grant nothing and
-- go unnoticed.
CREATE TABLE staff (
    username      text        PRIMARY KEY CHECK (username <> ''),
    name          text        NOT NULL DEFAULT '',
    role          text        NOT NULL CHECK (role IN ('specialist', 'supervisor', 'tech', 'bureau', 'admin')),
    email         text        NOT NULL DEFAULT '',
    disabled      boolean     NOT NULL DEFAULT false,
    password_hash text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- staff_sessions: id is the SHA-256 (hex) of the cookie's token, so a copy of
-- this table holds no usable token. Deleting or renaming an account takes
-- its sessions along.
CREATE TABLE staff_sessions (
    id         text        PRIMARY KEY,
    username   text        NOT NULL REFERENCES staff (username) ON DELETE CASCADE ON UPDATE CASCADE,
    csrf       text        NOT NULL,
    addr       text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now()
);
-- Disabling an account or setting its password ends its sessions by username.
CREATE INDEX staff_sessions_username_idx ON staff_sessions (username);

-- login_failures: one row per failed sign-in and key ("user:<name>",
-- "addr:<ip>"), counted over a recent window to slow down guessing. Rows
-- older than a day are deleted as new ones come in.
CREATE TABLE login_failures (
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

-- The case list sorted by bureau deadline (R-BR-1), soonest first, cases
-- without one last, then newest first: ORDER BY and the paging condition use
-- this very expression, so a page is read off the index without sorting all
-- cases.
CREATE INDEX cases_bureau_due_idx ON cases (coalesce(bureau_due_at, 'infinity'::timestamptz), created_at DESC, id DESC);
-- The same within one status (the bureau reviews, most of all): decided
-- cases keep their old deadline and would otherwise be read past first.
CREATE INDEX cases_status_bureau_due_idx ON cases (status, coalesce(bureau_due_at, 'infinity'::timestamptz), created_at DESC, id DESC);

-- The dashboard reads the bureau's decisions of recent weeks; without this
-- it would scan the whole timeline of every case.
CREATE INDEX case_events_bureau_outcome_idx ON case_events (at)
    WHERE event IN ('bureau_approved', 'bureau_returned', 'filing_cancelled');

---- create above / drop below ----

DROP INDEX case_events_bureau_outcome_idx;
DROP INDEX cases_status_bureau_due_idx;
DROP INDEX cases_bureau_due_idx;
DROP TABLE login_failures;
DROP TABLE staff_sessions;
DROP TABLE staff;
