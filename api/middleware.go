package api

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

const (
	ctxRequestID = "request_id"
	ctxCaseID    = "case_id"
	maxBody      = 1 << 20 // JSON bodies; uploads have their own limit
)

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// requestID takes X-Request-ID from the caller or makes one, and echoes it.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Response().Header().Set("X-Request-ID", id)
		return next(c)
	}
}

// logAndMeasure writes one JSON log line per request (request, case and
// workflow IDs, never a secret) and records HTTP metrics.
func (s *Server) logAndMeasure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		d := time.Since(start)
		status := c.Response().Status
		route := c.Path()
		if s.d.HTTP != nil {
			s.d.HTTP.Observe(c.Request().Method, route, status, d)
		}
		attrs := []any{
			"request_id", requestIDOf(c), "method", c.Request().Method, "route", route,
			"status", status, "duration_ms", d.Milliseconds(), "caller", caller(c).Name,
		}
		if id, ok := c.Get(ctxCaseID).(string); ok && id != "" {
			attrs = append(attrs, "case_id", id, "workflow_id", "filing-"+id)
		}
		s.d.Logger.InfoContext(c.Request().Context(), "http", attrs...)
		return nil
	}
}

// idempotency replays the first answer to a write repeated with the same
// Idempotency-Key and body within 24 hours, and refuses the key with another body.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		key := req.Header.Get("Idempotency-Key")
		if key == "" || req.Method == http.MethodGet || req.Method == http.MethodHead {
			return next(c)
		}
		if p := c.Path(); p == "/api/v1/staff" || strings.HasPrefix(p, "/api/v1/staff/") {
			// Staff bodies carry passwords: no hash of one is kept for 24
			// hours. These writes are safe to repeat without a key (a second
			// create is a 409, a password set twice is the same password).
			return next(c)
		}
		if len(key) > 200 {
			return beian.Errorf(beian.CodeInvalid, "Idempotency-Key 过长（最多200个字符）")
		}
		// The whole body is hashed, up to the route's own limit: a JSON body
		// up to 1 MiB, an upload up to 10 MiB and its framing.
		// A body over the limit is refused here, as the handler would.
		limit, tooLarge := bodyLimit(c.Path()) // issue 12 §6: the route's limit (limits.go)
		if req.ContentLength > limit {
			return beian.Errorf(beian.CodeTooLarge, "%s", tooLarge)
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return beian.Errorf(beian.CodeTooLarge, "%s", tooLarge)
		}
		if err != nil {
			return beian.Errorf(beian.CodeInvalid, "读取请求体失败")
		}
		if int64(len(body)) > limit {
			return beian.Errorf(beian.CodeTooLarge, "%s", tooLarge)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(req.Method + " " + req.URL.RequestURI() + "\n"))
		writeBody(h, req, body)
		hash := hex.EncodeToString(h.Sum(nil))
		actor := caller(c).Name
		ctx := req.Context()
		prev, err := s.desk.Store.GetIdempotent(ctx, key, actor)
		if err != nil {
			return err
		}
		if prev != nil {
			if prev.BodyHash != hash {
				return beian.Errorf(beian.CodeIdempotencyReuse, "Idempotency-Key「%s」已用于另一个请求，请换一个", key)
			}
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.Blob(prev.Status, echo.MIMEApplicationJSONCharsetUTF8, prev.Body)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		if status < 500 {
			if err := s.desk.Store.SaveIdempotent(ctx, beian.IdempotentResponse{
				Key: key, Actor: actor, BodyHash: hash, Status: status, Body: rec.buf.Bytes(), At: s.desk.Now(),
			}); err != nil {
				s.d.Logger.Error("save idempotent response", "error", err, "request_id", requestIDOf(c))
			}
		}
		return nil
	}
}

// isMultipart reports whether the request body is multipart/form-data (an upload).
func isMultipart(req *http.Request) bool {
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	return err == nil && mt == echo.MIMEMultipartForm
}

// writeBody writes what identifies the request body to the hash h. A
// multipart body is written part by part (field name, file name, content
// type, content) without its boundary, which clients choose at random on
// each send, so that a retried upload of the same file is the same request.
// Any other body, or a multipart body that does not parse, is written as it is.
func writeBody(h hash.Hash, req *http.Request, body []byte) {
	_, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if !isMultipart(req) || err != nil || params["boundary"] == "" {
		h.Write(body)
		return
	}
	canonical := sha256.New()
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.Write(body)
			return
		}
		fmt.Fprintf(canonical, "%q %q %q\n", p.FormName(), p.FileName(), p.Header.Get(echo.HeaderContentType))
		n, err := io.Copy(canonical, p)
		if err != nil {
			h.Write(body)
			return
		}
		fmt.Fprintf(canonical, "\n%d\n", n)
	}
	h.Write([]byte("multipart\n"))
	h.Write(canonical.Sum(nil))
}

// recorder keeps a copy of the response body.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
