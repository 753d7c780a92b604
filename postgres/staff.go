package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// This file keeps the console's staff accounts, their sessions and failed
// sign-ins. Password hashes are stored but never audited or logged. Audit
// actions are snake_case (staff_create, …) like the desk's sign_in and
// sign_out, so the history of a target staff/<username> reads alike.

var _ beian.StaffStore = (*DB)(nil)

// loginFailureKeep is how long a failed sign-in is kept: longer than any
// window the sign-in throttle counts over.
const loginFailureKeep = 24 * time.Hour

// staffColumns are the columns of staff in the order of scanStaff.
const staffColumns = `username, name, role, email, disabled, password_hash, created_at, updated_at`

func scanStaff(row pgx.CollectableRow) (beian.Staff, error) {
	var s beian.Staff
	err := row.Scan(&s.Username, &s.Name, &s.Role, &s.Email, &s.Disabled, &s.PasswordHash, &s.CreatedAt, &s.UpdatedAt)
	return s, err
}

// staffNotFound is the error for an unknown username.
func staffNotFound(username string) error {
	return beian.Errorf(beian.CodeNotFound, "账号 %s 不存在", username)
}

// CountStaff returns how many accounts exist.
func (db *DB) CountStaff(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM staff`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// ListStaff returns every account by username.
func (db *DB) ListStaff(ctx context.Context) ([]beian.Staff, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY username`)
	list, err := pgx.CollectRows(rows, scanStaff)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return list, nil
}

// GetStaff returns the account; a CodeNotFound error when there is none.
func (db *DB) GetStaff(ctx context.Context, username string) (*beian.Staff, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE username = $1`, username)
	s, err := pgx.CollectExactlyOneRow(rows, scanStaff)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, staffNotFound(username)
	}
	if err != nil {
		return nil, fmt.Errorf("get staff %s: %w", username, err)
	}
	return &s, nil
}

// checkStaff rejects an account the table would refuse, with a message for staff.
func checkStaff(s *beian.Staff) error {
	if strings.TrimSpace(s.Username) == "" {
		return beian.Errorf(beian.CodeInvalid, "用户名不能为空")
	}
	if !beian.ValidRole(s.Role) {
		return beian.Errorf(beian.CodeInvalid, "角色「%s」无效，可选：%s", s.Role, strings.Join(beian.Roles, "、"))
	}
	return nil
}

// CreateStaff adds s and audits it as actor. It sets s.CreatedAt (now when
// zero) and s.UpdatedAt to the same time. A username taken is a CodeConflict
// error; an empty username or an unknown role CodeInvalid.
func (db *DB) CreateStaff(ctx context.Context, s *beian.Staff, actor string) error {
	if err := checkStaff(s); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO staff (username, name, role, email, disabled, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), coalesce($7, now()))
			RETURNING created_at, updated_at`,
			s.Username, s.Name, s.Role, s.Email, s.Disabled, s.PasswordHash, nullTime(s.CreatedAt)).
			Scan(&s.CreatedAt, &s.UpdatedAt)
		if code, _ := pgErrorCode(err); code == sqlUniqueViolation {
			return beian.Errorf(beian.CodeConflict, "用户名 %s 已被占用", s.Username)
		}
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("新建账号「%s」，角色%s，邮箱 %s", s.Name, beian.RoleTitle(s.Role), orNone(s.Email))
		if s.Disabled {
			detail += "，已停用"
		}
		if s.PasswordHash == "" {
			detail += "，未设密码"
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "staff_create", Target: "staff/" + s.Username, Detail: detail,
		})
	})
	if err != nil {
		return fmt.Errorf("create staff %s: %w", s.Username, err)
	}
	return nil
}

