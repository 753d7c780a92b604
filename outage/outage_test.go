package outage_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"

	"github.com/beian/beian"
	"github.com/beian/beian/outage"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"refused":        fmt.Errorf("get case: %w", &net_OpError{syscall.ECONNREFUSED}),
		"admin shutdown": fmt.Errorf("list: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}),
		"conn exception": &pgconn.PgError{Code: "08006"},
		"closed":         errors.New("save transition: conn closed"),
		"temporal":       fmt.Errorf("temporal: %w", serviceerror.NewUnavailable("connection refused")),
	} {
		be := outage.Classify(err)
		if be == nil || be.Code != beian.CodeUnavailable {
			t.Errorf("%s: %v not an outage", name, err)
		}
	}
	for name, err := range map[string]error{
		"unique":  &pgconn.PgError{Code: "23505"},
		"domain":  beian.Errorf(beian.CodeNotFound, "不存在"),
		"plain":   errors.New("boom"),
		"nothing": nil,
	} {
		if be := outage.Classify(err); be != nil {
			t.Errorf("%s: %v taken for an outage", name, err)
		}
	}
}

// net_OpError wraps an errno as the net package does, without a socket.
type net_OpError struct{ errno syscall.Errno }

func (e *net_OpError) Error() string { return "dial tcp 127.0.0.1:5432: " + e.errno.Error() }
func (e *net_OpError) Unwrap() error { return e.errno }
