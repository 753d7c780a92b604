// Package console is the staff console (工作台): server-rendered pages in
// Chinese for the filing specialists, their supervisor, tech and admins,
// over the same services as the REST API (package desk). It is plain
// net/http with html/template and go:embed; the API server mounts it at
// /console/. No business rule is written here: a page turns a form into a
// call of desk and desk's answer into HTML.
package console

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/outage"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Base is where the console is mounted.
const Base = "/console"

// csrfField is the hidden input of every form that carries the session's CSRF token.
const csrfField = "csrf_token"

// contentSecurityPolicy allows only the console's own files: no inline
// script or style, no other origin, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// Console is the staff console's HTTP handler.
type Console struct {
	svc   *desk.Service
	log   *slog.Logger
	mux   *routeMux // an http.ServeMux that lists its patterns (Routes)
	pages map[string]*template.Template
	// static serves /console/static/ from the embedded files.
	static http.Handler
}

// New builds the console over the desk's services.
func New(svc *desk.Service, logger *slog.Logger) *Console {
	if logger == nil {
		logger = slog.Default()
	}
	svc.Init()
	c := &Console{svc: svc, log: logger, mux: newRouteMux(), pages: map[string]*template.Template{}}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	c.static = http.StripPrefix(Base+"/static/", http.FileServerFS(sub))
	c.parseTemplates()
	c.routes()
	return c
}

// parseTemplates parses each page with the layout; a broken template is a
// programming error found by the first test, so it panics.
func (c *Console) parseTemplates() {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", n))
		c.pages[base] = t
	}
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if strings.HasPrefix(r.URL.Path, Base+"/static/") {
		h.Set("Cache-Control", "public, max-age=3600")
		c.static.ServeHTTP(w, r)
		return
	}
	h.Set("Cache-Control", "no-store")
	if err := checkText(r.URL.Query()); err != nil { // issue 12 §6
		c.renderStatus(w, r, nil, http.StatusBadRequest, "error", "出错了", errorPage{Message: beian.ErrorMessage(err), Back: Base + "/"})
		return
	}
	c.mux.ServeHTTP(w, r)
}

// checkText refuses form or query values PostgreSQL cannot store or
// compare as text: a NUL character, bytes that are not UTF-8 (issue 12 §6;
// they would fail in the store as a 500).
func checkText(vals url.Values) error {
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }
	for k, vs := range vals {
		invalid := bad(k)
		for _, v := range vs {
			invalid = invalid || bad(v)
		}
		if invalid {
			return beian.Errorf(beian.CodeInvalid, "表单或查询参数含有无效字符（空字符或非 UTF-8 编码），没有保存任何内容")
		}
	}
	return nil
}

// request is one request of a signed-in staff member.
type request struct {
	*http.Request
	sess  *beian.Session
	staff *beian.Staff
	who   desk.Actor
}

type handler func(w http.ResponseWriter, r *request)

// Roles that see a page.
var (
	deskStaff  = []string{beian.RoleSpecialist, beian.RoleSupervisor}
	caseRoles  = []string{beian.RoleSpecialist, beian.RoleSupervisor, beian.RoleBureau}
	techRoles  = []string{beian.RoleTech, beian.RoleSpecialist, beian.RoleSupervisor}
	faqRoles   = []string{beian.RoleSpecialist, beian.RoleSupervisor, beian.RoleTech, beian.RoleBureau}
	supervisor = []string{beian.RoleSupervisor}
	adminOnly  = []string{}
)

// navItem is one entry of the menu; a role sees only the entries of its pages.
type navItem struct {
	Path, Title string
	Roles       []string
}