// UpdateStaff changes the name, role, email and disabled flag of
// s.Username, sets s.CreatedAt and s.UpdatedAt, and audits the change as
// actor with the old and new values. Disabling the account ends its
// sessions in the same transaction. A CodeNotFound error when there is no
// such account; an unknown role CodeInvalid.
func (db *DB) UpdateStaff(ctx context.Context, s *beian.Staff, actor string) error {
	if err := checkStaff(s); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE username = $1 FOR UPDATE`, s.Username)
		old, err := pgx.CollectExactlyOneRow(rows, scanStaff)
		if errors.Is(err, pgx.ErrNoRows) {
			return staffNotFound(s.Username)
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			UPDATE staff SET name = $2, role = $3, email = $4, disabled = $5, updated_at = now()
			WHERE username = $1
			RETURNING created_at, updated_at`,
			s.Username, s.Name, s.Role, s.Email, s.Disabled).Scan(&s.CreatedAt, &s.UpdatedAt)
		if err != nil {
			return err
		}
		var changes []string
		if old.Name != s.Name {
			changes = append(changes, fmt.Sprintf("姓名「%s」→「%s」", old.Name, s.Name))
		}
		if old.Role != s.Role {
			changes = append(changes, fmt.Sprintf("角色%s → %s", beian.RoleTitle(old.Role), beian.RoleTitle(s.Role)))
		}
		if old.Email != s.Email {
			changes = append(changes, fmt.Sprintf("邮箱 %s → %s", orNone(old.Email), orNone(s.Email)))
		}
		switch {
		case s.Disabled && !old.Disabled:
			changes = append(changes, "停用账号")
		case !s.Disabled && old.Disabled:
			changes = append(changes, "启用账号")
		}
		if s.Disabled {
			// Also when it was disabled already: no session of a disabled
			// account may outlive this write.
			n, err := endSessions(ctx, tx, s.Username)
			if err != nil {
				return err
			}
			if n > 0 {
				changes = append(changes, fmt.Sprintf("结束 %d 个登录会话", n))
			}
		}
		detail := "未作更改"
		if len(changes) > 0 {
			detail = strings.Join(changes, "；")
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "staff_update", Target: "staff/" + s.Username, Detail: detail,
		})
	})
	if err != nil {
		return fmt.Errorf("update staff %s: %w", s.Username, err)
	}
	return nil
}

// SetStaffPassword replaces the account's password hash, ends its sessions
// in the same transaction (a password changed because it leaked must lock
// the holder out) and audits it as actor, without the hash. A CodeNotFound
// error when there is no such account; an empty hash CodeInvalid.
func (db *DB) SetStaffPassword(ctx context.Context, username, hash, actor string) error {
	if hash == "" {
		return beian.Errorf(beian.CodeInvalid, "密码不能为空")
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $2, updated_at = now() WHERE username = $1`, username, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return staffNotFound(username)
		}
		n, err := endSessions(ctx, tx, username)
		if err != nil {
			return err
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "staff_password", Target: "staff/" + username,
			Detail: fmt.Sprintf("设置新密码，结束 %d 个登录会话", n),
		})
	})
	if err != nil {
		return fmt.Errorf("set password of staff %s: %w", username, err)
	}
	return nil
}

// DeleteStaff removes the account and, by the foreign key, its sessions, and
// audits it as actor; a CodeNotFound error when there is none.
func (db *DB) DeleteStaff(ctx context.Context, username, actor string) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `DELETE FROM staff WHERE username = $1 RETURNING `+staffColumns, username)
		s, err := pgx.CollectExactlyOneRow(rows, scanStaff)
		if errors.Is(err, pgx.ErrNoRows) {
			return staffNotFound(username)
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "staff_delete", Target: "staff/" + username,
			Detail: fmt.Sprintf("删除账号「%s」（角色%s，邮箱 %s）", s.Name, beian.RoleTitle(s.Role), orNone(s.Email)),
		})
	})
	if err != nil {
		return fmt.Errorf("delete staff %s: %w", username, err)
	}
	return nil
}

// endSessions deletes every session of the account and reports how many there were.
func endSessions(ctx context.Context, tx pgx.Tx, username string) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM staff_sessions WHERE username = $1`, username)
	if err != nil {
		return 0, fmt.Errorf("end sessions of %s: %w", username, err)
	}
	return tag.RowsAffected(), nil
}

// orNone is s, or "（无）" when it is empty, for audit details.
func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

