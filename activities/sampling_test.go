package activities_test

import (
	"testing"

	"github.com/beian/beian/activities"
	"github.com/beian/beian/calendar"
)

// TestSamplingRuns: the daily sampling works on working days only
// (R-PA-1): not over National Day 2026 (10-01 … 10-07) nor on a Sunday, but
// on the make-up working Saturday 2026-10-10.
func TestSamplingRuns(t *testing.T) {
	cal := calendar.New(nil, nil)
	for day, want := range map[string]bool{
		"2026-09-30": true, "2026-10-01": false, "2026-10-02": false, "2026-10-03": false, "2026-10-04": false,
		"2026-10-05": false, "2026-10-06": false, "2026-10-07": false, "2026-10-08": true, "2026-10-09": true,
		"2026-10-10": true, "2026-10-11": false, "2026-12-01": true, "2026-12-05": false,
	} {
		got, err := activities.SamplingRuns(cal, day)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SamplingRuns(%s) = %v, want %v", day, got, want)
		}
	}
	if _, err := activities.SamplingRuns(cal, "10/10/2026"); err == nil {
		t.Fatal("a malformed day is an error")
	}
}
