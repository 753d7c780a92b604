package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/outage"
)

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	Violations []violationJSON `json:"violations"`
}

type violationJSON struct {
	Rule    string `json:"rule"`
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
	// Overridable: a supervisor may accept it with "overrides" (a judgement
	// rule the manual states as "一般不允许", not a hard rule).
	Overridable bool `json:"overridable,omitempty"`
}

func violationsJSON(vs []beian.Violation) []violationJSON {
	out := make([]violationJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, violationJSON{Rule: v.Rule, Code: v.Code, Field: v.Field, Message: v.Message, Overridable: overridable[v.Code]})
	}
	return out
}

// httpStatus maps a domain error code to HTTP (desk.HTTPStatus, shared
// with the console).
func httpStatus(code string) int { return desk.HTTPStatus(code) }

// handleError is the one error handler: domain errors keep their code and
// Chinese message; anything else is logged and answered as INTERNAL without details.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	body := errorBody{Error: errorJSON{Violations: []violationJSON{}}}
	status := http.StatusInternalServerError
	if o := outage.Classify(err); o != nil {
		// Postgres restarting, Temporal unreachable: 503 in Chinese, never
		// a 500 with a driver's words; logged with the cause.
		s.d.Logger.WarnContext(c.Request().Context(), "dependency unavailable", "error", err.Error(), slog.String("request_id", requestIDOf(c)))
		c.Response().Header().Set("Retry-After", "5")
		s.d.HTTP.Outage(outage.Dependency(err))
		err = o
	}
	var be *beian.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &be):
		status = httpStatus(be.Code)
		body.Error.Code, body.Error.Message = be.Code, be.Message
		body.Error.Violations = violationsJSON(be.Violations)
	case errors.As(err, &he):
		status = he.Code
		body.Error.Code, body.Error.Message = echoCode(he.Code), echoMessage(he)
	default:
		body.Error.Code, body.Error.Message = beian.CodeInternal, beian.ErrorMessage(err)
	}
	if status >= 500 {
		s.d.Logger.ErrorContext(c.Request().Context(), "request failed", "error", err.Error(),
			slog.String("request_id", requestIDOf(c)))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

func echoCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return beian.CodeNotFound
	case http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED"
	case http.StatusRequestEntityTooLarge:
		return beian.CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return beian.CodeUnsupportedType
	case http.StatusBadRequest:
		return beian.CodeInvalid
	}
	return beian.CodeInternal
}

func echoMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "没有这个接口"
	case http.StatusMethodNotAllowed:
		return "该接口不支持此请求方法"
	}
	return fmt.Sprint(he.Message)
}

// recover turns a panic into a 500 and logs its stack.
func (s *Server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.d.Logger.Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()), "request_id", requestIDOf(c))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}