// CreateSession stores s; a zero CreatedAt is now and a zero LastSeen is
// CreatedAt. An unknown username is a CodeNotFound error, an ID in use
// CodeConflict.
func (db *DB) CreateSession(ctx context.Context, s beian.Session) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO staff_sessions (id, username, csrf, addr, user_agent, created_at, last_seen)
		VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), coalesce($7, $6, now()))`,
		s.ID, s.Username, s.CSRF, s.Addr, s.UserAgent, nullTime(s.CreatedAt), nullTime(s.LastSeen))
	switch code, _ := pgErrorCode(err); {
	case code == sqlForeignKeyViolation:
		return staffNotFound(s.Username)
	case code == sqlUniqueViolation:
		return beian.Errorf(beian.CodeConflict, "登录会话已存在")
	case err != nil:
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns the session with id and its account, or nil, nil, nil
// when there is none. A disabled account's session is returned too (there
// should be none): the caller decides.
func (db *DB) GetSession(ctx context.Context, id string) (*beian.Session, *beian.Staff, error) {
	var (
		se beian.Session
		st beian.Staff
	)
	err := db.pool.QueryRow(ctx, `
		SELECT s.id, s.username, s.csrf, s.addr, s.user_agent, s.created_at, s.last_seen,
			st.username, st.name, st.role, st.email, st.disabled, st.password_hash, st.created_at, st.updated_at
		FROM staff_sessions s JOIN staff st ON st.username = s.username
		WHERE s.id = $1`, id).Scan(
		&se.ID, &se.Username, &se.CSRF, &se.Addr, &se.UserAgent, &se.CreatedAt, &se.LastSeen,
		&st.Username, &st.Name, &st.Role, &st.Email, &st.Disabled, &st.PasswordHash, &st.CreatedAt, &st.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get session: %w", err)
	}
	return &se, &st, nil
}

// TouchSession sets the session's LastSeen to at, unless it is later
// already: concurrent requests may touch out of order. No error when the
// session is gone (signed out meanwhile).
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE staff_sessions SET last_seen = greatest(last_seen, $2) WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes the session; no error when there is none.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// LoginFailures returns how many failed sign-ins key has had at or after
// since, and when the last of them was (zero when none).
func (db *DB) LoginFailures(ctx context.Context, key string, since time.Time) (n int, last time.Time, err error) {
	var latest *time.Time
	err = db.pool.QueryRow(ctx, `SELECT count(*), max(at) FROM login_failures WHERE key = $1 AND at >= $2`, key, since).
		Scan(&n, &latest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count login failures: %w", err)
	}
	if latest != nil {
		last = *latest
	}
	return n, last, nil
}

// AddLoginFailure records a failed sign-in at at (now when zero) for each
// key, and deletes those keys' failures older than a day before at, so the
// table holds only what the throttle may still count.
func (db *DB) AddLoginFailure(ctx context.Context, keys []string, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	if at.IsZero() {
		at = time.Now()
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k`, keys, at); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = ANY ($1) AND at < $2`, keys, at.Add(-loginFailureKeep))
		return err
	})
	if err != nil {
		return fmt.Errorf("add login failure: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets the failed sign-ins of key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// LockLogin serialises the sign-ins of keys (an account, an address)
// across every process: it holds a session advisory lock on each key, taken
// in sorted order, until unlock is called. A throttle that reads the failure
// count, checks the password and records the failure is then one step per
// key, so parallel guesses cannot all read a count below the limit.
//
// The locks live on connections of their own small pool: the holder's
// queries use the main pool, which a crowd of sign-ins cannot exhaust. A
// lock is tried, and while it is taken the connection goes back for a
// moment, so waiting holds nothing. Waiting ends with ctx.
func (db *DB) LockLogin(ctx context.Context, keys []string) (unlock func(), err error) {
	sorted := slices.Compact(slices.Sorted(slices.Values(keys)))
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		conn, err := db.lockPool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("lock sign-in: %w", err)
		}
		var locked []string
		release := func() {
			bg := context.WithoutCancel(ctx)
			for _, k := range locked {
				if _, err := conn.Exec(bg, `SELECT pg_advisory_unlock(hashtextextended($1, 7))`, "login:"+k); err != nil {
					// A connection that may still hold the lock must not go
					// back to the pool: closing it ends the lock.
					_ = conn.Hijack().Close(bg)
					return
				}
			}
			conn.Release()
		}
		all := true
		for _, k := range sorted {
			var ok bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 7))`, "login:"+k).Scan(&ok); err != nil {
				release()
				return nil, fmt.Errorf("lock sign-in of %s: %w", k, err)
			}
			if !ok {
				all = false
				break
			}
			locked = append(locked, k)
		}
		if all {
			var once sync.Once
			return func() { once.Do(release) }, nil
		}
		release()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock sign-in: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// PruneSessions deletes the sessions idle since before idleBefore or
// opened before openedBefore (timed out: nobody can use them any more) and
// the failed sign-ins older than failuresBefore; it returns how many
// sessions went.
func (db *DB) PruneSessions(ctx context.Context, idleBefore, openedBefore, failuresBefore time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE last_seen < $1 OR created_at < $2`, idleBefore, openedBefore)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, failuresBefore); err != nil {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
