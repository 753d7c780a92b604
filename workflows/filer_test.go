package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/workflows"
)

// submitted moves the fixture's case to the bureau at d.
func (f *fixture) submitted(d time.Duration) {
	f.update(d-time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(d, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
}

func (f *fixture) events(name string) []beian.Event {
	var out []beian.Event
	for _, e := range f.caseNow().Timeline {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) mailTo(addr, subject string) catcher.Message {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := f.mail.Wait(ctx, func(m catcher.Message) bool {
		return strings.Contains(m.Subject, subject) && strings.Contains(strings.Join(m.To, ","), addr)
	})
	require.NoError(f.t, err, "mail %q to %s", subject, addr)
	return m
}

// TestSMSCheckExpiresAndReturns (R-BR-6): submitted Monday 10:00, the
// filer is told of the MIIT's text at once and reminded three hours
// before the 24 hours run out (noon the next day would be too late); at
// exactly 24 hours the case is returned with 「工信部短信核验超时」, the
// filer and the specialist are told, and the bureau's clock stops.
func TestSMSCheckExpiresAndReturns(t *testing.T) {
	start := at("2026-11-30 09:00:00")
	f := newFixture(t, start, activities.Config{StaffAlerts: []string{"boss@test.local"}})
	f.submitted(time.Hour)
	submit := start.Add(time.Hour)
	f.expect(2*time.Hour, "pending", func(s workflows.State) bool {
		return s.Status == beian.StatusBureauReview && len(s.Alarms) == 2
	})
	f.expect(24*time.Hour+time.Hour-time.Second, "still under review a second before", func(s workflows.State) bool {
		return s.Status == beian.StatusBureauReview
	})
	f.expect(25*time.Hour+time.Second, "returned at 24 hours", func(s workflows.State) bool {
		return s.Status == beian.StatusBureauReturned && len(s.Alarms) == 0
	})
	f.run(30 * 24 * time.Hour)
	c := f.caseNow()
	require.Equal(t, beian.StatusBureauReturned, c.Status)
	require.Equal(t, "工信部短信核验超时", c.ReturnReason)
	require.Equal(t, beian.SMSExpired, c.SMS.Status)
	require.True(t, f.eventAt("sms_reminded").Equal(submit.Add(21*time.Hour)), "reminded at %s", f.eventAt("sms_reminded"))
	require.True(t, f.eventAt("sms_expired").Equal(submit.Add(24*time.Hour)), "expired at %s", f.eventAt("sms_expired"))
	require.Empty(t, f.events("bureau_overdue"), "a returned case has no bureau clock")
	require.Len(t, f.events("sms_reminded"), 1)
	explain := f.mailTo("zhangsan@example.net", "工信部短信核验")
	require.Contains(t, explain.Body, "https://beian.miit.gov.cn")
	require.Contains(t, explain.Body, "2026-12-01 10:00")
	f.mailTo("zhangsan@example.net", "提醒")
	f.mailTo("boss@test.local", "短信核验超时")
	f.mailTo("zhangsan@example.net", "退回")
}

// TestSMSCheckCompletedNextDayMovesBureauDue (R-BR-6, R-BR-1): the code
// entered the next working day: the bureau has the case only from then, so
// its 20 working days count from that day; no reminder goes after it.
func TestSMSCheckCompletedNextDayMovesBureauDue(t *testing.T) {
	start := at("2026-11-30 13:00:00")
	f := newFixture(t, start, activities.Config{})
	f.submitted(time.Hour) // Monday 14:00
	var before time.Time
	f.expect(2*time.Hour, "due set at submission", func(s workflows.State) bool {
		if s.BureauDueAt != nil {
			before = *s.BureauDueAt
		}
		return s.BureauDueAt != nil
	})
	f.update(20*time.Hour, beian.ActionSMSVerified, workflows.ActionRequest{Actor: "t"}, "") // Tuesday 09:00
	f.update(21*time.Hour, beian.ActionSMSVerified, workflows.ActionRequest{Actor: "t"}, beian.CodeInvalidState)
	f.run(10 * 24 * time.Hour)
	c := f.caseNow()
	require.Equal(t, beian.StatusBureauReview, c.Status)
	require.Equal(t, beian.SMSVerified, c.SMS.Status)
	cal, err := (&activities.Activities{Store: f.db}).Calendar(context.Background())
	require.NoError(t, err)
	want, err := cal.BureauDue(start.Add(20*time.Hour), 20)
	require.NoError(t, err)
	require.True(t, c.Deadlines.BureauDueAt.Equal(want.At), "due %s, want %s", c.Deadlines.BureauDueAt, want.At)
	require.True(t, c.Deadlines.BureauDueAt.After(before), "moved from %s", before)
	require.Empty(t, f.events("sms_reminded"))
	require.Empty(t, f.events("sms_expired"))
}

// TestPublicSecurityReminders (R-PA-6): access opens on approval and the
// 30 days start; the filer is reminded on day 20 and day 28; past day 30
// the case shows overdue and the specialist is told. A second case records
// its number on day 25: no more reminders, never overdue.
func TestPublicSecurityReminders(t *testing.T) {
	start := at("2026-11-30 09:00:00")
	approve := func(f *fixture) {
		f.submitted(time.Hour)
		f.update(2*time.Hour, beian.ActionSMSVerified, workflows.ActionRequest{Actor: "t"}, "")
		f.update(3*time.Hour, beian.ActionBureauDecision, workflows.ActionRequest{Actor: "t", Decision: "approved", FilingNumber: "苏ICP备2026000001号-1"}, "")
	}
	opened := start.Add(3 * time.Hour)
	day := 24 * time.Hour

	t.Run("forgotten", func(t *testing.T) {
		f := newFixture(t, start, activities.Config{StaffAlerts: []string{"boss@test.local"}})
		approve(f)
		f.expect(3*time.Hour+20*day-time.Second, "due, not reminded yet", func(s workflows.State) bool { return len(s.Alarms) == 2 })
		f.run(40 * day)
		c := f.caseNow()
		require.Equal(t, beian.PublicSecurityOverdue, c.PublicSecurity.Status)
		rem := f.events("public_security_reminded")
		require.Len(t, rem, 2)
		require.True(t, rem[0].At.Equal(opened.Add(20*day)), "day 20: %s", rem[0].At)
		require.True(t, rem[1].At.Equal(opened.Add(28*day)), "day 28: %s", rem[1].At)
		require.True(t, f.eventAt("public_security_overdue").Equal(opened.Add(30*day)))
		f.mailTo("zhangsan@example.net", "公安联网备案")
		f.mailTo("boss@test.local", "公安备案逾期")
	})
	t.Run("recorded on day 25", func(t *testing.T) {
		f := newFixture(t, start, activities.Config{})
		approve(f)
		f.update(3*time.Hour+25*day, beian.ActionPublicSecurity, workflows.ActionRequest{Actor: "t", PublicSecurityNumber: "苏公网安备 32050502000001号"}, "")
		f.update(3*time.Hour+26*day, beian.ActionPublicSecurity, workflows.ActionRequest{Actor: "t", PublicSecurityNumber: "苏ICP备123"}, beian.CodeInvalid)
		f.run(40 * day)
		c := f.caseNow()
		require.Equal(t, beian.PublicSecurityRecorded, c.PublicSecurity.Status)
		require.Equal(t, "苏公网安备32050502000001号", c.PublicSecurity.Number)
		require.Len(t, f.events("public_security_reminded"), 1, "day 20 only")
		require.Empty(t, f.events("public_security_overdue"))
	})
}