var nav = []navItem{
	{Base + "/", "工作台", deskStaff},
	{Base + "/filings", "备案申请", caseRoles},
	{Base + "/filings/new", "新建申请", deskStaff},
	{Base + "/tasks", "任务", deskStaff},
	{Base + "/mail", "邮件", deskStaff},
	{Base + "/rectifications", "整改", deskStaff},
	{Base + "/sweeps", "排查", deskStaff},
	{Base + "/sheets", "报表", deskStaff},
	{Base + "/reports/weekly", "周报", deskStaff},
	{Base + "/access-actions", "接入操作", techRoles},
	{Base + "/faq", "答复库", faqRoles},
	{Base + "/blacklist", "黑名单", deskStaff},
	{Base + "/calendar", "工作日历", deskStaff},
	{Base + "/datacenters", "机房", adminOnly},
	{Base + "/rules", "受理规则", supervisor},
	{Base + "/customers", "客户", adminOnly},
	{Base + "/staff", "员工账号", adminOnly},
	{Base + "/audit", "审计日志", supervisor}, // issue 12 §3 (audit.go)
}

// home is the first page of a role.
func home(role string) string {
	switch role {
	case beian.RoleTech:
		return Base + "/access-actions"
	case beian.RoleBureau:
		return Base + "/filings"
	}
	return Base + "/"
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET "+Base, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, Base+"/", http.StatusFound) })
	m.HandleFunc("GET "+Base+"/login", c.loginPage)
	m.HandleFunc("POST "+Base+"/login", c.login)
	m.Handle("POST "+Base+"/logout", c.page(nil, c.logout))
	m.Handle("GET "+Base+"/account", c.page(nil, c.accountPage))
	m.Handle("POST "+Base+"/account/password", c.page(nil, c.changeOwnPassword))

	m.Handle("GET "+Base+"/{$}", c.page(deskStaff, c.dashboard))
	m.Handle("GET "+Base+"/filings", c.page(caseRoles, c.filings))
	m.Handle("GET "+Base+"/filings/new", c.page(deskStaff, c.newFilingPage))
	m.Handle("POST "+Base+"/filings/new", c.page(deskStaff, c.newFiling))
	m.Handle("GET "+Base+"/filings/import", c.page(deskStaff, c.formImportPage))
	m.Handle("POST "+Base+"/filings/import", c.page(deskStaff, c.formImport))
	m.Handle("GET "+Base+"/filings/{id}", c.page(caseRoles, c.filing))
	m.Handle("GET "+Base+"/filings/{id}/correct", c.page(deskStaff, c.correctPage))
	m.Handle("POST "+Base+"/filings/{id}/correct", c.page(deskStaff, c.correct))
	m.Handle("POST "+Base+"/filings/{id}/{action}", c.page(caseRoles, c.filingAction))

	m.Handle("GET "+Base+"/tasks", c.page(deskStaff, c.tasks))
	m.Handle("GET "+Base+"/mail", c.page(deskStaff, c.mailbox))
	m.Handle("GET "+Base+"/mail/{id}", c.page(deskStaff, c.mailMessage))
	m.Handle("POST "+Base+"/mail/{id}/reply", c.page(deskStaff, c.replyMail))
	m.Handle("POST "+Base+"/mail/{id}/match", c.page(deskStaff, c.matchMail))
	m.Handle("POST "+Base+"/filings/{id}/attachments/{aid}/checklist", c.page(deskStaff, c.tickAttachment))
	m.Handle("GET "+Base+"/rectifications", c.page(deskStaff, c.rectifications))
	m.Handle("GET "+Base+"/sweeps", c.page(deskStaff, c.sweeps))
	m.Handle("POST "+Base+"/sweeps", c.page(supervisor, c.startSweep))
	m.Handle("GET "+Base+"/sweeps/{id}", c.page(deskStaff, c.sweep))
	m.Handle("GET "+Base+"/sheets", c.page(deskStaff, c.sheets))
	m.Handle("GET "+Base+"/reports/weekly", c.page(deskStaff, c.weekly))
	m.Handle("POST "+Base+"/sheets/security", c.page(supervisor, c.securityUpload))
	m.Handle("GET "+Base+"/sheets/security/{id}", c.page(supervisor, c.securityImport))
	m.Handle("POST "+Base+"/sheets/security/{id}/confirm", c.page(supervisor, c.securityConfirm))
	m.Handle("GET "+Base+"/tasks/{id}", c.page(deskStaff, c.callPage))
	m.Handle("POST "+Base+"/tasks/{id}/complete", c.page(deskStaff, c.completeCall))
	m.Handle("GET "+Base+"/access-actions", c.page(techRoles, c.accessActions))
	m.Handle("POST "+Base+"/access-actions/{id}/confirm", c.page([]string{beian.RoleTech}, c.confirmAccess))
	m.Handle("GET "+Base+"/faq", c.page(faqRoles, c.faq))
	m.Handle("GET "+Base+"/audit", c.page(supervisor, c.audit)) // issue 12 §3 (audit.go)

	c.adminRoutes()
	m.HandleFunc(Base+"/", func(w http.ResponseWriter, r *http.Request) {
		c.renderStatus(w, r, nil, http.StatusNotFound, "error", "页面不存在", errorPage{Message: "没有这个页面：" + r.URL.Path})
	})
}

