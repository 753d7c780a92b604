package console

import (
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// loginCSRFCookie carries the sign-in form's CSRF token before there is a
// session (double submit: the cookie and the hidden input must agree).
const loginCSRFCookie = "beian_login_csrf"

// loginPage is the data of the sign-in page.
type loginPage struct {
	Username string
	Next     string
	Error    string
	Bye      bool
	CSRF     string
}

// safeNext keeps a redirect target inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, Base+"/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return ""
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	// Signed in already: straight to the desk.
	if ck, err := r.Cookie(desk.SessionCookie); err == nil {
		if sess, st, err := c.svc.SessionFor(r.Context(), ck.Value); err == nil && sess != nil {
			http.Redirect(w, r, home(st.Role), http.StatusSeeOther)
			return
		}
	}
	c.showLogin(w, r, http.StatusOK, loginPage{Next: safeNext(r.URL.Query().Get("next")), Bye: r.URL.Query().Get("bye") == "1"})
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	p.CSRF = formKey()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: p.CSRF, Path: Base + "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: isTLS(r), MaxAge: 3600})
	c.renderStatus(w, r, nil, status, "login", "登录", p)
}

// clientAddr is the address failed sign-ins are counted against: the
// peer's, or, when the peer is one of the trusted proxies, the nearest
// address in X-Forwarded-For that is not a trusted proxy.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := parseHop(r.RemoteAddr)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a := parseHop(h)
		if !a.IsValid() {
			return peer.String() // a forged or garbled header: the proxy's own address
		}
		if !isTrusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

// parseHop reads an address as a peer or a proxy writes it: "a.b.c.d",
// "a.b.c.d:port", "[v6]:port" or "v6"; IPv4-mapped addresses are unmapped,
// so one browser always counts as one address.
func parseHop(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		status := http.StatusBadRequest
		if beian.ErrorCode(err) == beian.CodeTooLarge { // issue 12 §6
			status = http.StatusRequestEntityTooLarge
		}
		c.showLogin(w, r, status, loginPage{Error: beian.ErrorMessage(err)})
		return
	}
	p := loginPage{Username: strings.TrimSpace(r.PostFormValue("username")), Next: safeNext(r.PostFormValue("next"))}
	ck, err := r.Cookie(loginCSRFCookie)
	if token := r.PostFormValue(csrfField); err != nil || token == "" ||
		subtle.ConstantTimeCompare([]byte(ck.Value), []byte(token)) != 1 {
		p.Error = "登录表单已失效，请重新输入后登录"
		c.showLogin(w, r, http.StatusForbidden, p)
		return
	}
	in, err := c.svc.SignIn(r.Context(), p.Username, r.PostFormValue("password"), clientAddr(r, c.svc.Config.TrustedProxies), r.UserAgent())
	if err != nil {
		p.Error = beian.ErrorMessage(err)
		c.showLogin(w, r, statusOf(beian.ErrorCode(err)), p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: desk.SessionCookie, Value: in.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: isTLS(r)})
	clearCookie(w, r, loginCSRFCookie)
	to := p.Next
	if to == "" {
		to = home(in.Staff.Role)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *request) {
	if ck, err := r.Cookie(desk.SessionCookie); err == nil {
		if err := c.svc.SignOut(r.Context(), ck.Value); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
	}
	clearCookie(w, r.Request, desk.SessionCookie)
	http.Redirect(w, r.Request, Base+"/login?bye=1", http.StatusSeeOther)
}

// accountView is the data of one's own account page.
type accountView struct {
	Errors map[string][]string
	Error  string
}

func (c *Console) accountPage(w http.ResponseWriter, r *request) {
	c.render(w, r, "account", "我的账号", accountView{})
}

// changeOwnPassword sets a new password after checking the current one;
// every session of the account ends, this one too, so the new password is
// used at once.
func (c *Console) changeOwnPassword(w http.ResponseWriter, r *request) {
	err := c.svc.ChangeOwnPassword(r.Context(), r.who, r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("password2"))
	if err != nil {
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "account", "我的账号", accountView{Errors: fieldErrors(err), Error: beian.ErrorMessage(err)})
		return
	}
	clearCookie(w, r.Request, desk.SessionCookie)
	http.Redirect(w, r.Request, Base+"/login?bye=1", http.StatusSeeOther)
}
