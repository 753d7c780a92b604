package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/mail"
	"github.com/beian/beian/postgres/pgtest"
)

func newCase() *beian.Case {
	return &beian.Case{
		Type: beian.TypeNew, Status: beian.StatusAwaitingMaterials,
		Sponsor:   beian.Sponsor{Kind: beian.SponsorPerson, Name: "张三", CertType: beian.CertIDCard, CertNumber: "11010519491231002X", Province: "江苏"},
		Principal: beian.Principal{Name: "张三", Email: "zhangsan@example.net"},
		Website:   beian.Website{Domains: []string{"activity-test.cn"}, ServerIPs: []string{"198.51.100.7"}},
		CreatedBy: "test",
	}
}

// TestSendMailOnce: a mail is sent once; a retry after success sends nothing.
func TestSendMailOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cat, sender := stack.Mailer(t)
	c := newCase()
	require.NoError(t, db.CreateCase(ctx, c))
	_, err := db.SaveTransition(ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{Seq: 1, At: time.Now(), Event: "receipt_sent"},
		Mails: []beian.Mail{{Key: "case/" + c.ID + "/1/receipt", CaseID: c.ID, To: []string{"zhangsan@example.net"}, Subject: "已受理", Body: "正文"}}})
	require.NoError(t, err)
	a := &activities.Activities{Store: db, Mailer: sender}
	require.NoError(t, a.SendMail(ctx, "case/"+c.ID+"/1/receipt"))
	require.NoError(t, a.SendMail(ctx, "case/"+c.ID+"/1/receipt"))
	require.Len(t, cat.Messages(), 1)
}

// TestSendMailPermanentFailure: an address the server refuses (550) is not
// retried for ever: the activity fails for good and the timeline says why.
func TestSendMailPermanentFailure(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg, err := mail.ParseURL("smtp://" + stack.RejectingSMTP(t, "550") + "?starttls=none")
	require.NoError(t, err)
	sender, err := mail.NewSender(cfg, "beian@test.local")
	require.NoError(t, err)
	c := newCase()
	require.NoError(t, db.CreateCase(ctx, c))
	key := "case/" + c.ID + "/1/receipt"
	_, err = db.SaveTransition(ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{Seq: 1, At: time.Now(), Event: "receipt_sent"},
		Mails: []beian.Mail{{Key: key, CaseID: c.ID, To: []string{"nobody@example.net"}, Subject: "已受理", Body: "正文"}}})
	require.NoError(t, err)

	err = (&activities.Activities{Store: db, Mailer: sender}).SendMail(ctx, key)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.True(t, appErr.NonRetryable())
	got, err := db.GetCase(ctx, c.ID)
	require.NoError(t, err)
	var failed bool
	for _, e := range got.Timeline {
		failed = failed || e.Event == "mail_failed"
	}
	require.True(t, failed, "the timeline tells staff the mail could not be delivered")

	// A temporary rejection (451) stays retryable.
	cfg, err = mail.ParseURL("smtp://" + stack.RejectingSMTP(t, "451") + "?starttls=none")
	require.NoError(t, err)
	sender, err = mail.NewSender(cfg, "beian@test.local")
	require.NoError(t, err)
	err = (&activities.Activities{Store: db, Mailer: sender}).SendMail(ctx, key)
	require.Error(t, err)
	require.False(t, errors.As(err, &appErr) && appErr.NonRetryable())
}

// TestSendMailConcurrentAttemptsSendOnce: two attempts at one key at the
// same time (a retry racing a carried-over send) deliver one mail.
func TestSendMailConcurrentAttemptsSendOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cat, sender := stack.Mailer(t)
	c := newCase()
	require.NoError(t, db.CreateCase(ctx, c))
	key := "case/" + c.ID + "/1/receipt"
	_, err := db.SaveTransition(ctx, &beian.Transition{Seq: 1, Case: c, Event: beian.Event{Seq: 1, At: time.Now(), Event: "receipt_sent"},
		Mails: []beian.Mail{{Key: key, CaseID: c.ID, To: []string{"zhangsan@example.net"}, Subject: "已受理", Body: "正文"}}})
	require.NoError(t, err)
	a := &activities.Activities{Store: db, Mailer: slowMailer{sender}}
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() { errs <- a.SendMail(ctx, key) }()
	}
	ok := 0
	for i := 0; i < 4; i++ {
		if <-errs == nil {
			ok++
		}
	}
	require.GreaterOrEqual(t, ok, 1)
	require.NoError(t, a.SendMail(ctx, key), "once sent, a retry succeeds without sending")
	require.Equal(t, 1, len(cat.Messages()), "mails delivered")
}

// slowMailer is the real sender with a pause before each send, so that
// concurrent attempts overlap for certain.
type slowMailer struct{ inner *mail.Sender }

func (m slowMailer) Send(ctx context.Context, x beian.Mail) error {
	time.Sleep(300 * time.Millisecond)
	return m.inner.Send(ctx, x)
}
