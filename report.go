package beian

import (
	"context"
	"time"
)

// WeekActivity is what the desk did in one week, as the weekly management
// report counts it: the raw figures the desk turns into the report.
type WeekActivity struct {
	Opened int
	// Events counts the timeline events of the week by name (submitted,
	// bureau_approved, bureau_returned, purged, bureau_overdue).
	Events map[string]int
	// ReturnReasons counts the bureau's return reasons of the week.
	ReturnReasons map[string]int
	// CallOutcomes counts the verification calls completed in the week by
	// outcome ("match", "mismatch", "no_answer", "callback", "false_info",
	// "uncooperative").
	CallOutcomes map[string]int
	// Access are the access actions requested in the week.
	Access []AccessAction
	// OverdueNow is how many cases are past the bureau's 20 working days now.
	OverdueNow int
}

// ReportStore answers the weekly management report.
type ReportStore interface {
	// WeekActivity counts what happened in [from, to).
	WeekActivity(ctx context.Context, from, to time.Time) (*WeekActivity, error)
	// EachTrackingCase streams the cases of f, newest first, filled with
	// what the tracking worksheet shows (R-BR-5) and nothing else.
	EachTrackingCase(ctx context.Context, f CaseFilter, fn func(c *Case) error) error
}
