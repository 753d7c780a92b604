package postgres_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// auditActions are the actions of the audit log, oldest first.
func (b testBundle) auditActions(t *testing.T) []string {
	t.Helper()
	rows, err := b.db.Pool().Query(b.ctx, `SELECT action || ' ' || target || ' by ' || actor FROM audit_log ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var actions []string
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	require.NoError(t, rows.Err())
	return actions
}

func TestDataCentres(t *testing.T) {
	t.Parallel()
	b := setup(t)

	dcs, err := b.db.ListDataCentres(b.ctx)
	require.NoError(t, err)
	require.Empty(t, dcs)

	first := []beian.DataCentre{
		{Name: "苏州园区机房", Province: "江苏", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}},
		{Name: "滁州双线机房", Province: "安徽", AccessProvider: "安徽易速网络科技有限公司", Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/25"), netip.MustParsePrefix("192.0.2.7/32")}},
		{Name: "新机房", Province: "江苏", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA@ChinaNet.CC"},
	}
	require.NoError(t, b.db.ReplaceDataCentres(b.ctx, first, "admin:root"))
	dcs, err = b.db.ListDataCentres(b.ctx)
	require.NoError(t, err)
	require.Equal(t, first, dcs, "the list reads back as saved, in order")

	// Replacing drops what is not in the new list; host bits are cleared.
	second := []beian.DataCentre{
		{Name: "滁州双线机房", Province: "安徽", AccessProvider: "安徽易速网络科技有限公司", Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("2001:db8:2::1/64"), netip.MustParsePrefix("203.0.113.9/24")}},
	}
	require.NoError(t, b.db.ReplaceDataCentres(b.ctx, second, "admin:root"))
	dcs, err = b.db.ListDataCentres(b.ctx)
	require.NoError(t, err)
	require.Len(t, dcs, 1)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("2001:db8:2::/64"), netip.MustParsePrefix("203.0.113.0/24")}, dcs[0].CIDRs)
	require.True(t, dcs[0].CIDRs[1].Addr().Is4(), "IPv4 stays IPv4")

	// Repeated ranges and names are refused, and change nothing.
	bad := map[string][]beian.DataCentre{
		"range in two data centres": {
			{Name: "A", Province: "江苏", AccessProvider: "x", Mailbox: "x", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
			{Name: "B", Province: "江苏", AccessProvider: "x", Mailbox: "x", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}},
		},
		"range twice in one": {
			{Name: "A", Province: "江苏", AccessProvider: "x", Mailbox: "x",
				CIDRs: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("2001:db8::/32")}},
		},
		"same name": {
			{Name: "A", Province: "江苏", AccessProvider: "x", Mailbox: "x"},
			{Name: "A", Province: "安徽", AccessProvider: "x", Mailbox: "x"},
		},
		"invalid range": {
			{Name: "A", Province: "江苏", AccessProvider: "x", Mailbox: "x", CIDRs: []netip.Prefix{{}}},
		},
	}
	for name, list := range bad {
		err := b.db.ReplaceDataCentres(b.ctx, list, "admin:root")
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), name)
	}
	dcs, err = b.db.ListDataCentres(b.ctx)
	require.NoError(t, err)
	require.Len(t, dcs, 1)
	require.Equal(t, "滁州双线机房", dcs[0].Name)

	// Nested ranges are fine: the longest prefix wins when routing.
	nested := []beian.DataCentre{
		{Name: "A", Province: "江苏", AccessProvider: "x", Mailbox: "x", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{Name: "B", Province: "安徽", AccessProvider: "y", Mailbox: "y", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}},
	}
	require.NoError(t, b.db.ReplaceDataCentres(b.ctx, nested, "admin:li"))
	dcs, err = b.db.ListDataCentres(b.ctx)
	require.NoError(t, err)
	require.Equal(t, nested, dcs)

	require.Equal(t, []string{
		"datacentres.replace datacentres by admin:root",
		"datacentres.replace datacentres by admin:root",
		"datacentres.replace datacentres by admin:li",
	}, b.auditActions(t), "each replacement that went through is audited once")
}

func TestCalendarDays(t *testing.T) {
	t.Parallel()
	b := setup(t)

	at := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, b.db.PutCalendarDay(b.ctx, beian.CalendarDay{Date: "2026-10-01", Off: true, Name: "国庆节", UpdatedBy: "admin:root", UpdatedAt: at}))
	require.NoError(t, b.db.PutCalendarDay(b.ctx, beian.CalendarDay{Date: "2026-09-27", Off: false, Name: "国庆调休", UpdatedBy: "admin:root", UpdatedAt: at}))
	// A correction of the same date replaces it.
	require.NoError(t, b.db.PutCalendarDay(b.ctx, beian.CalendarDay{Date: "2026-10-01", Off: true, Name: "国庆节（更正）", UpdatedBy: "admin:li", UpdatedAt: at.Add(time.Hour)}))

	days, err := b.db.ListCalendarDays(b.ctx)
	require.NoError(t, err)
	for i := range days {
		days[i].UpdatedAt = days[i].UpdatedAt.UTC()
	}
	require.Equal(t, []beian.CalendarDay{
		{Date: "2026-09-27", Off: false, Name: "国庆调休", UpdatedBy: "admin:root", UpdatedAt: at},
		{Date: "2026-10-01", Off: true, Name: "国庆节（更正）", UpdatedBy: "admin:li", UpdatedAt: at.Add(time.Hour)},
	}, days)

	for _, date := range []string{"2026-13-01", "01/10/2026", ""} {
		err := b.db.PutCalendarDay(b.ctx, beian.CalendarDay{Date: date, Off: true, UpdatedBy: "admin:root"})
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), date)
	}

	require.Equal(t, []string{
		"calendar.put calendar/2026-10-01 by admin:root",
		"calendar.put calendar/2026-09-27 by admin:root",
		"calendar.put calendar/2026-10-01 by admin:li",
	}, b.auditActions(t))
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)

	got, err := b.db.GetIdempotent(b.ctx, "k1", "specialist:wang")
	require.NoError(t, err)
	require.Nil(t, got)

	first := beian.IdempotentResponse{Key: "k1", Actor: "specialist:wang", BodyHash: "h1", Status: 201, Body: []byte(`{"id":"1"}`)}
	require.NoError(t, b.db.SaveIdempotent(b.ctx, first))
	got, err = b.db.GetIdempotent(b.ctx, "k1", "specialist:wang")
	require.NoError(t, err)
	require.NotNil(t, got)
	require.WithinDuration(t, time.Now(), got.At, time.Minute)
	got.At = time.Time{}
	require.Equal(t, &first, got)

	// Keys belong to their actor.
	got, err = b.db.GetIdempotent(b.ctx, "k1", "specialist:li")
	require.NoError(t, err)
	require.Nil(t, got)

	// Within 24 hours the first answer wins.
	require.NoError(t, b.db.SaveIdempotent(b.ctx, beian.IdempotentResponse{Key: "k1", Actor: "specialist:wang", BodyHash: "h2", Status: 409, Body: []byte(`{}`)}))
	got, err = b.db.GetIdempotent(b.ctx, "k1", "specialist:wang")
	require.NoError(t, err)
	require.Equal(t, 201, got.Status)
	require.Equal(t, "h1", got.BodyHash)

	// After 24 hours it is gone, and a new answer takes its place.
	_, err = b.db.Pool().Exec(b.ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k1'`)
	require.NoError(t, err)
	got, err = b.db.GetIdempotent(b.ctx, "k1", "specialist:wang")
	require.NoError(t, err)
	require.Nil(t, got)

	second := beian.IdempotentResponse{Key: "k1", Actor: "specialist:wang", BodyHash: "h3", Status: 200, Body: []byte(`{"id":"2"}`)}
	require.NoError(t, b.db.SaveIdempotent(b.ctx, second))
	got, err = b.db.GetIdempotent(b.ctx, "k1", "specialist:wang")
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Equal(t, "h3", got.BodyHash)
	require.Equal(t, []byte(`{"id":"2"}`), got.Body)
	require.WithinDuration(t, time.Now(), got.At, time.Minute)
}

func TestAudit(t *testing.T) {
	t.Parallel()
	b := setup(t)

	at := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
	require.NoError(t, b.db.Audit(b.ctx, beian.AuditEntry{At: at, Actor: "supervisor:li", Action: "secret.reveal", Target: "case/1", Detail: "备案密码"}))
	require.NoError(t, b.db.Audit(b.ctx, beian.AuditEntry{Actor: "supervisor:li", Action: "secret.reveal", Target: "case/2"}))
	require.Equal(t, []string{"secret.reveal case/1 by supervisor:li", "secret.reveal case/2 by supervisor:li"}, b.auditActions(t))

	var stored time.Time
	require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT at FROM audit_log WHERE target = 'case/1'`).Scan(&stored))
	require.True(t, at.Equal(stored))
	require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT at FROM audit_log WHERE target = 'case/2'`).Scan(&stored))
	require.WithinDuration(t, time.Now(), stored, time.Minute, "a zero time means now")
}
