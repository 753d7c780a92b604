-- The dashboard counts open cases by status, system province and bureau
-- province on every load. Counting 100,000 case rows takes tens of
-- milliseconds however it is indexed, so the counts are kept as they
-- change: case_counts holds one row per (status, province, bureau
-- province), moved by a trigger in the same transaction as the case.
-- No case may change between the count below and the trigger taking over
-- (another process of an older release may still be writing).
LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE case_counts (
    status          text    NOT NULL,
    province        text    NOT NULL,
    bureau_province text    NOT NULL,
    n               bigint  NOT NULL,
    PRIMARY KEY (status, province, bureau_province)
);

INSERT INTO case_counts (status, province, bureau_province, n)
SELECT status, province, bureau_province, count(*) FROM cases GROUP BY 1, 2, 3;

-- count_case moves a case from its old key to its new one. Both rows are
-- upserted in one statement in key order, so two transactions moving cases
-- in opposite directions lock the rows in the same order and cannot deadlock.
CREATE FUNCTION count_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.province = NEW.province
       AND OLD.bureau_province = NEW.bureau_province THEN
        RETURN NULL;
    END IF;
    INSERT INTO case_counts AS c (status, province, bureau_province, n)
    SELECT k.status, k.province, k.bureau_province, k.d
    FROM (
        SELECT OLD.status AS status, OLD.province AS province, OLD.bureau_province AS bureau_province, -1 AS d
        WHERE TG_OP IN ('UPDATE', 'DELETE')
        UNION ALL
        SELECT NEW.status, NEW.province, NEW.bureau_province, 1
        WHERE TG_OP IN ('INSERT', 'UPDATE')
    ) k
    ORDER BY k.status, k.province, k.bureau_province
    ON CONFLICT (status, province, bureau_province) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END;
$$;

CREATE TRIGGER cases_count AFTER INSERT OR DELETE OR UPDATE OF status, province, bureau_province ON cases
    FOR EACH ROW EXECUTE FUNCTION count_case();

-- Open tasks by due time: the dashboard's "due today" count and first rows.
CREATE INDEX tasks_open_due_idx ON tasks (due_at, created_at, id) WHERE status = 'open';

---- create above / drop below ----

DROP INDEX tasks_open_due_idx;
DROP TRIGGER cases_count ON cases;
DROP FUNCTION count_case();
DROP TABLE case_counts;
