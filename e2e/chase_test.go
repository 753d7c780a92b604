package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/calendar"
	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

// TestAccessChase (R-AC-1): at 17:00 on a working day the access actions
// tech has not confirmed are mailed to tech and the supervisors, once a day,
// and the chase is on each filing's timeline; nothing on a day off; tech
// confirms with what it did, and that is on the timeline too.
func TestAccessChase(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	id := approvedCase(t, b, "chase-me.cn") // its open access action waits for tech
	acts := *b.Acts
	acts.Config.TechMailbox = "tech@test.local"

	cal := calendar.New(nil, nil)
	day := time.Now().In(calendar.Shanghai)
	for !cal.Day(day).Working {
		day = day.AddDate(0, 0, 1)
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), 17, 0, 0, 0, calendar.Shanghai)
	if at.Before(time.Now()) {
		at = time.Now().Add(time.Minute)
	}
	n, err := acts.ChaseAccess(ctx, workflows.ChaseInput{At: at})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	m := b.waitMail("tech@test.local", "接入操作催办")
	require.Contains(t, m.Body, "chase-me.cn")
	require.Contains(t, m.To, "supervisor@test.local", "the supervisors hear of it too")
	n, err = acts.ChaseAccess(ctx, workflows.ChaseInput{At: at})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	time.Sleep(300 * time.Millisecond)
	chases := 0
	for _, msg := range b.mail.Messages() {
		if strings.Contains(msg.Subject, "接入操作催办") {
			chases++
		}
	}
	require.Equal(t, 1, chases, "one chase a day, however often it runs")
	c := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	var chased int
	for _, e := range c.get("timeline").([]any) {
		if e.(map[string]any)["event"] == "access_chased" {
			chased++
		}
	}
	require.Equal(t, 1, chased)

	off, err := acts.ChaseAccess(ctx, workflows.ChaseInput{At: time.Date(2026, 10, 3, 17, 0, 0, 0, calendar.Shanghai)})
	require.NoError(t, err)
	require.Zero(t, off, "National Day: no chase")

	// Tech confirms, saying what it did.
	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	action := pending.get("items").([]any)[0].(map[string]any)
	r := b.must(200, b.do("POST", "/api/v1/access-actions/"+action["id"].(string)+"/confirm", tokTech, map[string]any{"note": "已在防火墙放行 80/443"}))
	require.Equal(t, "已在防火墙放行 80/443", r.str("confirm_note"))
	c = b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	confirmed := false
	for _, e := range c.get("timeline").([]any) {
		ev := e.(map[string]any)
		confirmed = confirmed || (ev["event"] == "access_confirmed" && strings.Contains(ev["detail"].(string), "已在防火墙放行"))
	}
	require.True(t, confirmed, "what tech did is on the timeline")

	// The schedule: 17:00 Asia/Shanghai.
	require.NoError(t, worker.EnsureSchedules(ctx, b.Temporal))
	desc, err := b.Temporal.ScheduleClient().GetHandle(ctx, workflows.ChaseScheduleID).Describe(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.NextActionTimes)
	for _, next := range desc.Info.NextActionTimes {
		require.Equal(t, 17, next.In(calendar.Shanghai).Hour())
	}
}
