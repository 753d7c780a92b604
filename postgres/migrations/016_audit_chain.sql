-- The audit trail becomes tamper-evident (issue 12 §3): one append-only
-- table of every case state change, reveal, sign-in, admin edit and export,
-- each row carrying the hash of the row before it.
--
-- kind groups the actions (state, case, reveal, sign_in, admin, export);
-- case_id is the case a row concerns, where there is one. hash is
-- SHA-256(prev_hash || encoding of the row), the encoding being (each
-- integer big-endian):
--   id      int8
--   at      int8, microseconds since 1970-01-01 00:00:00 UTC (what
--           timestamptz stores)
--   kind, actor, action, case_id, target, detail
--           each an int4 byte length then the UTF-8 bytes; case_id is the
--           UUID's lower-case text, empty when there is none
-- and prev_hash of the first row is 32 zero bytes. postgres/audit.go
-- computes the same to verify the chain (VerifyAuditChain); a change here
-- is a change there.
ALTER TABLE audit_log ADD COLUMN kind text NOT NULL DEFAULT 'admin';
ALTER TABLE audit_log ADD COLUMN case_id uuid;
ALTER TABLE audit_log ADD COLUMN prev_hash bytea;
ALTER TABLE audit_log ADD COLUMN hash bytea;

-- The rows already there, grouped by what they record.
UPDATE audit_log SET kind = CASE
    WHEN action LIKE 'reveal%' THEN 'reveal'
    WHEN action LIKE 'sign\_in%' OR action = 'sign_out' THEN 'sign_in'
    WHEN action LIKE 'export\_%' OR action = 'download_attachment' THEN 'export'
    WHEN action IN ('override', 'match_inbound_mail', 'reply_inbound_mail', 'attachment_checklist') THEN 'case'
    ELSE 'admin' END;
UPDATE audit_log SET case_id = substr(target, 6)::uuid
    WHERE target ~ '^case/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
UPDATE audit_log SET case_id = target::uuid
    WHERE action IN ('attachment_checklist', 'download_attachment')
    AND target ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
UPDATE audit_log SET case_id = detail::uuid
    WHERE action = 'match_inbound_mail'
    AND detail ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

-- audit_log_encode is the encoding above of one row.
CREATE FUNCTION audit_log_encode(id bigint, at timestamptz, kind text, actor text, action text,
        case_id uuid, target text, detail text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT int8send(id) || int8send((extract(epoch FROM at) * 1000000)::bigint)
        || int4send(octet_length(convert_to(kind, 'UTF8'))) || convert_to(kind, 'UTF8')
        || int4send(octet_length(convert_to(actor, 'UTF8'))) || convert_to(actor, 'UTF8')
        || int4send(octet_length(convert_to(action, 'UTF8'))) || convert_to(action, 'UTF8')
        || int4send(octet_length(convert_to(coalesce(case_id::text, ''), 'UTF8'))) || convert_to(coalesce(case_id::text, ''), 'UTF8')
        || int4send(octet_length(convert_to(target, 'UTF8'))) || convert_to(target, 'UTF8')
        || int4send(octet_length(convert_to(detail, 'UTF8'))) || convert_to(detail, 'UTF8')
$$;

-- audit_chain_head is the chain's last row: its one row is locked by every
-- append, so appends are serialised and the chain is linear however many
-- transactions audit at once. The lock is held to the appending
-- transaction's end, which is why the store appends last in a transaction.
CREATE TABLE audit_chain_head (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id   bigint  NOT NULL,
    last_hash bytea   NOT NULL
);

-- Chain the rows already there, in id order.
DO $$
DECLARE
    r    record;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    last bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log SET prev_hash = prev,
            hash = sha256(prev || audit_log_encode(r.id, r.at, r.kind, r.actor, r.action, r.case_id, r.target, r.detail))
            WHERE id = r.id RETURNING hash INTO prev;
        last := r.id;
    END LOOP;
    INSERT INTO audit_chain_head (last_id, last_hash) VALUES (last, prev);
END $$;

ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN kind DROP DEFAULT;
-- The id is the chain's position, given by the append under the head's
-- lock (a sequence would hand ids out of commit order).
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE audit_log_id_seq;

-- audit_log_append chains a new row: whatever id, prev_hash and hash the
-- insert says, the row gets the next id after the head and the hashes of
-- the chain.
CREATE FUNCTION audit_log_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h audit_chain_head%ROWTYPE;
BEGIN
    SELECT * INTO h FROM audit_chain_head FOR UPDATE;
    NEW.id := h.last_id + 1;
    NEW.at := coalesce(NEW.at, now());
    NEW.prev_hash := h.last_hash;
    NEW.hash := sha256(h.last_hash || audit_log_encode(NEW.id, NEW.at, NEW.kind, NEW.actor, NEW.action, NEW.case_id, NEW.target, NEW.detail));
    UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_append BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append();

-- audit_log_refuse makes the table append-only. A superuser can disable
-- the triggers; what is edited then breaks the chain, which
-- `beian audit verify` names.
CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

-- The trail is read newest first, by actor, case and kind.
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_case_idx ON audit_log (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_log_kind_idx ON audit_log (kind, id);

---- create above / drop below ----

DROP INDEX audit_log_kind_idx;
DROP INDEX audit_log_case_idx;
DROP INDEX audit_log_actor_idx;
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_refuse();
DROP TRIGGER audit_log_append ON audit_log;
DROP FUNCTION audit_log_append();
DROP TABLE audit_chain_head;
DROP FUNCTION audit_log_encode(bigint, timestamptz, text, text, text, uuid, text, text);
CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
SELECT setval('audit_log_id_seq', coalesce(max(id), 0) + 1, false) FROM audit_log;
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq');
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN case_id;
ALTER TABLE audit_log DROP COLUMN kind;
