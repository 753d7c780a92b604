package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/postgres/pgtest"
)

// TestTryLeadership: one holder of a name at a time; given up, the next
// caller takes it.
func TestTryLeadership(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ok, lost, err := db.TryLeadership(ctx1, "imap:JSBA")
	require.NoError(t, err)
	require.True(t, ok)
	ok2, _, err := db.TryLeadership(context.Background(), "imap:JSBA")
	require.NoError(t, err)
	require.False(t, ok2, "held by the first")
	ctx3, cancel3 := context.WithCancel(context.Background())
	defer cancel3()
	ok3, _, err := db.TryLeadership(ctx3, "imap:AHBA")
	require.NoError(t, err)
	require.True(t, ok3, "another name is free")
	cancel1()
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("not released")
	}
	ctx4, cancel4 := context.WithCancel(context.Background())
	ok4, lost4, err := db.TryLeadership(ctx4, "imap:JSBA")
	require.NoError(t, err)
	require.True(t, ok4, "taken over once given up")
	cancel4()
	cancel3()
	<-lost4 // connections back in the pool before it closes
}
