package desk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

// DefaultSessionIdle ends a console session after two hours without a
// request: long enough for a lunch break at an open dashboard (which polls),
// short enough that a forgotten screen does not stay signed in overnight.
const DefaultSessionIdle = 2 * time.Hour

// SessionMaxAge ends every session twelve hours after sign-in, idle or not.
const SessionMaxAge = 12 * time.Hour

// SessionCookie is the name of the console's session cookie.
const SessionCookie = "beian_session"

// Sign-in throttling: after userFreeTries failed sign-ins of one account in
// throttleWindow, each further try must wait (30 s, doubling, at most
// throttleWindow) after the last failure; an address gets addrFreeTries,
// since one desk may share an address.
const (
	throttleWindow = 15 * time.Minute
	userFreeTries  = 5
	addrFreeTries  = 20
	throttleBase   = 30 * time.Second
)

// signInTimeout bounds how long a sign-in waits for its turn (LockLogin)
// and its queries.
const signInTimeout = 15 * time.Second

// SignedIn is a new session: the token goes into the browser's cookie and
// is kept nowhere else (the store keeps its hash).
type SignedIn struct {
	Token   string
	Session beian.Session
	Staff   beian.Staff
}

// sessionID is the stored ID of a session token: its SHA-256.
func sessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// throttled is a CodeRateLimited error when key has failed too often.
func (s *Service) throttled(ctx context.Context, key string, free int) error {
	now := s.now()
	n, last, err := s.Store.LoginFailures(ctx, key, now.Add(-throttleWindow))
	if err != nil || n < free {
		return err
	}
	wait := throttleBase << min(n-free, 10)
	wait = min(wait, throttleWindow)
	if until := last.Add(wait); now.Before(until) {
		secs := int(until.Sub(now).Seconds()) + 1
		return beian.Errorf(beian.CodeRateLimited, "登录失败次数过多，请 %d 秒后再试", secs)
	}
	return nil
}

