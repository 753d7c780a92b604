-- calendar_years: the years whose holiday schedule (节假日安排) staff have
-- entered in full after the State Council published it (R-BR-1). A year is
-- known to the working-day calendar when the embedded holiday-cn data lists
-- days for it or it is published here; an override of one day in a year no
-- longer makes the whole year known.
CREATE TABLE calendar_years (
    year       integer     PRIMARY KEY CHECK (year BETWEEN 1900 AND 9999),
    published  boolean     NOT NULL,
    updated_by text        NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----

DROP TABLE calendar_years;
