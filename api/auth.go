package api

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// Roles of API callers (beian.Role…).
const (
	RoleSpecialist = beian.RoleSpecialist // 备案专员
	RoleSupervisor = beian.RoleSupervisor // 主管
	RoleTech       = beian.RoleTech       // 技术部
	RoleBureau     = beian.RoleBureau     // the system that reports bureau results
	RoleAdmin      = beian.RoleAdmin      // everything
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

// actor is the caller as the desk's services know it.
func (s *Server) actor(c echo.Context) desk.Actor {
	t := caller(c)
	return desk.Actor{Name: t.Name, Role: t.Role}
}

// authenticate checks the bearer token (401 without a valid one). Without
// an Authorization header, a console session cookie is accepted as its staff
// member; a write with the cookie must also carry the session's CSRF token
// in X-CSRF-Token, exactly as a console form does.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		if h == "" {
			if ck, err := c.Cookie(desk.SessionCookie); err == nil && ck.Value != "" {
				return s.authenticateSession(c, ck.Value, next)
			}
		}
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

// authenticateSession admits the staff member of a console session.
func (s *Server) authenticateSession(c echo.Context, token string, next echo.HandlerFunc) error {
	sess, st, err := s.desk.SessionFor(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if sess == nil {
		return beian.Errorf(beian.CodeUnauthorized, "登录已过期或已退出，请重新登录")
	}
	if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
		if !desk.ValidCSRF(sess, c.Request().Header.Get("X-CSRF-Token")) {
			return beian.Errorf(beian.CodeForbidden, "缺少或错误的 CSRF 令牌（X-CSRF-Token）：以登录会话调用接口的写操作须附带该令牌")
		}
	}
	c.Set(ctxCaller, Token{Name: st.Username, Role: st.Role})
	return next(c)
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
