-- The daily security sheet (备案和信息安全规范表, R-PA-2): each uploaded
-- file once, by its SHA-256, with its rows and what each matched. A file
-- is previewed first and confirmed once: the same file again cancels
-- nothing twice.
CREATE TABLE security_imports (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    file_sha256  text        NOT NULL UNIQUE,
    filename     text        NOT NULL DEFAULT '',
    uploaded_by  text        NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    confirmed_by text        NOT NULL DEFAULT '',
    confirmed_at timestamptz,
    items        jsonb       NOT NULL
);

---- create above / drop below ----

DROP TABLE security_imports;
