package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// ID and certificate numbers, phone numbers on the blacklist and filing
// passwords are masked in answers (R-BR-2). A supervisor or admin may see
// them in clear with ?reveal=true on a GET, and every such look is audited.
// A revealed answer is never the answer of a write: writes are stored under
// their Idempotency-Key and replayed without asking who looks, so a write
// asking to reveal is refused before it starts.

// wantsReveal reports whether the request asks to see numbers in clear.
func wantsReveal(c echo.Context) bool { return c.QueryParam("reveal") == "true" }

// refuseRevealOnWrite answers 400 to a write with ?reveal=true before
// anything happens: only a GET may reveal, and a write's answer is kept under
// its Idempotency-Key and replayed without an audit entry.
func (s *Server) refuseRevealOnWrite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && wantsReveal(c) {
			return beian.Errorf(beian.CodeInvalid, "reveal=true 只能用于查询（GET）；写操作的答复一律脱敏，请去掉 reveal 参数后重试，再用 GET 查看")
		}
		return next(c)
	}
}
