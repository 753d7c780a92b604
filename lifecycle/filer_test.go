package lifecycle_test

import (
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/lifecycle"
)

// TestSMSRemindAt (R-BR-6): the reminder goes at noon the next day, when
// the MIIT sends the code again, unless that noon is too late in the
// window: then three hours before the end (an eighth of it).
func TestSMSRemindAt(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for start, want := range map[string]string{
		"2026-11-30 15:00": "2026-12-01 12:00", // due 12-01 15:00: noon is inside
		"2026-11-30 10:00": "2026-12-01 07:00", // due 12-01 10:00: noon is after it
		"2026-11-30 23:30": "2026-12-01 12:00", // late at night: noon the next day, well inside
	} {
		s := at(start)
		got := lifecycle.SMSRemindAt(s, s.Add(24*time.Hour)).In(calendar.Shanghai).Format("2006-01-02 15:04")
		if got != want {
			t.Errorf("SMSRemindAt(%s) = %s, want %s", start, got, want)
		}
	}
	s := at("2026-11-30 10:00") // a shortened window: an eighth before its end
	if got := lifecycle.SMSRemindAt(s, s.Add(8*time.Second)); !got.Equal(s.Add(7 * time.Second)) {
		t.Errorf("short window: %s", got)
	}
}

// TestAlarms (R-BR-6, R-PA-6): the SMS alarms exist only while the bureau
// has the case and the check is pending; the public-security ones only
// while the site is live and the number is not recorded, soonest first.
func TestAlarms(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, calendar.Shanghai)
	remind := now.Add(time.Hour)
	c := &beian.Case{Status: beian.StatusBureauReview, SMS: &beian.SMSVerification{Status: beian.SMSPending, DueAt: now.Add(24 * time.Hour), RemindAt: &remind}}
	if a := lifecycle.Alarms(c); len(a) != 2 || a[0].Event != lifecycle.EventSMSReminder || a[1].Event != lifecycle.EventSMSExpired {
		t.Errorf("pending: %+v", a)
	}
	c.Status = beian.StatusBureauReturned
	if a := lifecycle.Alarms(c); len(a) != 0 {
		t.Errorf("returned: %+v", a)
	}
	c = &beian.Case{Status: beian.StatusApproved, PublicSecurity: &beian.PublicSecurity{Status: beian.PublicSecurityDue, OpenedAt: now, DueAt: now.AddDate(0, 0, 30), Reminded: 1}}
	a := lifecycle.Alarms(c)
	if len(a) != 2 || !a[0].At.Equal(now.AddDate(0, 0, 28)) || a[1].Event != lifecycle.EventPublicSecurityOverdue {
		t.Errorf("after the first reminder: %+v", a)
	}
	c.Status = beian.StatusAccessCancelled
	if a := lifecycle.Alarms(c); len(a) != 0 {
		t.Errorf("a cut site is not reminded: %+v", a)
	}
	c.Status, c.PublicSecurity.Status = beian.StatusApproved, beian.PublicSecurityRecorded
	if a := lifecycle.Alarms(c); len(a) != 0 {
		t.Errorf("recorded: %+v", a)
	}
}
