package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

func TestCreateCaseRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := newCase("Example-Site.cn")
	requireAllSet(t, c, "ID", "CaseNo", "UpdatedAt", "Timeline")
	want := inUTC(*c)

	b.createCase(t, c)
	require.NotEmpty(t, c.ID)
	require.Equal(t, "JS-2026-000001", c.CaseNo)
	require.True(t, c.CreatedAt.Equal(want.CreatedAt), "CreatedAt %v, want %v", c.CreatedAt, want.CreatedAt)
	require.False(t, c.UpdatedAt.IsZero())

	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	want.ID, want.CaseNo, want.UpdatedAt = c.ID, c.CaseNo, c.UpdatedAt.UTC()
	want.Timeline = []beian.Event{{Seq: 0, At: want.CreatedAt, Event: "created", Actor: "specialist:wang", Detail: "新增备案"}}
	require.Equal(t, want, inUTC(*got))
	require.Equal(t, want.Timeline, inUTC(*c).Timeline, "CreateCase sets the timeline it wrote")
}

func TestCreateCaseDefaultsCreatedAtToNow(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := newCase()
	c.CreatedAt = time.Time{}
	c.Sponsor.LegalRep = nil
	c.Website.Domains = nil // a site reached by IP only (R-IN-7)
	before := time.Now()
	b.createCase(t, c)
	require.WithinDuration(t, before, c.CreatedAt, 5*time.Second)

	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Nil(t, got.Sponsor.LegalRep)
	require.Empty(t, got.Website.Domains)
	require.Equal(t, fmt.Sprintf("JS-%d-000001", c.CreatedAt.In(time.FixedZone("CST", 8*3600)).Year()), got.CaseNo)
}

func TestGetCaseNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", "", "'; DROP TABLE cases; --"} {
		_, err := b.db.GetCase(b.ctx, id)
		require.Error(t, err, id)
		require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), id)
		require.Contains(t, beian.ErrorMessage(err), "不存在")
	}
}

func TestCaseNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t)

	newYear := time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC) // 2027-01-01 00:30 in Shanghai
	tests := []struct {
		province string
		at       time.Time
		want     string
	}{
		{"江苏", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "JS-2026-000001"},
		{"江苏", time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), "JS-2026-000002"},
		{"安徽", time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC), "AH-2026-000001"},
		{"江苏省", time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), "JS-2026-000003"},
		{"江苏", newYear, "JS-2027-000001"},
		{"江苏", newYear.Add(-time.Hour), "JS-2026-000004"},
		{"北京", newYear, "BJ-2027-000001"},
		{"上海市", newYear, "SH-2027-000001"},
		{"广东", newYear, "GD-2027-000001"},
		{"广西壮族自治区", newYear, "GX-2027-000001"},
		{"内蒙古自治区", newYear, "NM-2027-000001"},
		{"黑龙江", newYear, "HL-2027-000001"},
		{"河南", newYear, "HA-2027-000001"},
		{"河北", newYear, "HE-2027-000001"},
		{"海南", newYear, "HI-2027-000001"},
		{"陕西", newYear, "SN-2027-000001"},
		{"山西", newYear, "SX-2027-000001"},
		{"香港", newYear, "XX-2027-000001"},
		{"", newYear, "XX-2027-000002"},
	}
	for _, tt := range tests {
		c := newCase()
		c.Routing.Province = tt.province
		c.CreatedAt = tt.at
		b.createCase(t, c)
		require.Equal(t, tt.want, c.CaseNo, "province %q at %v", tt.province, tt.at)
	}
}

func TestCaseNumbersConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)

	const n = 20
	nos := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			c := newCase()
			err := b.db.CreateCase(b.ctx, c)
			errs <- err
			nos <- c.CaseNo
		}()
	}
	seen := map[string]bool{}
	for range n {
		require.NoError(t, <-errs)
		no := <-nos
		require.False(t, seen[no], "case number %s handed out twice", no)
		seen[no] = true
	}
	for i := 1; i <= n; i++ {
		require.True(t, seen[fmt.Sprintf("JS-2026-%06d", i)], "numbers have no gaps: JS-2026-%06d missing", i)
	}
}

