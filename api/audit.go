package api

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// auditJSON is one row of the audit trail (issue 12 §3) as api.md shows
// it: the entry, its place in the chain and the hashes linking it, in hex.
type auditJSON struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	CaseID   string    `json:"case_id,omitempty"`
	Target   string    `json:"target"`
	Detail   string    `json:"detail"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

func auditToJSON(r beian.AuditRecord) auditJSON {
	return auditJSON{ID: r.ID, At: r.At.In(shanghai), Kind: r.Kind, Actor: r.Actor, Action: r.Action, CaseID: r.CaseID,
		Target: r.Target, Detail: r.Detail, PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash)}
}

// auditFilter reads the trail's filters from the query: actor, case (a
// case ID), kind, from and to (RFC 3339; from inclusive, to exclusive),
// limit (1–200) and cursor. A bad value is a 400 naming it.
func auditFilter(c echo.Context) (beian.AuditFilter, error) {
	f := beian.AuditFilter{Actor: c.QueryParam("actor"), CaseID: c.QueryParam("case"), Kind: c.QueryParam("kind"), Cursor: c.QueryParam("cursor")}
	for _, p := range []struct {
		name string
		into **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, beian.Errorf(beian.CodeInvalid, "%s 应为 RFC 3339 时间，例如 2026-12-01T00:00:00+08:00", p.name)
		}
		*p.into = &t
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return f, beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 200 之间的整数")
		}
		f.Limit = n
	}
	return f, nil
}

// listAudit pages the audit trail newest first (supervisor, admin).
func (s *Server) listAudit(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	page, err := s.desk.AuditTrail(c.Request().Context(), s.actor(c), f)
	if err != nil {
		return err
	}
	out := listJSON[auditJSON]{Items: []auditJSON{}, NextCursor: page.NextCursor}
	for _, r := range page.Items {
		out.Items = append(out.Items, auditToJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}
