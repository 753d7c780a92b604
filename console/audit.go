package console

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// The audit page (审计日志, issue 12 §3) reads the hash-chained trail
// with the filters of GET /api/v1/audit, for supervisors and admins.

// auditKindTitles name the kinds as staff read them.
var auditKindTitles = map[string]string{
	beian.AuditState:  "状态变更",
	beian.AuditCase:   "申请操作",
	beian.AuditReveal: "查看完整号码",
	beian.AuditSignIn: "登录",
	beian.AuditAdmin:  "管理修改",
	beian.AuditExport: "导出",
}

// auditView is the data of the audit page.
type auditView struct {
	Filter      url.Values
	Kinds       []choice
	Rows        []auditRow
	Error       string
	First, Next string
}

// auditRow is one record as the page shows it.
type auditRow struct {
	R         beian.AuditRecord
	At        string // to the second, Asia/Shanghai
	KindTitle string
	CaseShort string // the case ID's first 8 digits, when there is one
	Hash      string // the first 12 hex digits; the whole in the title
	FullHash  string
	PrevHash  string
}

var auditFilterKeys = []string{"actor", "case", "kind", "from", "to"}

// auditTimeLayouts are what the page's time fields send (datetime-local,
// or a date typed by hand), read in Asia/Shanghai; RFC 3339 as the API.
var auditTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"}

func parseAuditTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, l := range auditTimeLayouts {
		if t, err := time.ParseInLocation(l, s, desk.Shanghai); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (c *Console) audit(w http.ResponseWriter, r *request) {
	q := r.URL.Query()
	v := auditView{Filter: url.Values{}}
	for _, k := range auditFilterKeys {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Filter.Set(k, x)
		}
	}
	for _, k := range beian.AuditKinds {
		v.Kinds = append(v.Kinds, choice{k, auditKindTitles[k]})
	}
	f := beian.AuditFilter{Actor: v.Filter.Get("actor"), CaseID: v.Filter.Get("case"), Kind: v.Filter.Get("kind"), Cursor: q.Get("cursor"), Limit: 50}
	for _, p := range []struct {
		key, title string
		into       **time.Time
	}{{"from", "起始时间", &f.From}, {"to", "截止时间", &f.To}} {
		s := v.Filter.Get(p.key)
		if s == "" {
			continue
		}
		t, ok := parseAuditTime(s)
		if !ok {
			v.Error = p.title + "应为时间，例如 2026-12-01T09:00 或 2026-12-01"
			c.renderStatus(w, r.Request, r, http.StatusBadRequest, "audit", "审计日志", v)
			return
		}
		*p.into = &t
	}
	page, err := c.svc.AuditTrail(r.Context(), r.who, f)
	if err != nil {
		if code := beian.ErrorCode(err); code == beian.CodeInvalid {
			v.Error = beian.ErrorMessage(err)
			c.renderStatus(w, r.Request, r, statusOf(code), "audit", "审计日志", v)
			return
		}
		c.fail(w, r.Request, r, err)
		return
	}
	for _, rec := range page.Items {
		full := hex.EncodeToString(rec.Hash)
		v.Rows = append(v.Rows, auditRow{R: rec, CaseShort: rec.CaseID[:min(8, len(rec.CaseID))], At: rec.At.In(desk.Shanghai).Format("2006-01-02 15:04:05"), KindTitle: auditKindTitles[rec.Kind], Hash: full[:min(12, len(full))], FullHash: full,
			PrevHash: hex.EncodeToString(rec.PrevHash)})
	}
	v.Next, v.First = pager(Base+"/audit", v.Filter, page.NextCursor, f.Cursor)
	c.render(w, r, "audit", "审计日志", v)
}
