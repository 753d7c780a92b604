package beian

import (
	"errors"
	"fmt"
)

// Error codes: stable English identifiers, mapped to HTTP in one place (api).
const (
	CodeInvalid          = "INVALID"          // malformed input: 400
	CodeUnauthorized     = "UNAUTHORIZED"     // 401
	CodeForbidden        = "FORBIDDEN"        // 403
	CodeNotFound         = "NOT_FOUND"        // 404
	CodeConflict         = "CONFLICT"         // 409
	CodeInvalidState     = "INVALID_STATE"    // 409: the case's status does not allow the action
	CodeDomainConflict   = "DOMAIN_CONFLICT"  // 409, R-IN-5
	CodeSponsorConflict  = "SPONSOR_CONFLICT" // 409, R-IN-5
	CodeDomainElsewhere  = "DOMAIN_ELSEWHERE" // 409, R-RV-2: a domain resolves to another provider's IP
	CodeIdempotencyReuse = "IDEMPOTENCY_KEY_REUSED"
	CodeViolations       = "RULE_VIOLATIONS"  // 422
	CodeTooLarge         = "TOO_LARGE"        // 413
	CodeUnsupportedType  = "UNSUPPORTED_TYPE" // 415
	CodeCalendarNoData   = "CALENDAR_NO_DATA" // 422: a date in a year without holiday data
	CodeRateLimited      = "RATE_LIMITED"     // 429: too many failed sign-ins
	CodeUnavailable      = "UNAVAILABLE"      // 503
	CodeInternal         = "INTERNAL"         // 500
)

// Violation is one broken rule, named by its ID in requirements.md.
type Violation struct {
	Rule    string
	Code    string
	Field   string
	Message string // Chinese, for staff
}

// Error is the one error type of the domain: a stable code, a Chinese message
// for staff, and the rule violations when there are any.
type Error struct {
	Code       string
	Message    string
	Violations []Violation
}

func (e *Error) Error() string {
	if len(e.Violations) > 0 {
		return fmt.Sprintf("%s: %s (%d violations)", e.Code, e.Message, len(e.Violations))
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, or CodeInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the staff message of the *Error in err's chain, or a
// generic one that leaks nothing.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "内部错误，请稍后重试或联系管理员"
}

// NonRetryableCodes are the codes of errors that a retry cannot fix.
var NonRetryableCodes = []string{
	CodeInvalid, CodeNotFound, CodeConflict, CodeInvalidState, CodeDomainConflict,
	CodeSponsorConflict, CodeViolations, CodeCalendarNoData,
}
