package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// A hash in PHC form, as the console would store it; it must never reach the
// audit log.
const testHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"

// auditAll returns every audit row as "action target by actor: detail", oldest first.
func (b testBundle) auditAll(t *testing.T) []string {
	t.Helper()
	rows, err := b.db.Pool().Query(b.ctx, `SELECT action || ' ' || target || ' by ' || actor || ': ' || detail FROM audit_log ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// sessionIDs are the IDs of the sessions of username, sorted.
func (b testBundle) sessionIDs(t *testing.T, username string) []string {
	t.Helper()
	rows, err := b.db.Pool().Query(b.ctx, `SELECT id FROM staff_sessions WHERE username = $1 ORDER BY id`, username)
	require.NoError(t, err)
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// TestStaffAccounts covers create, read, update and delete of accounts, the
// errors for taken and unknown usernames, and the audit row of each change.
func TestStaffAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)

	n, err := b.db.CountStaff(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	list, err := b.db.ListStaff(b.ctx)
	require.NoError(t, err)
	require.Empty(t, list)

	created := time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC)
	wang := &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist, Email: "wang@example.cn",
		PasswordHash: testHash, CreatedAt: created}
	require.NoError(t, b.db.CreateStaff(b.ctx, wang, "admin"))
	require.True(t, created.Equal(wang.CreatedAt))
	require.True(t, created.Equal(wang.UpdatedAt), "a new account was updated when it was created")

	before := time.Now()
	admin := &beian.Staff{Username: "admin", Name: "管理员", Role: beian.RoleAdmin}
	require.NoError(t, b.db.CreateStaff(b.ctx, admin, "bootstrap"))
	require.WithinDuration(t, before, admin.CreatedAt, 5*time.Second, "a zero CreatedAt is now")

	n, err = b.db.CountStaff(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	got, err := b.db.GetStaff(b.ctx, "wang")
	require.NoError(t, err)
	require.Equal(t, "王芳", got.Name)
	require.Equal(t, beian.RoleSpecialist, got.Role)
	require.Equal(t, "wang@example.cn", got.Email)
	require.False(t, got.Disabled)
	require.Equal(t, testHash, got.PasswordHash)
	require.True(t, created.Equal(got.CreatedAt))

	list, err = b.db.ListStaff(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "admin", list[0].Username, "by username")
	require.Equal(t, "wang", list[1].Username)

	// A taken username, an unknown role, an empty username.
	err = b.db.CreateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "另一个王", Role: beian.RoleTech}, "admin")
	require.Equal(t, beian.CodeConflict, beian.ErrorCode(err), "%v", err)
	require.Contains(t, beian.ErrorMessage(err), "wang")
	err = b.db.CreateStaff(b.ctx, &beian.Staff{Username: "li", Role: "root"}, "admin")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)
	err = b.db.CreateStaff(b.ctx, &beian.Staff{Username: " ", Role: beian.RoleTech}, "admin")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)

	// Update: name, role, email; the hash and creation time stay.
	upd := &beian.Staff{Username: "wang", Name: "王芳芳", Role: beian.RoleSupervisor, Email: "wff@example.cn"}
	require.NoError(t, b.db.UpdateStaff(b.ctx, upd, "admin"))
	require.True(t, created.Equal(upd.CreatedAt))
	require.True(t, upd.UpdatedAt.After(created))
	got, err = b.db.GetStaff(b.ctx, "wang")
	require.NoError(t, err)
	require.Equal(t, "王芳芳", got.Name)
	require.Equal(t, beian.RoleSupervisor, got.Role)
	require.Equal(t, "wff@example.cn", got.Email)
	require.Equal(t, testHash, got.PasswordHash, "an update leaves the password alone")
	err = b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "wang", Role: "boss"}, "admin")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)

	require.NoError(t, b.db.SetStaffPassword(b.ctx, "wang", testHash+"2", "wang"))
	got, err = b.db.GetStaff(b.ctx, "wang")
	require.NoError(t, err)
	require.Equal(t, testHash+"2", got.PasswordHash)
	err = b.db.SetStaffPassword(b.ctx, "wang", "", "wang")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)

	// Unknown usernames.
	_, err = b.db.GetStaff(b.ctx, "nobody")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)
	require.Contains(t, beian.ErrorMessage(err), "不存在")
	err = b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "nobody", Role: beian.RoleTech}, "admin")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)
	err = b.db.SetStaffPassword(b.ctx, "nobody", testHash, "admin")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)
	err = b.db.DeleteStaff(b.ctx, "nobody", "admin")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)

	require.NoError(t, b.db.DeleteStaff(b.ctx, "wang", "admin"))
	_, err = b.db.GetStaff(b.ctx, "wang")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)
	n, err = b.db.CountStaff(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// One audit row per change that went through, none for the refused ones,
	// and no hash in any of them.
	require.Equal(t, []string{
		"staff_create staff/wang by admin: 新建账号「王芳」，角色备案专员，邮箱 wang@example.cn",
		"staff_create staff/admin by bootstrap: 新建账号「管理员」，角色管理员，邮箱 （无），未设密码",
		"staff_update staff/wang by admin: 姓名「王芳」→「王芳芳」；角色备案专员 → 主管；邮箱 wang@example.cn → wff@example.cn",
		"staff_password staff/wang by wang: 设置新密码，结束 0 个登录会话",
		"staff_delete staff/wang by admin: 删除账号「王芳芳」（角色主管，邮箱 wff@example.cn）",
	}, b.auditAll(t))
	var leaks int
	require.NoError(t, b.db.Pool().QueryRow(b.ctx,
		`SELECT count(*) FROM audit_log WHERE detail LIKE '%argon2%' OR detail LIKE '%' || $1 || '%'`, "c2FsdHNhbHQ").Scan(&leaks))
	require.Zero(t, leaks, "the audit log holds no password hash")
}

// TestUpdateStaffUnchangedIsAudited: an update that changes nothing is still
// one audit row, saying so.
func TestUpdateStaffUnchangedIsAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)

	s := &beian.Staff{Username: "zhao", Name: "赵六", Role: beian.RoleTech}
	require.NoError(t, b.db.CreateStaff(b.ctx, s, "admin"))
	require.NoError(t, b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "zhao", Name: "赵六", Role: beian.RoleTech}, "admin"))
	audits := b.auditAll(t)
	require.Len(t, audits, 2)
	require.Equal(t, "staff_update staff/zhao by admin: 未作更改", audits[1])
}

// TestDisablingStaffEndsSessions: disabling an account deletes its sessions
// in the same write, other accounts' stay; an update that does not disable
// keeps them; enabling again is audited.
func TestDisablingStaffEndsSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for _, u := range []string{"wang", "li"} {
		require.NoError(t, b.db.CreateStaff(b.ctx, &beian.Staff{Username: u, Name: u, Role: beian.RoleSpecialist}, "admin"))
	}
	for _, s := range []beian.Session{
		{ID: "w1", Username: "wang", CSRF: "c1"},
		{ID: "w2", Username: "wang", CSRF: "c2"},
		{ID: "l1", Username: "li", CSRF: "c3"},
	} {
		require.NoError(t, b.db.CreateSession(b.ctx, s))
	}

	require.NoError(t, b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist}, "admin"))
	require.Equal(t, []string{"w1", "w2"}, b.sessionIDs(t, "wang"), "a rename keeps the sessions")

	require.NoError(t, b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist, Disabled: true}, "admin"))
	require.Empty(t, b.sessionIDs(t, "wang"), "disabling ends the sessions")
	require.Equal(t, []string{"l1"}, b.sessionIDs(t, "li"), "other accounts keep theirs")
	se, st, err := b.db.GetSession(b.ctx, "w1")
	require.NoError(t, err)
	require.Nil(t, se)
	require.Nil(t, st)
	got, err := b.db.GetStaff(b.ctx, "wang")
	require.NoError(t, err)
	require.True(t, got.Disabled)

	require.NoError(t, b.db.UpdateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist}, "admin"))
	audits := b.auditAll(t)
	require.Equal(t, []string{
		"staff_update staff/wang by admin: 姓名「wang」→「王芳」",
		"staff_update staff/wang by admin: 停用账号；结束 2 个登录会话",
		"staff_update staff/wang by admin: 启用账号",
	}, audits[2:])
}

// TestSetStaffPasswordEndsSessions: a new password signs the account out
// everywhere, and only that account.
func TestSetStaffPasswordEndsSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for _, u := range []string{"wang", "li"} {
		require.NoError(t, b.db.CreateStaff(b.ctx, &beian.Staff{Username: u, Role: beian.RoleSupervisor, PasswordHash: testHash}, "admin"))
	}
	require.NoError(t, b.db.CreateSession(b.ctx, beian.Session{ID: "w1", Username: "wang", CSRF: "c1"}))
	require.NoError(t, b.db.CreateSession(b.ctx, beian.Session{ID: "l1", Username: "li", CSRF: "c2"}))

	require.NoError(t, b.db.SetStaffPassword(b.ctx, "wang", testHash+"new", "admin"))
	require.Empty(t, b.sessionIDs(t, "wang"))
	require.Equal(t, []string{"l1"}, b.sessionIDs(t, "li"))
	audits := b.auditAll(t)
	require.Equal(t, "staff_password staff/wang by admin: 设置新密码，结束 1 个登录会话", audits[len(audits)-1])
	for _, a := range audits {
		require.NotContains(t, a, "argon2")
	}
}

// TestStaffSessions covers creating, reading (with the account), touching
// and deleting sessions.
func TestStaffSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)

	require.NoError(t, b.db.CreateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist,
		Email: "wang@example.cn", PasswordHash: testHash}, "admin"))

	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	s := beian.Session{ID: "5f2b", Username: "wang", CSRF: "csrf-token", Addr: "192.0.2.1", UserAgent: "Firefox", CreatedAt: at}
	require.NoError(t, b.db.CreateSession(b.ctx, s))

	se, st, err := b.db.GetSession(b.ctx, "5f2b")
	require.NoError(t, err)
	require.NotNil(t, se)
	require.Equal(t, "wang", se.Username)
	require.Equal(t, "csrf-token", se.CSRF)
	require.Equal(t, "192.0.2.1", se.Addr)
	require.Equal(t, "Firefox", se.UserAgent)
	require.True(t, at.Equal(se.CreatedAt))
	require.True(t, at.Equal(se.LastSeen), "a zero LastSeen is the creation time")
	require.NotNil(t, st)
	require.Equal(t, "王芳", st.Name)
	require.Equal(t, beian.RoleSpecialist, st.Role)
	require.Equal(t, "wang@example.cn", st.Email)

	se, st, err = b.db.GetSession(b.ctx, "nope")
	require.NoError(t, err)
	require.Nil(t, se)
	require.Nil(t, st)

	// Touch moves LastSeen on, never back.
	later := at.Add(10 * time.Minute)
	require.NoError(t, b.db.TouchSession(b.ctx, "5f2b", later))
	require.NoError(t, b.db.TouchSession(b.ctx, "5f2b", at.Add(time.Minute)))
	se, _, err = b.db.GetSession(b.ctx, "5f2b")
	require.NoError(t, err)
	require.True(t, later.Equal(se.LastSeen), "LastSeen %v", se.LastSeen)
	require.True(t, at.Equal(se.CreatedAt))
	require.NoError(t, b.db.TouchSession(b.ctx, "gone", later), "touching a session that is gone is no error")

	// Errors: an ID in use, an unknown account.
	err = b.db.CreateSession(b.ctx, beian.Session{ID: "5f2b", Username: "wang", CSRF: "x"})
	require.Equal(t, beian.CodeConflict, beian.ErrorCode(err), "%v", err)
	err = b.db.CreateSession(b.ctx, beian.Session{ID: "other", Username: "nobody", CSRF: "x"})
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), "%v", err)

	require.NoError(t, b.db.DeleteSession(b.ctx, "5f2b"))
	se, _, err = b.db.GetSession(b.ctx, "5f2b")
	require.NoError(t, err)
	require.Nil(t, se)
	require.NoError(t, b.db.DeleteSession(b.ctx, "5f2b"), "deleting twice is no error")

	// Deleting the account takes its sessions along.
	require.NoError(t, b.db.CreateSession(b.ctx, beian.Session{ID: "again", Username: "wang", CSRF: "y"}))
	require.NoError(t, b.db.DeleteStaff(b.ctx, "wang", "admin"))
	se, _, err = b.db.GetSession(b.ctx, "again")
	require.NoError(t, err)
	require.Nil(t, se)
}

// TestLoginFailures: counts since a time, the last time, clearing one key,
// and failures older than a day dropped as new ones come in.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	n, last, err := b.db.LoginFailures(b.ctx, "user:wang", t0)
	require.NoError(t, err)
	require.Zero(t, n)
	require.True(t, last.IsZero())

	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"user:wang", "addr:192.0.2.1"}, t0))
	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"user:wang"}, t0.Add(time.Minute)))
	require.NoError(t, b.db.AddLoginFailure(b.ctx, nil, t0), "no keys, nothing to do")

	n, last, err = b.db.LoginFailures(b.ctx, "user:wang", t0)
	require.NoError(t, err)
	require.Equal(t, 2, n, "since is inclusive")
	require.True(t, t0.Add(time.Minute).Equal(last), "last %v", last)
	n, last, err = b.db.LoginFailures(b.ctx, "user:wang", t0.Add(30*time.Second))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, t0.Add(time.Minute).Equal(last))
	n, last, err = b.db.LoginFailures(b.ctx, "addr:192.0.2.1", t0)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, t0.Equal(last))
	n, _, err = b.db.LoginFailures(b.ctx, "user:wang", t0.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)

	require.NoError(t, b.db.ClearLoginFailures(b.ctx, "user:wang"))
	n, last, err = b.db.LoginFailures(b.ctx, "user:wang", t0)
	require.NoError(t, err)
	require.Zero(t, n)
	require.True(t, last.IsZero())
	n, _, err = b.db.LoginFailures(b.ctx, "addr:192.0.2.1", t0)
	require.NoError(t, err)
	require.Equal(t, 1, n, "clearing one key leaves the others")

	// A failure a day and more later drops the key's older rows, not other keys'.
	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"user:li"}, t0))
	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"addr:192.0.2.1"}, t0.Add(25*time.Hour)))
	rows := func(key string) int {
		var n int
		require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FROM login_failures WHERE key = $1`, key).Scan(&n))
		return n
	}
	require.Equal(t, 1, rows("addr:192.0.2.1"), "the row of 25 h before is gone")
	require.Equal(t, 1, rows("user:li"), "other keys are left alone")
}