func TestCreateCaseDomainConflict(t *testing.T) {
	t.Parallel()
	b := setup(t)

	domain := uniqueDomain()
	first := b.createCase(t, newCase(domain))

	second := newCase(uniqueDomain(), strings.ToUpper(domain))
	err := b.db.CreateCase(b.ctx, second)
	require.Error(t, err)
	require.Equal(t, beian.CodeDomainConflict, beian.ErrorCode(err))
	msg := beian.ErrorMessage(err)
	require.Contains(t, msg, domain)
	require.Contains(t, msg, first.CaseNo)
	require.Contains(t, msg, beian.StatusAwaitingMaterials.Title())
	require.Empty(t, second.ID, "a refused case gets no ID")
	require.Empty(t, second.CaseNo)

	// Nothing of the refused case was written, its case number included.
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, first.ID, page.Items[0].ID)
	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Domain: second.Website.Domains[0]})
	require.NoError(t, err)
	require.Empty(t, page.Items, "the refused case's other domain was not kept")

	third := b.createCase(t, newCase())
	require.Equal(t, "JS-2026-000002", third.CaseNo, "the refused case used up no number")
}

func TestCreateCaseRepeatedDomainIsOne(t *testing.T) {
	t.Parallel()
	b := setup(t)

	d := uniqueDomain()
	c := b.createCase(t, newCase(d, strings.ToUpper(d)))
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Domain: d})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, c.ID, page.Items[0].ID)
}

// transition is the next transition of c to status, numbered seq.
func transition(c *beian.Case, seq int, status beian.Status) *beian.Transition {
	c.Status = status
	return &beian.Transition{
		Seq:  seq,
		Case: c,
		Event: beian.Event{At: c.CreatedAt.Add(time.Duration(seq) * time.Hour), Event: "status:" + string(status),
			Actor: "specialist:wang", Detail: status.Title()},
	}
}

func TestDomainFreedWhenCaseEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)

	domain := uniqueDomain()
	first := b.createCase(t, newCase(domain))

	applied, err := b.db.SaveTransition(b.ctx, transition(first, 1, beian.StatusWithdrawn))
	require.NoError(t, err)
	require.True(t, applied)

	second := b.createCase(t, newCase(domain))
	require.NotEqual(t, first.ID, second.ID)

	// The ended case still finds by its domain when its status is asked for.
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Domain: domain, Status: beian.StatusWithdrawn})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, first.ID, page.Items[0].ID)

	// The new holder blocks a third case, and is the one named.
	err = b.db.CreateCase(b.ctx, newCase(domain))
	require.Equal(t, beian.CodeDomainConflict, beian.ErrorCode(err))
	require.Contains(t, beian.ErrorMessage(err), second.CaseNo)
}

func TestCorrectionAddingTakenDomainConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)

	taken := uniqueDomain()
	holder := b.createCase(t, newCase(taken))
	own := uniqueDomain()
	c := b.createCase(t, newCase(own))

	// The correction adds the taken domain and drops its own.
	corrected := *c
	corrected.Website.Domains = []string{taken}
	corrected.Website.Name = "改过的名称"
	tr := transition(&corrected, 1, beian.StatusUnderReview)
	applied, err := b.db.SaveTransition(b.ctx, tr)
	require.False(t, applied)
	require.Equal(t, beian.CodeDomainConflict, beian.ErrorCode(err))
	require.Contains(t, beian.ErrorMessage(err), taken)
	require.Contains(t, beian.ErrorMessage(err), holder.CaseNo)

	// Rolled back: the case, its domains and its timeline are as before.
	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, beian.StatusAwaitingMaterials, got.Status)
	require.Equal(t, []string{own}, got.Website.Domains)
	require.Len(t, got.Timeline, 1)
	err = b.db.CreateCase(b.ctx, newCase(own))
	require.Equal(t, beian.CodeDomainConflict, beian.ErrorCode(err), "the case still holds its own domain")

	// The same seq goes through once the domain is dropped from the correction.
	corrected.Website.Domains = []string{own, uniqueDomain()}
	applied, err = b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)
	require.True(t, applied)
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Domain: corrected.Website.Domains[1]})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the added domain is the case's")
}

