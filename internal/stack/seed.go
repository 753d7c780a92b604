package stack

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/postgres"
)

// SeedCases puts n cases into the database, with their domains, timeline
// events, tasks and access actions, in a few statements (not through the
// workflow: for benchmarks and screenshots of a busy desk). It looks like a
// desk some years old: one case every 20 minutes, the last few weeks' cases
// still in progress (some overdue at the bureau), the older ones mostly
// approved, some withdrawn, purged or cancelled, a few under rectification.
func SeedCases(t testing.TB, db *postgres.DB, n int) {
	t.Helper()
	ctx := context.Background()
	recent := []string{"AWAITING_MATERIALS", "UNDER_REVIEW", "NEEDS_CORRECTION", "BUREAU_REVIEW", "BUREAU_REVIEW",
		"BUREAU_REVIEW", "BUREAU_RETURNED", "APPROVED", "AWAITING_MATERIALS", "WITHDRAWN"}
	provinces := []string{"广东", "江苏", "浙江", "上海", "北京", "安徽", "四川", "湖北", "福建", "河南"}
	_, err := db.Pool().Exec(ctx, `
		INSERT INTO cases (id, case_no, type, status, province, data_centre, access_provider, mailbox, bureau_province,
			checklist, email_subject, bureau_due_at, overdue, sponsor, principal, website,
			sponsor_name, sponsor_cert_number, principal_name, workflow_id, created_by, created_at, updated_at)
		SELECT id, CASE WHEN i % 3 = 0 THEN 'AH-' ELSE 'JS-' END || (2026 - i / 26280) || '-' || lpad(i::text, 6, '0'), 'new', st,
			CASE WHEN i % 3 = 0 THEN '安徽' ELSE '江苏' END,
			CASE WHEN i % 3 = 0 THEN '滁州双线机房' ELSE '苏州园区机房' END,
			CASE WHEN i % 3 = 0 THEN '安徽易速网络科技有限公司' ELSE '中网科技（苏州）股份有限公司' END,
			CASE WHEN i % 3 = 0 THEN 'AHBA@ChinaNet.CC' ELSE 'JSBA@ChinaNet.CC' END,
			($3::text[])[1 + (i * 7) % 10],
			'[{"code":"registration_form","title":"《网站备案资料登记表-用户》","required":true,"received":true}]',
			'主办者' || i || '+site' || i || '.cn',
			CASE WHEN st IN ('BUREAU_REVIEW','APPROVED','BUREAU_RETURNED') THEN created + interval '30 days' END,
			st = 'BUREAU_REVIEW' AND created + interval '30 days' < now(),
			jsonb_build_object('kind','person','name','主办者' || i,'cert_type','id_card','cert_number','11010519491231002X','province',($3::text[])[1 + (i * 7) % 10],'city','某市','address','某路' || i || '号'),
			jsonb_build_object('name','负责人' || i,'id_number','11010519491231002X','mobile','13800138000','email','p' || i || '@example.net'),
			jsonb_build_object('name','网站' || i,'domains',jsonb_build_array('site' || i || '.cn'),'server_ips',jsonb_build_array('198.51.100.7'),'categories','[]'::jsonb,'pre_approvals','[]'::jsonb,'interactive',false),
			'主办者' || i, 'C' || i, '负责人' || i, 'filing-' || id, 'seed', created, created
		FROM (
			SELECT i, gen_random_uuid() AS id, now() - i * interval '20 minutes' AS created,
				CASE WHEN i <= 2600 THEN ($2::text[])[1 + i % 10]
				     WHEN i % 997 = 0 THEN 'RECTIFYING'
				     WHEN i % 499 = 0 THEN 'ACCESS_CANCELLED'
				     WHEN i % 13 = 0 THEN 'WITHDRAWN'
				     WHEN i % 17 = 0 THEN 'PURGED'
				     WHEN i % 29 = 0 THEN 'CANCELLED'
				     ELSE 'APPROVED' END AS st
			FROM generate_series(1, $1) i) s`,
		n, recent, provinces)
	require.NoError(t, err)
	// Written plain as the code before sealing did; sealed and indexed as
	// migration 017's Go step does (issue 12 §2).
	_, err = db.SealPlain(ctx)
	require.NoError(t, err)
	for _, sql := range []string{
		`INSERT INTO case_domains (case_id, domain, active)
		 SELECT id, website->'domains'->>0, status NOT IN ('WITHDRAWN','PURGED','CANCELLED','SUPERSEDED') FROM cases`,
		`INSERT INTO case_events (case_id, seq, at, event, actor, detail)
		 SELECT id, 0, created_at, 'created', 'seed', '新增备案' FROM cases
		 UNION ALL SELECT id, 5, created_at + interval '2 days', 'submitted', 'seed', '' FROM cases
		   WHERE status IN ('APPROVED','BUREAU_REVIEW','BUREAU_RETURNED','RECTIFYING','ACCESS_CANCELLED') AND created_at + interval '2 days' < now()
		 UNION ALL SELECT id, 6, created_at + interval '2 days' + (abs(hashtext(id::text)) % 26) * interval '1 day', 'bureau_approved', 'seed', ''
		   FROM cases WHERE status IN ('APPROVED','RECTIFYING','ACCESS_CANCELLED') AND created_at + interval '28 days' < now()
		 UNION ALL SELECT id, 6, created_at + interval '2 days' + (abs(hashtext(id::text)) % 20) * interval '1 day', 'bureau_returned', 'seed', ''
		   FROM cases WHERE status = 'BUREAU_RETURNED'`,
		`INSERT INTO tasks (key, kind, status, case_id, due_at, script, created_at)
		 SELECT 'vc/' || id, 'verification_call', CASE WHEN status = 'UNDER_REVIEW' THEN 'open' ELSE 'done' END, id,
			created_at + interval '8 hours', '您好，我是中网科技的备案核验专员……', created_at FROM cases
		 WHERE status NOT IN ('AWAITING_MATERIALS','PURGED')`,
		`INSERT INTO access_actions (key, case_id, kind, status, reason, server_ips, domains, requested_at, confirmed_at, confirmed_by)
		 SELECT 'open/' || id, id, 'open', CASE WHEN created_at > now() - interval '40 days' THEN 'pending' ELSE 'confirmed' END,
			'备案成功，开通接入', ARRAY['198.51.100.7'], ARRAY[website->'domains'->>0], created_at + interval '12 days',
			CASE WHEN created_at > now() - interval '40 days' THEN NULL ELSE created_at + interval '13 days' END,
			CASE WHEN created_at > now() - interval '40 days' THEN '' ELSE 'seed' END
		 FROM cases WHERE status IN ('APPROVED','RECTIFYING','ACCESS_CANCELLED')`,
		`VACUUM ANALYZE`,
	} {
		_, err := db.Pool().Exec(ctx, sql)
		require.NoError(t, err)
	}
}
