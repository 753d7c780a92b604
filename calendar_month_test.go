package beian_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestAddMonths: the stale purge comes one calendar month after creation (R-RV-5).
func TestAddMonths(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct{ from, want string }{
		{"2026-11-27 10:00", "2026-12-27 10:00"},
		{"2026-01-31 09:30", "2026-02-28 09:30"},
		{"2028-01-31 09:30", "2028-02-29 09:30"}, // leap year
		{"2026-12-15 23:59", "2027-01-15 23:59"}, // year boundary
		{"2026-03-31 08:00", "2026-04-30 08:00"},
	} {
		from, _ := time.ParseInLocation("2006-01-02 15:04", tc.from, sh)
		got := beian.AddMonths(from, 1).Format("2006-01-02 15:04")
		require.Equal(t, tc.want, got, "from %s", tc.from)
	}
}
