package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestSponsorOneApplicationAtATime (R-IN-5): of concurrent creates for one
// sponsor, exactly one succeeds; the others get SPONSOR_CONFLICT naming it.
// Once that application ends, the sponsor may apply again.
func TestSponsorOneApplicationAtATime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	cases := make([]*beian.Case, n)
	for i := 0; i < n; i++ {
		cases[i] = newCase()
		cases[i].Sponsor.CertNumber = "91350100M000100Y43"
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = b.db.CreateCase(b.ctx, cases[i])
		}(i)
	}
	wg.Wait()
	var won *beian.Case
	for i, err := range errs {
		if err == nil {
			require.Nil(t, won, "two applications in progress for one sponsor")
			won = cases[i]
			continue
		}
		require.Equal(t, beian.CodeSponsorConflict, beian.ErrorCode(err), err.Error())
	}
	require.NotNil(t, won)
	for _, err := range errs {
		if err != nil {
			require.Contains(t, err.Error(), won.CaseNo)
		}
	}

	// A filing on record (approved) no longer blocks a new application.
	won.Status = beian.StatusApproved
	applied, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: won, Event: beian.Event{Seq: 1, At: won.CreatedAt, Event: "bureau_approved"}})
	require.NoError(t, err)
	require.True(t, applied)
	again := newCase()
	again.Sponsor.CertNumber = "91350100M000100Y43"
	require.NoError(t, b.db.CreateCase(b.ctx, again))
}

// TestEndedCaseClosesItsTasks: a withdrawn case leaves no open verification
// call in the staff's task list.
func TestEndedCaseClosesItsTasks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.createCase(t, newCase())
	c.Status = beian.StatusUnderReview
	_, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{Seq: 1, At: c.CreatedAt, Event: "materials_complete"},
		Tasks: []beian.Task{{Key: "case/" + c.ID + "/1/verification-call", Kind: beian.TaskVerificationCall, CaseID: c.ID, DueAt: c.CreatedAt}}})
	require.NoError(t, err)
	open, err := b.db.ListTasks(b.ctx, beian.TaskVerificationCall, beian.TaskOpen)
	require.NoError(t, err)
	require.Len(t, open, 1)

	c.Status = beian.StatusWithdrawn
	_, err = b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 2, Case: c, Event: beian.Event{Seq: 2, At: c.CreatedAt, Event: "withdrawn"}})
	require.NoError(t, err)
	open, err = b.db.ListTasks(b.ctx, beian.TaskVerificationCall, beian.TaskOpen)
	require.NoError(t, err)
	require.Empty(t, open)
}

// TestClaimMail: one sender at a time per outbox key; a sent mail is not
// claimed again; a released or expired claim can be taken.
func TestClaimMail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.createCase(t, newCase())
	key := "case/" + c.ID + "/1/receipt"
	_, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{Seq: 1, At: c.CreatedAt, Event: "receipt_sent"},
		Mails: []beian.Mail{{Key: key, CaseID: c.ID, To: []string{"a@example.net"}, Subject: "s", Body: "b"}}})
	require.NoError(t, err)

	claimed, sent, err := b.db.ClaimMail(b.ctx, key, time.Minute)
	require.NoError(t, err)
	require.True(t, claimed)
	require.False(t, sent)
	claimed, _, err = b.db.ClaimMail(b.ctx, key, time.Minute)
	require.NoError(t, err)
	require.False(t, claimed, "held by the first sender")
	claimed, _, err = b.db.ClaimMail(b.ctx, key, 0)
	require.NoError(t, err)
	require.True(t, claimed, "a claim past its lease is taken over")

	require.NoError(t, b.db.ReleaseMail(b.ctx, key))
	claimed, _, err = b.db.ClaimMail(b.ctx, key, time.Minute)
	require.NoError(t, err)
	require.True(t, claimed, "released after a failed send")

	require.NoError(t, b.db.MarkMailSent(b.ctx, key, time.Now()))
	claimed, sent, err = b.db.ClaimMail(b.ctx, key, 0)
	require.NoError(t, err)
	require.False(t, claimed)
	require.True(t, sent)
}

// TestOneApplicationPerLiveFiling: of concurrent change/cancel cases on one
// live filing (different sponsors' certificates), exactly one is created.
func TestOneApplicationPerLiveFiling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := newCase()
	live.Status = beian.StatusApproved
	live.FilingNumber = "苏ICP备1号-1"
	b.createCase(t, live)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		c := newCase() // its own sponsor certificate
		c.Type, c.LinkedCaseID, c.FilingNumber = beian.TypeCancel, live.ID, live.FilingNumber
		c.Website.Domains = live.Website.Domains
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = b.db.CreateCase(b.ctx, c)
		}(i)
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		if err == nil {
			created++
			continue
		}
		require.Equal(t, beian.CodeConflict, beian.ErrorCode(err), err.Error())
	}
	require.Equal(t, 1, created)
}
