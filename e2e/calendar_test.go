package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCalendarYearPublished (R-BR-1): an override of one day does not make
// its year known; a deadline in 2027 stays provisional until an admin marks
// 2027 published, and GET /calendar/due lists the known years.
func TestCalendarYearPublished(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	due := func() response {
		t.Helper()
		return b.must(200, b.do("GET", "/api/v1/calendar/due?from=2027-01-15&working_days=20", tokSpecialist, nil))
	}
	r := due()
	require.Equal(t, true, r.get("provisional"))
	require.Equal(t, []any{float64(2027)}, r.get("unknown_years"))
	require.Contains(t, r.get("known_years"), float64(2026))
	require.NotContains(t, r.get("known_years"), float64(2027))
	require.Contains(t, r.str("warning"), "已公布")

	// Staff enter one day of 2027: the count uses it, but the year's Spring
	// Festival is still unknown.
	b.must(200, b.do("PUT", "/api/v1/calendar/days/2027-02-08", tokAdmin, map[string]any{"off": true, "name": "春节"}))
	r = due()
	require.Equal(t, true, r.get("provisional"), "one override does not publish the year: %s", r.Raw)
	require.NotContains(t, r.get("known_years"), float64(2027))
	require.Contains(t, r.str("due_at"), "2027-02-15T17:30:00+08:00")
	require.Equal(t, false, b.must(200, b.do("GET", "/api/v1/calendar/days/2027-03-01", tokSpecialist, nil)).get("known"))

	// Only an admin publishes a year, with a boolean.
	require.Equal(t, "FORBIDDEN", b.must(403, b.do("PUT", "/api/v1/calendar/years/2027", tokSupervisor, map[string]any{"published": true})).str("error", "code"))
	b.must(400, b.do("PUT", "/api/v1/calendar/years/2027", tokAdmin, map[string]any{}))
	b.must(400, b.do("PUT", "/api/v1/calendar/years/二〇二七", tokAdmin, map[string]any{"published": true}))
	b.must(400, b.do("PUT", "/api/v1/calendar/years/27", tokAdmin, map[string]any{"published": true}))

	r = b.must(200, b.do("PUT", "/api/v1/calendar/years/2027", tokAdmin, map[string]any{"published": true}))
	require.Equal(t, true, r.get("published"))
	require.Equal(t, true, r.get("known"))
	require.Contains(t, r.get("known_years"), float64(2027))
	require.Equal(t, 1, b.auditCount("calendar.year", "calendar/2027"))

	r = due()
	require.Equal(t, false, r.get("provisional"), "%s", r.Raw)
	require.Empty(t, r.get("unknown_years"))
	require.Nil(t, r.get("warning"))
	require.Contains(t, r.get("known_years"), float64(2027))
	require.Contains(t, r.str("due_at"), "2027-02-15T17:30:00+08:00")
	require.Equal(t, true, b.must(200, b.do("GET", "/api/v1/calendar/days/2027-03-01", tokSpecialist, nil)).get("known"))

	// Taken back, the year is unknown again.
	r = b.must(200, b.do("PUT", "/api/v1/calendar/years/2027", tokAdmin, map[string]any{"published": false}))
	require.Equal(t, false, r.get("known"))
	require.Equal(t, true, due().get("provisional"))
	require.Equal(t, 2, b.auditCount("calendar.year", "calendar/2027"))
}
