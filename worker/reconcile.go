package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/workflows"
)

// Reconcile starts the workflow of every case still awaiting materials. A
// case is saved before its workflow starts; if Temporal was down at that
// moment the case waits here instead of being forgotten. Starting a running
// workflow again is a no-op (conflict policy use-existing).
func Reconcile(ctx context.Context, store beian.Store, engine *Engine, log *slog.Logger) (started int, err error) {
	f := beian.CaseFilter{Status: beian.StatusAwaitingMaterials, Limit: 200}
	for {
		page, err := store.ListCases(ctx, f)
		if err != nil {
			return started, err
		}
		for i := range page.Items {
			c, err := store.GetCase(ctx, page.Items[i].ID) // with its timeline: InputFor needs the last transition number
			if err != nil {
				log.Warn("reconcile: load case", "case_id", page.Items[i].ID, "error", err.Error())
				continue
			}
			if err := engine.Start(ctx, workflows.InputFor(c)); err != nil {
				log.Warn("reconcile: start workflow", "case_id", c.ID, "error", err.Error())
				continue
			}
			started++
		}
		if page.NextCursor == "" {
			return started, nil
		}
		f.Cursor = page.NextCursor
	}
}

// ReconcileLoop runs Reconcile at start and then every interval until ctx ends.
func ReconcileLoop(ctx context.Context, store beian.Store, engine *Engine, every time.Duration, log *slog.Logger) {
	for {
		if _, err := Reconcile(ctx, store, engine, log); err != nil && ctx.Err() == nil {
			log.Warn("reconcile", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
