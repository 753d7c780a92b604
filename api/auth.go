package api

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// Roles of API callers.
const (
	RoleSpecialist = "specialist" // 备案专员
	RoleSupervisor = "supervisor" // 主管
	RoleTech       = "tech"       // 技术部
	RoleBureau     = "bureau"     // the system that reports bureau results
	RoleAdmin      = "admin"      // everything
)

// Token is one API credential from BEIAN_API_TOKENS.
type Token struct {
	Name  string
	Role  string
	Token string
}

// ParseTokens parses BEIAN_API_TOKENS: a comma-separated list of name:role:token.
func ParseTokens(s string) ([]Token, error) {
	var out []Token
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.SplitN(part, ":", 3)
		if len(f) != 3 || f[0] == "" || f[2] == "" {
			return nil, fmt.Errorf("BEIAN_API_TOKENS: entry %q is not name:role:token", redact(part))
		}
		switch f[1] {
		case RoleSpecialist, RoleSupervisor, RoleTech, RoleBureau, RoleAdmin:
		default:
			return nil, fmt.Errorf("BEIAN_API_TOKENS: entry for %q has unknown role %q", f[0], f[1])
		}
		out = append(out, Token{Name: f[0], Role: f[1], Token: f[2]})
	}
	return out, nil
}

// redact keeps a token out of error messages: of name:role:token it keeps
// name and role only. A token may itself contain colons, so what follows the
// second colon is dropped whole, not just what follows the last one. Of an
// entry with one colon it keeps the name only (the rest may be a token given
// without its role), and of an entry without a colon nothing.
func redact(entry string) string {
	f := strings.SplitN(entry, ":", 3)
	switch len(f) {
	case 3:
		return f[0] + ":" + f[1] + ":…"
	case 2:
		return f[0] + ":…"
	}
	return "…"
}

const ctxCaller = "caller"

// caller is the authenticated token of the request.
func caller(c echo.Context) Token {
	t, _ := c.Get(ctxCaller).(Token)
	return t
}

// authenticate checks the bearer token (401 without a valid one).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return beian.Errorf(beian.CodeUnauthorized, "缺少访问令牌（Authorization: Bearer <token>）")
		}
		for _, t := range s.d.Tokens {
			if subtle.ConstantTimeCompare([]byte(t.Token), []byte(tok)) == 1 {
				c.Set(ctxCaller, t)
				return next(c)
			}
		}
		return beian.Errorf(beian.CodeUnauthorized, "访问令牌无效")
	}
}

// allow admits the given roles and admin (403 for any other role).
func allow(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := caller(c).Role
			if r == RoleAdmin {
				return next(c)
			}
			for _, x := range roles {
				if x == r {
					return next(c)
				}
			}
			return beian.Errorf(beian.CodeForbidden, "角色「%s」无权执行此操作", r)
		}
	}
}

// metricsAuth guards /metrics with METRICS_TOKEN when one is configured.
func (s *Server) metricsAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.d.MetricsToken == "" {
			return next(c)
		}
		tok, _ := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.d.MetricsToken)) != 1 {
			return beian.Errorf(beian.CodeUnauthorized, "/metrics 需要 METRICS_TOKEN")
		}
		return next(c)
	}
}
