-- Personal data sealed at rest (issue 12 §2). ID and certificate numbers,
-- mobile and landline numbers and e-mail addresses of sponsors, principals
-- and legal representatives are stored AES-256-GCM sealed
-- ("v2:<key ID>:<base64>", secret.Box) in cases.sponsor, cases.principal,
-- cases.sponsor_cert_number, case_corrections.data and blacklist.value; the
-- store finds them by keyed HMAC blind indexes ("h1:<hex>", secret.Index),
-- which need the index key to compute.
--
-- This migration only adds the index columns. The rows already there are
-- sealed and indexed by a Go step that runs after the SQL migrations
-- (postgres/seal.go, SealPlain: by `beian migrate` with the key configured
-- and at every start of serve, api and worker); it seals every value that
-- does not start with a sealed prefix, in batches, and is idempotent.

-- sponsor_cert_index: the blind index of the sponsor's certificate number,
-- for the one in-progress application per sponsor (R-IN-5).
ALTER TABLE cases ADD COLUMN sponsor_cert_index text NOT NULL DEFAULT '';
-- pii_indexes: the blind indexes of every ID number, phone and e-mail
-- address of the case (sponsor, legal representative, principal), for an
-- exact number typed into the list's search.
ALTER TABLE cases ADD COLUMN pii_indexes text[] NOT NULL DEFAULT '{}';

-- The plain column's index finds nothing once it holds sealed values.
DROP INDEX cases_sponsor_cert_number_idx;
CREATE INDEX cases_sponsor_cert_index_idx ON cases (sponsor_cert_index) WHERE sponsor_cert_index <> '';
CREATE INDEX cases_pii_indexes_idx ON cases USING gin (pii_indexes);

-- blacklist: for the kinds cert_number and phone, value holds the sealed
-- number and value_key its blind index (still unique within the kind).

---- create above / drop below ----

-- Dropping the indexes does not unseal: run an older beian only with the
-- values opened again, which no tool here does.
DROP INDEX cases_pii_indexes_idx;
DROP INDEX cases_sponsor_cert_index_idx;
CREATE INDEX cases_sponsor_cert_number_idx ON cases (sponsor_cert_number);
ALTER TABLE cases DROP COLUMN pii_indexes;
ALTER TABLE cases DROP COLUMN sponsor_cert_index;