// page wraps a handler: it needs a live session (else the sign-in page),
// one of roles (nil: any signed-in staff member; empty: admin only), and on
// a POST the session's CSRF token (else nothing happens).
func (c *Console) page(roles []string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		var token string
		if ck, err := hr.Cookie(desk.SessionCookie); err == nil {
			token = ck.Value
		}
		sess, st, err := c.svc.SessionFor(hr.Context(), token)
		if err != nil {
			c.fail(w, hr, nil, err)
			return
		}
		if sess == nil {
			if token != "" {
				clearCookie(w, hr, desk.SessionCookie)
			}
			next := ""
			if hr.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(hr.URL.RequestURI())
			}
			http.Redirect(w, hr, Base+"/login"+next, http.StatusSeeOther)
			return
		}
		r := &request{Request: hr, sess: sess, staff: st, who: desk.Actor{Name: st.Username, Role: st.Role}}
		if roles != nil && !r.who.Is(roles...) {
			c.renderStatus(w, hr, r, http.StatusForbidden, "error", "无权访问", errorPage{
				Message: fmt.Sprintf("角色「%s」无权访问此页面。", beian.RoleTitle(st.Role)), Back: home(st.Role),
			})
			return
		}
		if hr.Method == http.MethodPost {
			if err := parseForm(hr); err != nil {
				c.fail(w, hr, r, err)
				return
			}
			if !desk.ValidCSRF(sess, hr.PostFormValue(csrfField)) {
				c.log.WarnContext(hr.Context(), "console: form without a valid CSRF token refused", "path", hr.URL.Path, "user", st.Username)
				c.renderStatus(w, hr, r, http.StatusForbidden, "error", "表单已失效", errorPage{
					Message: "表单校验失败（缺少或错误的 CSRF 令牌），没有做任何修改。请返回、刷新页面后重试。", Back: Base + "/",
				})
				return
			}
		}
		h(w, r)
	})
}

// maxForm is the largest form body; an upload has its own limit.
const maxForm = 1 << 20

// parseForm reads a urlencoded or multipart form of bounded size.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(nil, r.Body, 11<<20)
		if err := r.ParseMultipartForm(11 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return beian.Errorf(beian.CodeTooLarge, "上传的文件超过 10 MiB")
			}
			return beian.Errorf(beian.CodeInvalid, "表单无法读取：%s", err.Error())
		}
		return checkText(r.Form)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) { // issue 12 §6: 413, the error page says so
			return beian.Errorf(beian.CodeTooLarge, "表单超过 1 MiB，没有保存任何内容")
		}
		return beian.Errorf(beian.CodeInvalid, "表单无法读取")
	}
	return checkText(r.Form)
}

