package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

func TestMailOutbox(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	tr := transition(c, 1, beian.StatusNeedsCorrection)
	tr.Mails = []beian.Mail{
		{Key: "case/" + c.ID + "/reasons/1", To: []string{"filer@example.cn", "cc@example.cn"}, Subject: "备案资料需更正", Body: "原因：…"},
		{Key: "case/" + c.ID + "/specialist/1", To: []string{"JSBA@ChinaNet.CC"}, Subject: "通知", Body: "…"},
	}
	_, err := b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)

	m, err := b.db.GetMail(b.ctx, tr.Mails[0].Key)
	require.NoError(t, err)
	require.Equal(t, &beian.Mail{Key: tr.Mails[0].Key, CaseID: c.ID, To: []string{"filer@example.cn", "cc@example.cn"},
		Subject: "备案资料需更正", Body: "原因：…"}, m)

	sentAt := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	require.NoError(t, b.db.MarkMailSent(b.ctx, m.Key, sentAt))
	m, err = b.db.GetMail(b.ctx, m.Key)
	require.NoError(t, err)
	require.NotNil(t, m.SentAt)
	require.True(t, sentAt.Equal(*m.SentAt))

	// Marking again keeps the first time: the mail went out then.
	require.NoError(t, b.db.MarkMailSent(b.ctx, m.Key, sentAt.Add(time.Hour)))
	m, err = b.db.GetMail(b.ctx, m.Key)
	require.NoError(t, err)
	require.True(t, sentAt.Equal(*m.SentAt))

	mails, err := b.db.ListMails(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, mails, 2)
	require.Equal(t, tr.Mails[0].Key, mails[0].Key)
	require.NotNil(t, mails[0].SentAt)
	require.Equal(t, tr.Mails[1].Key, mails[1].Key)
	require.Nil(t, mails[1].SentAt)

	_, err = b.db.GetMail(b.ctx, "no/such/key")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
	err = b.db.MarkMailSent(b.ctx, "no/such/key", sentAt)
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))

	other := b.createCase(t, newCase())
	mails, err = b.db.ListMails(b.ctx, other.ID)
	require.NoError(t, err)
	require.Empty(t, mails)
}

func TestListTasksFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	early := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	tr := transition(c, 1, beian.StatusUnderReview)
	tr.Tasks = []beian.Task{
		{Key: "late", Kind: beian.TaskVerificationCall, DueAt: early.Add(48 * time.Hour)},
		{Key: "early", Kind: beian.TaskVerificationCall, DueAt: early},
		{Key: "done", Kind: beian.TaskVerificationCall, Status: beian.TaskDone, DueAt: early.Add(time.Hour)},
		{Key: "other", Kind: "follow_up"},
	}
	_, err := b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)

	keys := func(kind, status string) []string {
		tasks, err := b.db.ListTasks(b.ctx, kind, status)
		require.NoError(t, err)
		ks := []string{}
		for _, task := range tasks {
			ks = append(ks, task.Key)
		}
		return ks
	}
	require.Equal(t, []string{"early", "late"}, keys(beian.TaskVerificationCall, beian.TaskOpen), "soonest due first")
	require.Equal(t, []string{"done"}, keys(beian.TaskVerificationCall, beian.TaskDone))
	require.Equal(t, []string{"early", "done", "late"}, keys(beian.TaskVerificationCall, ""))
	require.Equal(t, []string{"early", "late", "other"}, keys("", beian.TaskOpen), "no due date last")
	require.Equal(t, []string{"other"}, keys("follow_up", ""))
	require.Empty(t, keys("nothing", ""))
}

