package mail_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/mail"
)

// TestPermanent: a 5xx rejection is permanent (not retried for ever), a
// 4xx answer or a connection failure is temporary.
func TestPermanent(t *testing.T) {
	require.False(t, mail.Permanent(nil))
	require.False(t, mail.Permanent(errors.New("dial tcp 127.0.0.1:1: connect: connection refused")))
	require.False(t, mail.Permanent(fmt.Errorf("send: %w", context.DeadlineExceeded)))

	send := func(code string) error {
		cfg, err := mail.ParseURL("smtp://" + stack.RejectingSMTP(t, code) + "?starttls=none")
		require.NoError(t, err)
		s, err := mail.NewSender(cfg, "beian@test.local")
		require.NoError(t, err)
		return s.Send(context.Background(), beian.Mail{Key: "k", To: []string{"nobody@example.net"}, Subject: "s", Body: "b"})
	}
	err := send("550")
	require.Error(t, err)
	require.True(t, mail.Permanent(err), "550: %v", err)
	err = send("451")
	require.Error(t, err)
	require.False(t, mail.Permanent(err), "451: %v", err)
}