// view is what every page's template gets: the layout's data and the page's own.
type view struct {
	Title string
	Staff *beian.Staff
	Nav   []navItem
	// Active is the menu entry of the page.
	Active string
	CSRF   string
	Flash  string
	Now    time.Time
	Data   any
}

// errorPage is the data of the error template.
type errorPage struct {
	Message string
	Back    string
}

// render writes page with its data (200).
func (c *Console) render(w http.ResponseWriter, r *request, page, title string, data any) {
	c.renderStatus(w, r.Request, r, http.StatusOK, page, title, data)
}

func (c *Console) renderStatus(w http.ResponseWriter, hr *http.Request, r *request, status int, page, title string, data any) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "no template "+page, http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Now: c.svc.Now(), Data: data, Flash: takeFlash(w, hr)}
	if r != nil {
		v.Staff, v.CSRF = r.staff, r.sess.CSRF
		for _, n := range nav {
			if r.who.Is(n.Roles...) {
				v.Nav = append(v.Nav, n)
			}
		}
		v.Active = activeNav(hr.URL.Path)
	}
	// The page is rendered whole before anything is sent, so a template
	// error is a clean 500, not half a page; buffers are reused.
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); pageBuffers.Put(buf) }()
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		c.log.ErrorContext(hr.Context(), "console: render", "page", page, "error", err.Error())
		http.Error(w, "页面渲染失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageBuffers are the render buffers of pages.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// activeNav is the menu entry a path belongs to.
func activeNav(path string) string {
	best := ""
	for _, n := range nav {
		p := strings.TrimSuffix(n.Path, "/")
		if (path == n.Path || path == p || strings.HasPrefix(path, p+"/")) && len(n.Path) > len(best) {
			if n.Path == Base+"/filings" && strings.HasPrefix(path, Base+"/filings/new") {
				continue
			}
			best = n.Path
		}
	}
	return best
}

// fail shows an error that is not a form's: not found, forbidden, a failure.
func (c *Console) fail(w http.ResponseWriter, hr *http.Request, r *request, err error) {
	if o := outage.Classify(err); o != nil {
		c.log.WarnContext(hr.Context(), "console: dependency unavailable", "path", hr.URL.Path, "error", err.Error())
		err = o
	}
	code := beian.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		c.log.ErrorContext(hr.Context(), "console: request failed", "path", hr.URL.Path, "error", err.Error())
	}
	c.renderStatus(w, hr, r, status, "error", "出错了", errorPage{Message: beian.ErrorMessage(err), Back: Base + "/"})
}

// statusOf is the HTTP status of a page showing an error (desk.HTTPStatus);
// a form sent back with what is wrong in it is a 422, as a rule violation.
func statusOf(code string) int {
	if code == beian.CodeInvalid {
		return http.StatusUnprocessableEntity
	}
	return desk.HTTPStatus(code)
}

// redirect answers a successful form with a redirect (post/redirect/get)
// and a message for the next page.
func redirect(w http.ResponseWriter, r *request, to, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: "beian_flash", Value: url.QueryEscape(flash), Path: Base, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: isTLS(r.Request), MaxAge: 60})
	}
	http.Redirect(w, r.Request, to, http.StatusSeeOther)
}

// takeFlash reads and clears the message of the last redirect.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie("beian_flash")
	if err != nil || ck.Value == "" {
		return ""
	}
	clearCookie(w, r, "beian_flash")
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return msg
}

// isTLS reports whether the browser reached us over HTTPS (directly or
// through a proxy that says so): then cookies are Secure.
func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	path := Base
	switch name {
	case desk.SessionCookie:
		path = "/"
	case loginCSRFCookie:
		path = Base + "/login"
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isTLS(r)})
}

// formKey is a fresh key for one rendering of a form: sent back with it,
// it makes a double submit one workflow update.
func formKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "form-" + base64.RawURLEncoding.EncodeToString(b[:])
}
