-- The filer's own steps around a filing (issue 10): the MIIT SMS check of
-- the latest submission (R-BR-6) and the public-security filing after the
-- site opened (R-PA-6), each a small document on the case; replies to
-- filers' mail threaded under the mail they answer (R-RV-6), and when a
-- mail's reply deadline alerted the specialist and the supervisor.
ALTER TABLE cases ADD COLUMN sms_verification jsonb;
ALTER TABLE cases ADD COLUMN public_security jsonb;
-- Staff see which cases wait on the SMS code (R-BR-6) and which owe the
-- public-security number (R-PA-6).
CREATE INDEX cases_sms_pending_idx ON cases ((sms_verification->>'status')) WHERE sms_verification IS NOT NULL;
CREATE INDEX cases_public_security_idx ON cases ((public_security->>'status')) WHERE public_security IS NOT NULL;

ALTER TABLE mail_outbox ADD COLUMN in_reply_to text NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN reply_to text NOT NULL DEFAULT '';

ALTER TABLE inbound_mail ADD COLUMN alerted_at timestamptz;
ALTER TABLE inbound_mail ADD COLUMN escalated_at timestamptz;
-- watched: the mail's workflow (notices, reply deadline) was started; the
-- worker starts the rest after an outage of Temporal.
ALTER TABLE inbound_mail ADD COLUMN watched boolean NOT NULL DEFAULT false;
CREATE INDEX inbound_mail_unwatched_idx ON inbound_mail (received_at) WHERE NOT watched;
-- An auto-reply or delivery report (RFC 3834) is kept but needs no answer.
ALTER TABLE inbound_mail ADD COLUMN auto_submitted boolean NOT NULL DEFAULT false;

---- create above / drop below ----

ALTER TABLE inbound_mail DROP COLUMN auto_submitted;
DROP INDEX inbound_mail_unwatched_idx;
ALTER TABLE inbound_mail DROP COLUMN watched;
ALTER TABLE inbound_mail DROP COLUMN escalated_at;
ALTER TABLE inbound_mail DROP COLUMN alerted_at;
ALTER TABLE mail_outbox DROP COLUMN reply_to;
ALTER TABLE mail_outbox DROP COLUMN in_reply_to;
DROP INDEX cases_public_security_idx;
DROP INDEX cases_sms_pending_idx;
ALTER TABLE cases DROP COLUMN public_security;
ALTER TABLE cases DROP COLUMN sms_verification;