// TestPruneSessions: idle and too-old sessions and old failed sign-ins go;
// a session in use and recent failures stay.
func TestPruneSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.db.CreateStaff(b.ctx, &beian.Staff{Username: "wang", Name: "王芳", Role: beian.RoleSpecialist, PasswordHash: testHash}, "admin"))
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for id, times := range map[string][2]time.Time{
		"idle":   {now.Add(-5 * time.Hour), now.Add(-3 * time.Hour)}, // opened, last seen
		"old":    {now.Add(-13 * time.Hour), now.Add(-time.Minute)},
		"in-use": {now.Add(-time.Hour), now.Add(-time.Minute)},
	} {
		require.NoError(t, b.db.CreateSession(b.ctx, beian.Session{ID: id, Username: "wang", CSRF: "x", CreatedAt: times[0], LastSeen: times[1]}))
	}
	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"user:x"}, now.Add(-30*time.Hour)))
	require.NoError(t, b.db.AddLoginFailure(b.ctx, []string{"user:y"}, now.Add(-time.Hour)))

	n, err := b.db.PruneSessions(b.ctx, now.Add(-2*time.Hour), now.Add(-12*time.Hour), now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for id, want := range map[string]bool{"idle": false, "old": false, "in-use": true} {
		se, _, err := b.db.GetSession(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, want, se != nil, id)
	}
	x, _, err := b.db.LoginFailures(b.ctx, "user:x", time.Time{})
	require.NoError(t, err)
	require.Zero(t, x, "a day-old failure of a key never seen again is gone")
	y, _, err := b.db.LoginFailures(b.ctx, "user:y", time.Time{})
	require.NoError(t, err)
	require.Equal(t, 1, y)
}
