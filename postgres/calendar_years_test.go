package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestPublishedYears (R-BR-1): staff mark a year's holiday schedule
// published or not; each change is audited; only published years are listed.
func TestPublishedYears(t *testing.T) {
	t.Parallel()
	b := setup(t)

	years, err := b.db.ListPublishedYears(b.ctx)
	require.NoError(t, err)
	require.Empty(t, years)

	require.NoError(t, b.db.PublishYear(b.ctx, 2028, true, "admin:root"))
	require.NoError(t, b.db.PublishYear(b.ctx, 2027, true, "admin:root"))
	require.NoError(t, b.db.PublishYear(b.ctx, 2029, false, "admin:li"))
	years, err = b.db.ListPublishedYears(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []int{2027, 2028}, years)

	// Taken back, a year is no longer listed; set again, it is.
	require.NoError(t, b.db.PublishYear(b.ctx, 2028, false, "admin:li"))
	years, err = b.db.ListPublishedYears(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []int{2027}, years)
	var by string
	require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT updated_by FROM calendar_years WHERE year = 2028`).Scan(&by))
	require.Equal(t, "admin:li", by)

	for _, y := range []int{0, 27, 10000} {
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(b.db.PublishYear(b.ctx, y, true, "admin:root")), y)
	}
	require.Equal(t, []string{
		"calendar.year calendar/2028 by admin:root",
		"calendar.year calendar/2027 by admin:root",
		"calendar.year calendar/2029 by admin:li",
		"calendar.year calendar/2028 by admin:li",
	}, b.auditActions(t))
}