func TestCorrectionDropsRemovedDomain(t *testing.T) {
	t.Parallel()
	b := setup(t)

	keep, drop := uniqueDomain(), uniqueDomain()
	c := b.createCase(t, newCase(keep, drop))
	c.Website.Domains = []string{keep}
	applied, err := b.db.SaveTransition(b.ctx, transition(c, 1, beian.StatusUnderReview))
	require.NoError(t, err)
	require.True(t, applied)

	other := b.createCase(t, newCase(drop))
	require.NotEmpty(t, other.CaseNo, "a dropped domain is free again")
	err = b.db.CreateCase(b.ctx, newCase(keep))
	require.Equal(t, beian.CodeDomainConflict, beian.ErrorCode(err))
}

func TestSaveTransition(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	createdUpdatedAt := c.UpdatedAt

	c.Status = beian.StatusBureauReview
	c.Overdue = false
	c.ReviewReasons = nil
	c.Deadlines.BureauDueAt = ptr(time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC))
	c.Deadlines.RectifyBy = nil
	c.Website.Name = "新名称"
	c.Sponsor.Name = "新主办单位"
	c.Principal.Name = "王五"
	c.WorkflowID = "filing-other"
	c.Type = beian.TypeChange
	due := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	tr := &beian.Transition{
		Seq:   1,
		Case:  c,
		Event: beian.Event{At: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), Event: "review_passed", Actor: "specialist:wang", Detail: "提交管局"},
		Mails: []beian.Mail{{Key: "case/" + c.ID + "/submitted", To: []string{"filer@example.cn"}, Subject: "已提交管局", Body: "您好"}},
		Tasks: []beian.Task{{Key: "case/" + c.ID + "/call/1", Kind: beian.TaskVerificationCall, DueAt: due, Script: "1. 您好"}},
		AccessActions: []beian.AccessAction{{Key: "case/" + c.ID + "/open", Kind: beian.AccessOpen, Reason: "备案成功",
			ServerIPs: []string{"198.51.100.7"}, Domains: c.Website.Domains}},
	}
	applied, err := b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)
	require.True(t, applied)
	require.NotEqual(t, createdUpdatedAt, c.UpdatedAt, "SaveTransition sets UpdatedAt")
	require.Equal(t, 1, tr.Event.Seq)

	// IDs, case IDs, statuses and times are filled in on the structs given.
	task, action := tr.Tasks[0], tr.AccessActions[0]
	require.NotEmpty(t, task.ID)
	require.Equal(t, c.ID, task.CaseID)
	require.Equal(t, beian.TaskOpen, task.Status)
	require.False(t, task.CreatedAt.IsZero())
	require.NotEmpty(t, action.ID)
	require.Equal(t, c.ID, action.CaseID)
	require.Equal(t, beian.AccessPending, action.Status)
	require.False(t, action.RequestedAt.IsZero())
	require.Equal(t, c.ID, tr.Mails[0].CaseID)

	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	want := inUTC(*c)
	want.Timeline = []beian.Event{
		{Seq: 0, At: want.CreatedAt, Event: "created", Actor: "specialist:wang", Detail: "新增备案"},
		{Seq: 1, At: tr.Event.At, Event: "review_passed", Actor: "specialist:wang", Detail: "提交管局"},
	}
	require.Equal(t, want, inUTC(*got))

	// The same seq again, as a retried activity would send it: nothing changes.
	retry := *c
	retry.Status = beian.StatusApproved
	retry.FilingNumber = "changed"
	again := &beian.Transition{
		Seq:   1,
		Case:  &retry,
		Event: beian.Event{At: time.Now(), Event: "review_passed", Actor: "specialist:wang"},
		Mails: []beian.Mail{{Key: "case/" + c.ID + "/submitted", To: []string{"other@example.cn"}, Subject: "again"},
			{Key: "case/" + c.ID + "/another", To: []string{"x@example.cn"}}},
		Tasks:         []beian.Task{{Key: "case/" + c.ID + "/call/1", Kind: beian.TaskVerificationCall}},
		AccessActions: []beian.AccessAction{{Key: "case/" + c.ID + "/open", Kind: beian.AccessOpen}},
	}
	applied, err = b.db.SaveTransition(b.ctx, again)
	require.NoError(t, err)
	require.False(t, applied)

	got2, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, inUTC(*got), inUTC(*got2), "a repeated seq changes nothing")

	mails, err := b.db.ListMails(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, mails, 1)
	require.Equal(t, beian.Mail{Key: "case/" + c.ID + "/submitted", CaseID: c.ID, To: []string{"filer@example.cn"},
		Subject: "已提交管局", Body: "您好"}, mails[0])

	tasks, err := b.db.ListTasks(b.ctx, "", "")
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, task.ID, tasks[0].ID)
	require.True(t, due.Equal(tasks[0].DueAt))
	require.Equal(t, "1. 您好", tasks[0].Script)

	actions, err := b.db.ListAccessActions(b.ctx, "")
	require.NoError(t, err)
	require.Len(t, actions, 1)
	require.Equal(t, action.ID, actions[0].ID)
	require.Equal(t, []string{"198.51.100.7"}, actions[0].ServerIPs)
	require.Equal(t, c.Website.Domains, actions[0].Domains)
	require.Equal(t, "备案成功", actions[0].Reason)
}

