// Package outage recognises the errors of a dependency that is down for a
// while — PostgreSQL restarting, Temporal unreachable, a network cut — so
// that the API and the console answer 503 with a Chinese message and a
// stable code (UNAVAILABLE), never a 500 carrying a driver's words.
package outage

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"

	"github.com/beian/beian"
)

// Messages staff read.
const (
	DatabaseMessage = "数据库暂时不可用（可能正在重启或网络中断），请稍后重试；如操作未完成，重试不会重复执行"
	TemporalMessage = "流程引擎（Temporal）暂时不可用，请稍后重试；已提交的操作会在恢复后继续"
)

// Classify returns a CodeUnavailable error for an outage, else nil.
func Classify(err error) *beian.Error {
	switch Dependency(err) {
	case "postgres":
		return &beian.Error{Code: beian.CodeUnavailable, Message: DatabaseMessage}
	case "temporal":
		return &beian.Error{Code: beian.CodeUnavailable, Message: TemporalMessage}
	}
	return nil
}

// Dependency names the dependency an outage error is of ("postgres",
// "temporal"), or "" when err is not an outage.
func Dependency(err error) string {
	if err == nil {
		return ""
	}
	var be *beian.Error
	if errors.As(err, &be) {
		return "" // already a domain error with its own code
	}
	if database(err) {
		return "postgres"
	}
	if temporal(err) {
		return "temporal"
	}
	return ""
}

func database(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01–57P03: admin shutdown, crash
		// shutdown, cannot connect now (the server restarting).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	if pgconn.Timeout(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "closed pool", "failed to connect", "unexpected EOF", "connection reset"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func temporal(err error) bool {
	var un *serviceerror.Unavailable
	var de *serviceerror.DeadlineExceeded
	if errors.As(err, &un) || errors.As(err, &de) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "temporal")
}
