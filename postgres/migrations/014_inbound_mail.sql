-- Mail read from the specialist mailboxes (R-IN-3, R-RV-6): each account's
-- IMAP cursor, each message once, its attachments beside it.
CREATE TABLE mailbox_cursors (
    account      text        PRIMARY KEY,
    uid_validity bigint      NOT NULL,
    last_uid     bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inbound_mail (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account      text        NOT NULL,
    uid_validity bigint      NOT NULL,
    uid          bigint      NOT NULL,
    message_id   text        NOT NULL DEFAULT '',
    in_reply_to  text        NOT NULL DEFAULT '',
    sha256       text        NOT NULL,
    from_addr    text        NOT NULL DEFAULT '',
    from_name    text        NOT NULL DEFAULT '',
    subject      text        NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL,
    text_body    text        NOT NULL DEFAULT '',
    case_id      uuid        REFERENCES cases (id) ON DELETE SET NULL,
    matched_by   text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'unmatched',
    reply_due_at timestamptz,
    replied_at   timestamptz,
    replied_by   text        NOT NULL DEFAULT '',
    UNIQUE (account, sha256)
);
CREATE INDEX inbound_mail_status_idx ON inbound_mail (status, received_at DESC);
CREATE INDEX inbound_mail_case_idx ON inbound_mail (case_id, received_at DESC);

CREATE TABLE inbound_attachments (
    id             uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    mail_id        uuid    NOT NULL REFERENCES inbound_mail (id) ON DELETE CASCADE,
    position       integer NOT NULL,
    name           text    NOT NULL DEFAULT '',
    declared_type  text    NOT NULL DEFAULT '',
    sniffed_type   text    NOT NULL DEFAULT '',
    size           bigint  NOT NULL,
    sha256         text    NOT NULL,
    rejected       text    NOT NULL DEFAULT '',
    checklist_code text    NOT NULL DEFAULT '',
    data           bytea,
    UNIQUE (mail_id, position)
);

---- create above / drop below ----

DROP TABLE inbound_attachments;
DROP TABLE inbound_mail;
DROP TABLE mailbox_cursors;
