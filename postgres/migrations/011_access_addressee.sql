-- Whom an access action is addressed to (R-AC-1, R-VC-4): tech, or tech's
-- supervisor when an escalation stops all of a customer's access.
ALTER TABLE access_actions ADD COLUMN addressed_to text NOT NULL DEFAULT 'tech';

---- create above / drop below ----

ALTER TABLE access_actions DROP COLUMN addressed_to;