func TestSaveTransitionReusedKeyKeepsFirstRow(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	first := transition(c, 1, beian.StatusUnderReview)
	first.Tasks = []beian.Task{{Key: "call/" + c.ID, Kind: beian.TaskVerificationCall, Script: "first"}}
	_, err := b.db.SaveTransition(b.ctx, first)
	require.NoError(t, err)

	// A later transition asking for the same task gets the existing one.
	second := transition(c, 2, beian.StatusNeedsCorrection)
	second.Tasks = []beian.Task{{Key: "call/" + c.ID, Kind: beian.TaskVerificationCall, Script: "second"}}
	applied, err := b.db.SaveTransition(b.ctx, second)
	require.NoError(t, err)
	require.True(t, applied)
	require.Equal(t, first.Tasks[0].ID, second.Tasks[0].ID)
	require.True(t, first.Tasks[0].CreatedAt.Equal(second.Tasks[0].CreatedAt))

	tasks, err := b.db.ListTasks(b.ctx, beian.TaskVerificationCall, beian.TaskOpen)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, "first", tasks[0].Script)
}

func TestSaveTransitionUnknownCase(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := newCase()
	c.ID = "00000000-0000-0000-0000-000000000001"
	_, err := b.db.SaveTransition(b.ctx, transition(c, 1, beian.StatusUnderReview))
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
}

func TestAddEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	at := c.CreatedAt.Add(time.Minute)
	require.NoError(t, b.db.AddEvent(b.ctx, c.ID, beian.Event{At: at, Event: "secret_revealed", Actor: "supervisor:li", Detail: "查看备案密码"}))
	require.NoError(t, b.db.AddEvent(b.ctx, c.ID, beian.Event{At: at, Event: "note", Actor: "specialist:wang"}))
	// Events without a seq do not collide with transitions.
	applied, err := b.db.SaveTransition(b.ctx, transition(c, 1, beian.StatusUnderReview))
	require.NoError(t, err)
	require.True(t, applied)

	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, got.Timeline, 4)
	require.Equal(t, "created", got.Timeline[0].Event)
	require.Equal(t, "secret_revealed", got.Timeline[1].Event, "events at the same time keep their order")
	require.Equal(t, "note", got.Timeline[2].Event)
	require.Equal(t, 0, got.Timeline[2].Seq)
	require.Equal(t, 1, got.Timeline[3].Seq)

	err = b.db.AddEvent(b.ctx, "00000000-0000-0000-0000-000000000001", beian.Event{Event: "note"})
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
	err = b.db.AddEvent(b.ctx, "bogus", beian.Event{Event: "note"})
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
}
