package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// Input bounds (issue 12 §6). Every request body is read through a
// http.MaxBytesReader of its route's limit (limitBody), and every JSON body
// through decodeJSON, which refuses what no form of ours needs: nesting
// deeper than maxJSONDepth, a string longer than maxJSONString, a number
// longer than maxJSONNumber. The per-field rules of intake and desk still
// apply after that; these bounds only keep a hostile body from costing
// memory and CPU before those rules run.
const (
	// maxJSONDepth is the deepest nesting of objects and arrays a JSON body
	// may have. The deepest body of the contract (a filing: sponsor →
	// legal_rep, website → pre_approvals → item) is 3 deep.
	maxJSONDepth = 32
	// maxJSONString is the longest string (in UTF-8 bytes) of a JSON body:
	// a mail reply's text is the longest field we take, far below it.
	maxJSONString = 64 << 10
	// maxJSONNumber is the longest number literal: no field takes more
	// than a year or a count, and a number of a million digits is slow to
	// convert.
	maxJSONNumber = 64
)

// uploadRoutes are the routes whose body is a spreadsheet upload
// (multipart/form-data, limit maxUploadBody); every other API route takes
// a JSON body of at most maxBody or none.
var uploadRoutes = map[string]bool{
	"/api/v1/imports/customers":         true,
	"/api/v1/imports/registration-form": true,
	"/api/v1/imports/security-sheet":    true,
}

// bodyLimit is the largest body the route path (Echo's route, e.g.
// /api/v1/filings/:id) accepts, and the Chinese message of a 413 over it.
func bodyLimit(path string) (int64, string) {
	switch {
	case uploadRoutes[path]:
		return maxUploadBody, "上传的文件超过 10 MiB"
	case path == "/console" || strings.HasPrefix(path, "/console/"):
		// The console caps its own forms (1 MiB, an upload 11 MiB) and
		// answers with a page; this is only the backstop.
		return maxUploadBody, "请求体超过 11 MiB"
	}
	return maxBody, "请求体超过 1 MiB"
}

// maxParam is the longest query value or path parameter: IDs, dates,
// filters and cursors are far shorter.
const maxParam = 4 << 10

// checkParams refuses a query value or path parameter that PostgreSQL
// could not compare with text (a NUL character, bytes that are not UTF-8)
// or that is longer than maxParam: 400 naming the parameter, where it
// would otherwise reach the store and fail there as a 500.
func checkParams(c echo.Context) error {
	bad := func(v string) string {
		switch {
		case len(v) > maxParam:
			return fmt.Sprintf("过长（最多 %d 字节）", maxParam)
		case !utf8.ValidString(v):
			return "不是有效的 UTF-8 编码"
		case strings.IndexByte(v, 0) >= 0:
			return "含有空字符（\\u0000）"
		}
		return ""
	}
	for i, name := range c.ParamNames() {
		if i < len(c.ParamValues()) {
			if why := bad(c.ParamValues()[i]); why != "" {
				return beian.Errorf(beian.CodeInvalid, "路径参数 %s %s", name, why)
			}
		}
	}
	for name, vs := range c.QueryParams() {
		if why := bad(name); why != "" {
			return beian.Errorf(beian.CodeInvalid, "查询参数的名称%s", why)
		}
		for _, v := range vs {
			if why := bad(v); why != "" {
				return beian.Errorf(beian.CodeInvalid, "查询参数 %s %s", name, why)
			}
		}
	}
	return nil
}

// limitBody checks the query and path parameters of every API route
// (checkParams) and caps the request body of every route at its limit: a body whose
// Content-Length says it is larger is refused with 413 before anything
// reads it; a body without one (chunked) is cut at the limit, and the
// handler's read fails with *http.MaxBytesError, which decodeJSON and
// uploadedFile answer with the same 413. Nothing is saved then: every
// handler reads its whole body before it writes.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		console := strings.HasPrefix(c.Path(), "/console")
		if !console { // the console checks its own (console.checkText)
			if err := checkParams(c); err != nil {
				return err
			}
		}
		if req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		limit, msg := bodyLimit(c.Path())
		// The console answers with its own error page (parseForm), so it
		// is only cut, never refused here with JSON.
		if !console && req.ContentLength > limit {
			return beian.Errorf(beian.CodeTooLarge, "%s", msg)
		}
		// The server's own ResponseWriter, so that net/http closes the
		// connection after a 413 instead of reading the rest of the body.
		req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
		return next(c)
	}
}