// SignIn checks a username and password and opens a session. Failed
// sign-ins are slowed per account and per address; the count, the check
// and the record of a failure are one step per key (LockLogin), so
// parallel guesses are slowed too. Every sign-in, failed or not, is
// audited (never with the password).
func (s *Service) SignIn(ctx context.Context, username, password, addr, userAgent string) (*SignedIn, error) {
	// A sign-in that cannot get its turn in time is refused rather than
	// left waiting; what it decides is recorded even if the browser leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signInTimeout)
	defer cancel()
	username = strings.ToLower(strings.TrimSpace(username))
	bad := beian.Errorf(beian.CodeUnauthorized, "用户名或密码错误")
	addrKey := "addr:" + addr
	if !usernamePattern.MatchString(username) || password == "" || len(password) > 256 {
		// No account has such a name: count it against the address only,
		// and store nothing of what was typed.
		unlock, err := s.Store.LockLogin(ctx, []string{addrKey})
		if err != nil {
			return nil, err
		}
		defer unlock()
		if err := s.throttled(ctx, addrKey, addrFreeTries); err != nil {
			return nil, err
		}
		secret.BurnPasswordCheck(password)
		if err := s.Store.AddLoginFailure(ctx, []string{addrKey}, s.now()); err != nil {
			return nil, err
		}
		return nil, bad
	}
	userKey := "user:" + username
	unlock, err := s.Store.LockLogin(ctx, []string{userKey, addrKey})
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.throttled(ctx, userKey, userFreeTries); err != nil {
		_ = s.Audit(ctx, Actor{Name: username}, "sign_in_throttled", "staff/"+username, "来自 "+addr)
		return nil, err
	}
	if err := s.throttled(ctx, addrKey, addrFreeTries); err != nil {
		_ = s.Audit(ctx, Actor{Name: username}, "sign_in_throttled", "staff/"+username, "来自 "+addr+"（该地址失败过多）")
		return nil, err
	}
	st, err := s.Store.GetStaff(ctx, username)
	if beian.ErrorCode(err) == beian.CodeNotFound {
		secret.BurnPasswordCheck(password)
		st, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st == nil || !secret.CheckPassword(st.PasswordHash, password) {
		if err := s.Store.AddLoginFailure(ctx, []string{userKey, addrKey}, s.now()); err != nil {
			return nil, err
		}
		_ = s.Audit(ctx, Actor{Name: username}, "sign_in_failed", "staff/"+username, "密码错误或账号不存在，来自 "+addr)
		return nil, bad
	}
	if st.Disabled {
		_ = s.Audit(ctx, Actor{Name: username}, "sign_in_refused", "staff/"+username, "账号已停用，来自 "+addr)
		return nil, beian.Errorf(beian.CodeForbidden, "账号已停用，请联系管理员")
	}
	if err := s.Store.ClearLoginFailures(ctx, userKey); err != nil {
		return nil, err
	}
	tok := randomToken()
	now := s.now()
	sess := beian.Session{
		ID: sessionID(tok), Username: st.Username, CSRF: randomToken(), Addr: addr,
		UserAgent: truncate(userAgent, 200), CreatedAt: now, LastSeen: now,
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	if err := s.Audit(ctx, Actor{Name: st.Username, Role: st.Role}, "sign_in", "staff/"+st.Username, "登录，来自 "+addr); err != nil {
		return nil, err
	}
	return &SignedIn{Token: tok, Session: sess, Staff: *st}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SessionFor returns the live session of a cookie token and its account;
// nil, nil, nil when there is none, it has timed out, or the account is
// disabled (a timed-out session is removed).
func (s *Service) SessionFor(ctx context.Context, token string) (*beian.Session, *beian.Staff, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, nil
	}
	id := sessionID(token)
	sess, st, err := s.Store.GetSession(ctx, id)
	if err != nil || sess == nil {
		return nil, nil, err
	}
	now := s.now()
	if st == nil || st.Disabled || now.Sub(sess.LastSeen) > s.Config.SessionIdle || now.Sub(sess.CreatedAt) > SessionMaxAge {
		return nil, nil, s.Store.DeleteSession(ctx, id)
	}
	if now.Sub(sess.LastSeen) > time.Minute { // one write a minute, not one per request
		if err := s.Store.TouchSession(ctx, id, now); err != nil {
			return nil, nil, err
		}
		sess.LastSeen = now
	}
	return sess, st, nil
}

// PruneSessions deletes the sessions that have timed out and the failed
// sign-ins the throttle no longer counts; timed-out sessions are refused
// anyway, this keeps the tables small.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	now := s.now()
	return s.Store.PruneSessions(ctx, now.Add(-s.Config.SessionIdle), now.Add(-SessionMaxAge), now.Add(-24*time.Hour))
}

// SignOut ends the session of a cookie token; audited.
func (s *Service) SignOut(ctx context.Context, token string) error {
	sess, st, err := s.SessionFor(ctx, token)
	if err != nil || sess == nil {
		return err
	}
	if err := s.Store.DeleteSession(ctx, sess.ID); err != nil {
		return err
	}
	return s.Audit(ctx, Actor{Name: st.Username, Role: st.Role}, "sign_out", "staff/"+st.Username, "退出登录")
}

// ValidCSRF reports whether a form's or header's token is the session's.
func ValidCSRF(sess *beian.Session, token string) bool {
	return sess != nil && token != "" && len(token) == len(sess.CSRF) &&
		subtleEqual(token, sess.CSRF)
}

// usernamePattern: lower-case letters, digits and . _ -, 2 to 32 long.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// staffViolations checks an account's fields; every problem at once.
func staffViolations(st beian.Staff, password string, withPassword bool) []beian.Violation {
	var vs []beian.Violation
	bad := func(code, field, format string, args ...any) {
		vs = append(vs, beian.Violation{Rule: "STAFF", Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !usernamePattern.MatchString(st.Username) {
		bad("INVALID_USERNAME", "username", "用户名只能由小写字母、数字和 . _ - 组成，2 到 32 个字符，以字母或数字开头")
	}
	if strings.TrimSpace(st.Name) == "" {
		bad("REQUIRED", "name", "姓名不能为空")
	}
	if !beian.ValidRole(st.Role) {
		bad("INVALID_ROLE", "role", "角色只能是 specialist、supervisor、tech、bureau 或 admin")
	}
	if st.Email != "" {
		if a, err := mail.ParseAddress(st.Email); err != nil || a.Address != st.Email {
			bad("INVALID_EMAIL", "email", "邮箱「%s」格式不正确", st.Email)
		}
	}
	if withPassword {
		vs = append(vs, passwordViolations(password)...)
	}
	return vs
}

func passwordViolations(password string) []beian.Violation {
	if len([]rune(password)) < MinPasswordLength {
		return []beian.Violation{{Rule: "STAFF", Code: "WEAK_PASSWORD", Field: "password",
			Message: fmt.Sprintf("密码至少 %d 个字符", MinPasswordLength)}}
	}
	if len(password) > 256 {
		return []beian.Violation{{Rule: "STAFF", Code: "WEAK_PASSWORD", Field: "password", Message: "密码最长 256 个字符"}}
	}
	return nil
}

func staffError(vs []beian.Violation) error {
	return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("账号资料有 %d 处错误，未保存", len(vs)), Violations: vs}
}

func normaliseStaff(st *beian.Staff) {
	st.Username = strings.ToLower(strings.TrimSpace(st.Username))
	st.Name = strings.TrimSpace(st.Name)
	st.Email = strings.TrimSpace(st.Email)
	st.Role = strings.TrimSpace(st.Role)
}

// ListStaff returns every staff account (admin).
func (s *Service) ListStaff(ctx context.Context, who Actor) ([]beian.Staff, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	return s.Store.ListStaff(ctx)
}

// GetStaff returns one account (admin).
func (s *Service) GetStaff(ctx context.Context, who Actor, username string) (*beian.Staff, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	return s.Store.GetStaff(ctx, strings.ToLower(username))
}

// CreateStaff adds an account with its first password (admin; audited).
func (s *Service) CreateStaff(ctx context.Context, who Actor, st beian.Staff, password string) (*beian.Staff, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	normaliseStaff(&st)
	if vs := staffViolations(st, password, true); len(vs) > 0 {
		return nil, staffError(vs)
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return nil, err
	}
	st.PasswordHash = hash
	if err := s.Store.CreateStaff(ctx, &st, who.Name); err != nil {
		return nil, err
	}
	return s.Store.GetStaff(ctx, st.Username)
}

// UpdateStaff changes an account's name, role, email and disabled (admin;
// audited). Disabling ends its sessions. An admin cannot disable or demote
// themselves, so the desk is never left without an admin by accident.
func (s *Service) UpdateStaff(ctx context.Context, who Actor, st beian.Staff) (*beian.Staff, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	normaliseStaff(&st)
	if vs := staffViolations(st, "", false); len(vs) > 0 {
		return nil, staffError(vs)
	}
	if st.Username == who.Name && (st.Disabled || st.Role != beian.RoleAdmin) {
		return nil, beian.Errorf(beian.CodeConflict, "不能停用自己的账号或取消自己的管理员角色；请由另一位管理员操作")
	}
	if err := s.Store.UpdateStaff(ctx, &st, who.Name); err != nil {
		return nil, err
	}
	return s.Store.GetStaff(ctx, st.Username)
}

// SetPassword replaces an account's password (admin, or the account
// itself) and ends its sessions; audited.
func (s *Service) SetPassword(ctx context.Context, who Actor, username, password string) error {
	username = strings.ToLower(strings.TrimSpace(username))
	if who.Name != username {
		if err := who.Require(); err != nil {
			return err
		}
	}
	if vs := passwordViolations(password); len(vs) > 0 {
		return staffError(vs)
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return err
	}
	return s.Store.SetStaffPassword(ctx, username, hash, who.Name)
}

// DeleteStaff removes an account and its sessions (admin; audited; not one's own).
func (s *Service) DeleteStaff(ctx context.Context, who Actor, username string) error {
	if err := who.Require(); err != nil {
		return err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if username == who.Name {
		return beian.Errorf(beian.CodeConflict, "不能删除自己的账号")
	}
	return s.Store.DeleteStaff(ctx, username, who.Name)
}

// BootstrapAdmin creates the account admin (role admin) with password when
// no account exists yet (BEIAN_ADMIN_PASSWORD); created is false when
// accounts exist or password is empty.
func (s *Service) BootstrapAdmin(ctx context.Context, password string) (created bool, err error) {
	if password == "" {
		return false, nil
	}
	n, err := s.Store.CountStaff(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	if vs := passwordViolations(password); len(vs) > 0 {
		return false, fmt.Errorf("BEIAN_ADMIN_PASSWORD: %s", vs[0].Message)
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return false, err
	}
	st := &beian.Staff{Username: "admin", Name: "管理员", Role: beian.RoleAdmin, PasswordHash: hash}
	if err := s.Store.CreateStaff(ctx, st, "bootstrap"); err != nil {
		if beian.ErrorCode(err) == beian.CodeConflict { // another process was first
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func subtleEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ChangeOwnPassword sets a staff member's own password after checking the
// current one; next and again must agree. Every session of the account
// ends (audited like any password change).
func (s *Service) ChangeOwnPassword(ctx context.Context, who Actor, current, next, again string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signInTimeout)
	defer cancel()
	userKey := "user:" + who.Name
	unlock, err := s.Store.LockLogin(ctx, []string{userKey})
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.throttled(ctx, userKey, userFreeTries); err != nil { // a stolen session cannot guess the password either
		return err
	}
	st, err := s.Store.GetStaff(ctx, who.Name)
	if err != nil {
		return err
	}
	var vs []beian.Violation
	if !secret.CheckPassword(st.PasswordHash, current) {
		if err := s.Store.AddLoginFailure(ctx, []string{userKey}, s.now()); err != nil {
			return err
		}
		vs = append(vs, beian.Violation{Rule: "STAFF", Code: "WRONG_PASSWORD", Field: "current", Message: "当前密码不正确"})
	}
	vs = append(vs, passwordViolations(next)...)
	if next != again {
		vs = append(vs, beian.Violation{Rule: "STAFF", Code: "PASSWORD_MISMATCH", Field: "password2", Message: "两次输入的新密码不一致"})
	}
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeViolations, Message: "密码未修改", Violations: vs}
	}
	return s.SetPassword(ctx, who, who.Name, next)
}
