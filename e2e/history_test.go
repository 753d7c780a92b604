package e2e_test

import (
	"context"
	"os"
	"path/filepath"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/beian/beian/internal/testenv"
	"github.com/beian/beian/workflows"
)

// history fetches the full event history of a case's workflow.
func (b *bundle) history(caseID string) *historypb.History {
	b.t.Helper()
	it := b.tc.GetWorkflowHistory(context.Background(), workflows.WorkflowID(caseID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(b.t, err)
		h.Events = append(h.Events, e)
	}
	return h
}

// requireNoOpenTimers asserts that every timer the workflow started has
// fired or been cancelled: no stray timer is left behind.
func (b *bundle) requireNoOpenTimers(h *historypb.History) {
	b.t.Helper()
	require.Empty(b.t, openTimers(h), "timers left running")
}

// requireOpenTimers fails unless exactly n timers are still running.
func (b *bundle) requireOpenTimers(h *historypb.History, n int) {
	b.t.Helper()
	require.Len(b.t, openTimers(h), n, "timers left running")
}

func openTimers(h *historypb.History) map[int64]string {
	open := map[int64]string{}
	for _, e := range h.Events {
		switch e.EventType {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			open[e.EventId] = e.GetTimerStartedEventAttributes().GetTimerId()
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			delete(open, e.GetTimerFiredEventAttributes().GetStartedEventId())
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			delete(open, e.GetTimerCanceledEventAttributes().GetStartedEventId())
		}
	}
	return open
}

// saveHistory writes the history for the replay test when
// BEIAN_WRITE_HISTORY=1 (run once after a deliberate workflow change).
func (b *bundle) saveHistory(h *historypb.History, name string) {
	if os.Getenv("BEIAN_WRITE_HISTORY") != "1" {
		return
	}
	j, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(b.t, err)
	path := filepath.Join(testenv.RepoRoot(b.t), "workflows", "testdata", name)
	require.NoError(b.t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(b.t, os.WriteFile(path, j, 0o644))
	b.t.Logf("wrote %s (%d events)", path, len(h.Events))
}
