-- Intake data: settings admins edit (the intake rules, R-IN-*), the
-- blacklist (R-IN-6), and the billing system's copy of customers and their
-- access products (R-ENT-2, R-RV-1).

-- settings are JSON documents under a key, e.g. "intake_rules": the admins'
-- override of the embedded default rules. No row means the default.
CREATE TABLE settings (
    key        text        PRIMARY KEY,
    value      jsonb       NOT NULL,
    updated_by text        NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- blacklist (黑名单, R-IN-6): value as staff typed it, value_key normalised
-- (upper-case certificate number, phone digits, registrable domain), which
-- makes an entry unique within its kind.
CREATE TABLE blacklist (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       text        NOT NULL CHECK (kind IN ('cert_number', 'name', 'domain', 'phone')),
    value      text        NOT NULL,
    value_key  text        NOT NULL CHECK (value_key <> ''),
    reason     text        NOT NULL DEFAULT '',
    author     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value_key)
);
CREATE INDEX blacklist_created_idx ON blacklist (created_at, id);

-- customers (客户) hold access products; contacts are kept whole as jsonb.
CREATE TABLE customers (
    id               text        PRIMARY KEY,
    name             text        NOT NULL,
    contact          jsonb       NOT NULL DEFAULT '{}',
    account_manager  jsonb       NOT NULL DEFAULT '{}',
    manager_superior jsonb       NOT NULL DEFAULT '{}',
    updated_by       text        NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- products (接入产品): valid through valid_until (Asia/Shanghai).
CREATE TABLE products (
    id          text    PRIMARY KEY,
    customer_id text    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    valid_until date    NOT NULL,
    position    integer NOT NULL
);
CREATE INDEX products_customer_idx ON products (customer_id, position);
CREATE INDEX products_valid_until_idx ON products (valid_until);

-- product_ips: the server IPs of each product; found by IP at intake.
CREATE TABLE product_ips (
    product_id text    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    ip         inet    NOT NULL,
    position   integer NOT NULL,
    PRIMARY KEY (product_id, ip)
);
CREATE INDEX product_ips_ip_idx ON product_ips (ip);

-- Cases by server IP, for the report of products expiring under live filings.
CREATE INDEX cases_server_ips_idx ON cases USING gin ((website -> 'server_ips'));

---- create above / drop below ----

DROP INDEX cases_server_ips_idx;
DROP TABLE product_ips;
DROP TABLE products;
DROP TABLE customers;
DROP TABLE blacklist;
DROP TABLE settings;