func TestConfirmAccessAction(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c := b.createCase(t, newCase())
	tr := transition(c, 1, beian.StatusAccessCancelled)
	tr.AccessActions = []beian.AccessAction{{
		Key: "case/" + c.ID + "/cancel/1", Kind: beian.AccessCancel, Reason: "空壳网站，24 小时内未迁回",
		ServerIPs: []string{"198.51.100.7"}, Domains: c.Website.Domains,
	}}
	_, err := b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)
	id := tr.AccessActions[0].ID

	pending, err := b.db.ListAccessActions(b.ctx, beian.AccessPending)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, id, pending[0].ID)
	require.Nil(t, pending[0].ConfirmedAt)

	at := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	a, err := b.db.ConfirmAccessAction(b.ctx, id, "tech:zhou", at, "")
	require.NoError(t, err)
	require.Equal(t, beian.AccessConfirmed, a.Status)
	require.Equal(t, "tech:zhou", a.ConfirmedBy)
	require.True(t, at.Equal(*a.ConfirmedAt))
	require.Equal(t, c.ID, a.CaseID)
	require.Equal(t, "空壳网站，24 小时内未迁回", a.Reason)
	var audited int
	require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FROM audit_log
		WHERE action = 'access_confirmed' AND actor = 'tech:zhou' AND case_id = $1 AND target = $2`, c.ID, "access/"+id).Scan(&audited))
	require.Equal(t, 1, audited, "the confirmation is in the audit trail (issue 12 §3)")

	_, err = b.db.ConfirmAccessAction(b.ctx, id, "tech:wu", at.Add(time.Hour), "")
	require.Equal(t, beian.CodeInvalidState, beian.ErrorCode(err))
	require.Contains(t, beian.ErrorMessage(err), "tech:zhou")

	pending, err = b.db.ListAccessActions(b.ctx, beian.AccessPending)
	require.NoError(t, err)
	require.Empty(t, pending)
	confirmed, err := b.db.ListAccessActions(b.ctx, beian.AccessConfirmed)
	require.NoError(t, err)
	require.Len(t, confirmed, 1)
	require.Equal(t, "tech:zhou", confirmed[0].ConfirmedBy, "the second confirmation changed nothing")
	all, err := b.db.ListAccessActions(b.ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1)

	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	var confirmations []beian.Event
	for _, e := range got.Timeline {
		if e.Event == "access_confirmed" {
			confirmations = append(confirmations, e)
		}
	}
	require.Len(t, confirmations, 1)
	require.Equal(t, "tech:zhou", confirmations[0].Actor)
	require.True(t, at.Equal(confirmations[0].At))
	require.Contains(t, confirmations[0].Detail, "取消接入")

	for _, bad := range []string{"00000000-0000-0000-0000-000000000000", "nope"} {
		_, err = b.db.ConfirmAccessAction(b.ctx, bad, "tech:zhou", at, "")
		require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), bad)
	}
}

// TestTaskUpdates: a transition completes an open task of its case with its
// outcome, once; a done task or another case's task is refused, and then
// the whole transition is not written.
func TestTaskUpdates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	c := b.createCase(t, newCase())
	other := b.createCase(t, newCase())
	_, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{At: at, Event: "materials_complete"},
		Tasks: []beian.Task{{Key: "case/" + c.ID + "/1/verification-call", Kind: beian.TaskVerificationCall, DueAt: at}}})
	require.NoError(t, err)
	tasks, err := b.db.CaseTasks(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	id := tasks[0].ID
	task, err := b.db.GetTask(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, beian.TaskOpen, task.Status)
	require.Nil(t, task.CompletedAt)

	_, err = b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 2, Case: other, Event: beian.Event{At: at, Event: "verified"},
		TaskUpdates: []beian.TaskUpdate{{ID: id, Status: beian.TaskDone, Outcome: `{"result":"match"}`, At: at}}})
	require.Equal(t, beian.CodeInvalidState, beian.ErrorCode(err), "another case's task")

	applied, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 2, Case: c, Event: beian.Event{At: at, Event: "verified"},
		TaskUpdates: []beian.TaskUpdate{{ID: id, Status: beian.TaskDone, Outcome: `{"result":"match"}`, At: at.Add(time.Hour)}}})
	require.NoError(t, err)
	require.True(t, applied)
	task, err = b.db.GetTask(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, beian.TaskDone, task.Status)
	require.JSONEq(t, `{"result":"match"}`, task.Outcome)
	require.True(t, at.Add(time.Hour).Equal(*task.CompletedAt))
	require.Equal(t, c.CaseNo, task.CaseNo)

	_, err = b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 3, Case: c, Event: beian.Event{At: at, Event: "verified"},
		TaskUpdates: []beian.TaskUpdate{{ID: id, Status: beian.TaskDone, Outcome: `{}`, At: at}}})
	require.Equal(t, beian.CodeInvalidState, beian.ErrorCode(err), "a task is completed once")
	fresh, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	for _, e := range fresh.Timeline {
		require.NotEqual(t, 3, e.Seq, "the refused transition wrote nothing")
	}
	_, err = b.db.GetTask(b.ctx, "00000000-0000-4000-8000-000000000000")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
}
