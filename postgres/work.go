package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

// This file keeps the side effects of transitions: the mail outbox, staff
// tasks and access actions for tech. Each has a business key; a key is
// written once, so a retried transition adds nothing.

// insertMail queues m unless its key is queued already, its recipients
// sealed with box (issue 12 §2: a filer's e-mail address; sealMailTo).
func insertMail(ctx context.Context, tx pgx.Tx, box *secret.Box, m *beian.Mail) error {
	to, err := sealMailTo(box, m.To)
	if err != nil {
		return fmt.Errorf("queue mail %s: %w", m.Key, err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO mail_outbox (key, case_id, recipients, subject, body, sent_at, in_reply_to, reply_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO NOTHING`,
		m.Key, nullUUID(m.CaseID), to, m.Subject, m.Body, m.SentAt, m.InReplyTo, m.ReplyTo)
	if err != nil {
		return fmt.Errorf("queue mail %s: %w", m.Key, err)
	}
	return nil
}

// mailNotFound is the error for an unknown mail key.
func mailNotFound(key string) error {
	return beian.Errorf(beian.CodeNotFound, "邮件 %s 不存在", key)
}

const mailColumns = `key, coalesce(case_id::text, ''), recipients, subject, body, sent_at, in_reply_to, reply_to`

// scanMail reads a row of mailColumns, its recipients opened (issue 12 §2).
func (db *DB) scanMail(row pgx.CollectableRow) (beian.Mail, error) {
	var m beian.Mail
	if err := row.Scan(&m.Key, &m.CaseID, &m.To, &m.Subject, &m.Body, &m.SentAt, &m.InReplyTo, &m.ReplyTo); err != nil {
		return m, err
	}
	to, err := openMailTo(db.box, m.To)
	if err != nil {
		return m, fmt.Errorf("mail %s: %w", m.Key, err)
	}
	m.To = nilIfEmpty(to)
	return m, nil
}

// GetMail returns the outbox row of key.
func (db *DB) GetMail(ctx context.Context, key string) (*beian.Mail, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE key = $1`, key)
	m, err := pgx.CollectExactlyOneRow(rows, db.scanMail)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, mailNotFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("get mail %s: %w", key, err)
	}
	return &m, nil
}

// ClaimMail claims the unsent mail of key for lease, so that only one sender
// sends it. It reports whether the claim was taken and whether the mail was
// already sent; a claim held by another sender within its lease is not taken.
func (db *DB) ClaimMail(ctx context.Context, key string, lease time.Duration) (claimed, sent bool, err error) {
	var sentAt, claimedAt *time.Time
	err = db.pool.QueryRow(ctx, `
		WITH prev AS (SELECT sent_at, claimed_at FROM mail_outbox WHERE key = $1 FOR UPDATE)
		UPDATE mail_outbox m SET claimed_at = now()
		FROM prev
		WHERE m.key = $1 AND prev.sent_at IS NULL
		  AND (prev.claimed_at IS NULL OR prev.claimed_at < now() - make_interval(secs => $2))
		RETURNING prev.sent_at, prev.claimed_at`, key, lease.Seconds()).Scan(&sentAt, &claimedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		m, gerr := db.GetMail(ctx, key)
		if gerr != nil {
			return false, false, gerr
		}
		return false, m.SentAt != nil, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("claim mail %s: %w", key, err)
	}
	return true, false, nil
}

// ReleaseMail gives up the claim on the mail of key after a failed send,
// so the next attempt need not wait for the lease to run out.
func (db *DB) ReleaseMail(ctx context.Context, key string) error {
	if _, err := db.pool.Exec(ctx, `UPDATE mail_outbox SET claimed_at = NULL WHERE key = $1 AND sent_at IS NULL`, key); err != nil {
		return fmt.Errorf("release mail %s: %w", key, err)
	}
	return nil
}

// MarkMailSent records that the mail of key was sent at at. A mail already
// marked keeps its first time.
func (db *DB) MarkMailSent(ctx context.Context, key string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE mail_outbox SET sent_at = coalesce(sent_at, $2) WHERE key = $1`, key, at)
	if err != nil {
		return fmt.Errorf("mark mail %s sent: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return mailNotFound(key)
	}
	return nil
}

// ListMails returns the mails of a case in the order they were queued.
func (db *DB) ListMails(ctx context.Context, caseID string) ([]beian.Mail, error) {
	if !validUUID(caseID) {
		return nil, nil
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT `+mailColumns+` FROM mail_outbox WHERE case_id = $1 ORDER BY created_at, key`, caseID)
	mails, err := pgx.CollectRows(rows, db.scanMail)
	if err != nil {
		return nil, fmt.Errorf("list mails of case %s: %w", caseID, err)
	}
	return mails, nil
}

// insertTask adds task unless its key exists, filling in ID, Status (open)
// and CreatedAt where empty; for an existing key they are those of its row.
func insertTask(ctx context.Context, tx pgx.Tx, task *beian.Task) error {
	if task.Status == "" {
		task.Status = beian.TaskOpen
	}
	var (
		id      string
		created time.Time
	)
	err := tx.QueryRow(ctx, `
		INSERT INTO tasks (id, key, kind, status, case_id, due_at, script, created_at, assignee)
		VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, coalesce($8, now()), $9)
		ON CONFLICT (key) DO NOTHING
		RETURNING id, created_at`,
		nullUUID(task.ID), task.Key, task.Kind, task.Status, nullUUID(task.CaseID), nullTime(task.DueAt),
		task.Script, nullTime(task.CreatedAt), task.Assignee).Scan(&id, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id, created_at FROM tasks WHERE key = $1`, task.Key).Scan(&id, &created)
	}
	if err != nil {
		return fmt.Errorf("add task %s: %w", task.Key, err)
	}
	task.ID, task.CreatedAt = id, created
	return nil
}

// taskColumns are the columns of tasks in the order of scanTask.
// The case number comes along so a list of tasks can say whose they are.
const taskColumns = `id, key, kind, status, coalesce(case_id::text, ''), due_at, script, created_at,
	coalesce((SELECT case_no FROM cases WHERE cases.id = tasks.case_id), ''), completed_at, coalesce(outcome::text, ''), assignee`

func scanTask(row pgx.CollectableRow) (beian.Task, error) {
	var (
		t   beian.Task
		due *time.Time
	)
	err := row.Scan(&t.ID, &t.Key, &t.Kind, &t.Status, &t.CaseID, &due, &t.Script, &t.CreatedAt, &t.CaseNo, &t.CompletedAt, &t.Outcome, &t.Assignee)
	if due != nil {
		t.DueAt = *due
	}
	return t, err
}

// ListTasks returns the tasks of a kind and status, soonest due first; an
// empty kind or status matches any.
func (db *DB) ListTasks(ctx context.Context, kind, status string) ([]beian.Task, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT `+taskColumns+`
		FROM tasks
		WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR status = $2)
		ORDER BY due_at NULLS LAST, created_at, id`, kind, status)
	tasks, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}

// insertAccessAction adds a unless its key exists, filling in ID, Status
// (pending) and RequestedAt where empty; for an existing key they are those
// of its row.
func insertAccessAction(ctx context.Context, tx pgx.Tx, a *beian.AccessAction) error {
	if a.Status == "" {
		a.Status = beian.AccessPending
	}
	var (
		id        string
		requested time.Time
	)
	err := tx.QueryRow(ctx, `
		INSERT INTO access_actions (id, key, case_id, kind, status, reason, server_ips, domains,
			requested_at, confirmed_at, confirmed_by, addressed_to)
		VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()), $10, $11, $12)
		ON CONFLICT (key) DO NOTHING
		RETURNING id, requested_at`,
		nullUUID(a.ID), a.Key, nullUUID(a.CaseID), a.Kind, a.Status, a.Reason, nonNil(a.ServerIPs),
		nonNil(a.Domains), nullTime(a.RequestedAt), a.ConfirmedAt, a.ConfirmedBy, addressee(a.AddressedTo)).Scan(&id, &requested)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id, requested_at FROM access_actions WHERE key = $1`, a.Key).Scan(&id, &requested)
	}
	if err != nil {
		return fmt.Errorf("add access action %s: %w", a.Key, err)
	}
	a.ID, a.RequestedAt = id, requested
	return nil
}

func addressee(s string) string {
	if s == "" {
		return beian.AddresseeTech
	}
	return s
}

const accessActionColumns = `id, key, coalesce(case_id::text, ''), kind, status, reason, server_ips,
	domains, requested_at, confirmed_at, confirmed_by, confirm_note, addressed_to,
	coalesce((SELECT customer_id FROM cases WHERE cases.id = access_actions.case_id), '')`

func scanAccessAction(row pgx.CollectableRow) (beian.AccessAction, error) {
	var a beian.AccessAction
	err := row.Scan(&a.ID, &a.Key, &a.CaseID, &a.Kind, &a.Status, &a.Reason, &a.ServerIPs, &a.Domains,
		&a.RequestedAt, &a.ConfirmedAt, &a.ConfirmedBy, &a.ConfirmNote, &a.AddressedTo, &a.CustomerID)
	a.ServerIPs, a.Domains = nilIfEmpty(a.ServerIPs), nilIfEmpty(a.Domains)
	return a, err
}

// ListAccessActions returns the access actions of a status, oldest request
// first; an empty status matches any.
func (db *DB) ListAccessActions(ctx context.Context, status string) ([]beian.AccessAction, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT `+accessActionColumns+` FROM access_actions
		WHERE ($1 = '' OR status = $1)
		ORDER BY requested_at, key`, status)
	actions, err := pgx.CollectRows(rows, scanAccessAction)
	if err != nil {
		return nil, fmt.Errorf("list access actions: %w", err)
	}
	return actions, nil
}

// accessKindTitle is how staff name an access action's kind (R-AC).
func accessKindTitle(kind string) string { return beian.AccessKindTitle(kind) }

// ConfirmAccessAction records that tech (actor) carried out the action at at
// (now when zero), and adds an "access_confirmed" event to its case (R-AC-1).
// An action confirmed before is a CodeInvalidState error.
func (db *DB) ConfirmAccessAction(ctx context.Context, id, actor string, at time.Time, note string) (*beian.AccessAction, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "接入操作 %s 不存在", id)
	if !validUUID(id) {
		return nil, notFound
	}
	if at.IsZero() {
		at = time.Now()
	}
	var a beian.AccessAction
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+accessActionColumns+` FROM access_actions WHERE id = $1 FOR UPDATE`, id)
		var err error
		a, err = pgx.CollectExactlyOneRow(rows, scanAccessAction)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		if a.Status == beian.AccessConfirmed {
			when := ""
			if a.ConfirmedAt != nil {
				when = a.ConfirmedAt.In(shanghai).Format("2006-01-02 15:04")
			}
			return beian.Errorf(beian.CodeInvalidState, "%s操作已由 %s 于 %s 确认，不能重复确认",
				accessKindTitle(a.Kind), a.ConfirmedBy, when)
		}
		err = tx.QueryRow(ctx, `
			UPDATE access_actions SET status = $2, confirmed_at = $3, confirmed_by = $4, confirm_note = $5 WHERE id = $1
			RETURNING confirmed_at`, id, beian.AccessConfirmed, at, actor, note).Scan(&a.ConfirmedAt)
		if err != nil {
			return err
		}
		a.Status, a.ConfirmedBy, a.ConfirmNote = beian.AccessConfirmed, actor, note
		if a.CaseID != "" {
			_, err = tx.Exec(ctx, `
				INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, $2, $3, $4, $5)`,
				a.CaseID, at, eventAccessConfirmed, actor, confirmDetail(a, note))
			if err != nil {
				return err
			}
		}
		// A cut or a restore carried out is the desk's weightiest act
		// (issue 12 §3): audited last in the transaction, as every append.
		return audit(ctx, tx, beian.AuditEntry{
			Kind: beian.AuditCase, Actor: actor, Action: "access_confirmed", CaseID: a.CaseID,
			Target: "access/" + a.ID, Detail: accessKindTitle(a.Kind) + "操作已执行确认",
		})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm access action %s: %w", id, err)
	}
	return &a, nil
}

// nullTime is t as a query argument for a nullable column: NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// RecentTasks returns the latest limit tasks of a status (empty: any),
// newest first: the task page's list of finished work.
func (db *DB) RecentTasks(ctx context.Context, status string, limit int) ([]beian.Task, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT `+taskColumns+` FROM tasks WHERE ($1 = '' OR status = $1)
		ORDER BY created_at DESC, id DESC LIMIT $2`, status, limit)
	tasks, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return nil, fmt.Errorf("recent tasks: %w", err)
	}
	return tasks, nil
}

// RecentAccessActions returns the latest limit access actions of a status
// (empty: any), newest request first.
func (db *DB) RecentAccessActions(ctx context.Context, status string, limit int) ([]beian.AccessAction, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT `+accessActionColumns+` FROM access_actions WHERE ($1 = '' OR status = $1)
		ORDER BY requested_at DESC, id DESC LIMIT $2`, status, limit)
	actions, err := pgx.CollectRows(rows, scanAccessAction)
	if err != nil {
		return nil, fmt.Errorf("recent access actions: %w", err)
	}
	return actions, nil
}

// GetTask returns one task; CodeNotFound when there is none.
func (db *DB) GetTask(ctx context.Context, id string) (*beian.Task, error) {
	if !validUUID(id) {
		return nil, beian.Errorf(beian.CodeNotFound, "任务 %s 不存在", id)
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanTask)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, beian.Errorf(beian.CodeNotFound, "任务 %s 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	return &t, nil
}

// updateTask changes an open task of the case inside a transition: a task
// of another case, or one already done, is refused (a transition never
// completes a task twice).
func updateTask(ctx context.Context, tx pgx.Tx, caseID string, u beian.TaskUpdate) error {
	var completed any
	if u.Status == beian.TaskDone {
		completed = u.At
	}
	var outcome any
	if u.Outcome != "" {
		outcome = u.Outcome
	}
	tag, err := tx.Exec(ctx, `
		UPDATE tasks SET status = $3, outcome = coalesce($4::jsonb, outcome), completed_at = coalesce($5::timestamptz, completed_at),
			due_at = coalesce($6::timestamptz, due_at)
		WHERE id = $1 AND case_id = $2 AND status = 'open'`, nullUUID(u.ID), caseID, u.Status, outcome, completed, u.DueAt)
	if err != nil {
		return fmt.Errorf("update task %s: %w", u.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return beian.Errorf(beian.CodeInvalidState, "任务 %s 不是本申请的待办任务（可能已完成）", u.ID)
	}
	return nil
}

// SamplingCandidates returns the IDs of up to limit approved filings for
// the daily sampling (R-PA-1): those verified longest ago first (never
// verified before all), leaving out those with a call still open.
func (db *DB) SamplingCandidates(ctx context.Context, limit int) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT c.id::text FROM cases c
		WHERE c.status = 'APPROVED'
		  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id AND t.kind = 'verification_call' AND t.status = 'open')
		ORDER BY coalesce(c.last_verified_at, '-infinity'::timestamptz), c.created_at, c.id
		LIMIT $1`, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sampling candidates: %w", err)
	}
	return ids, nil
}

// confirmDetail is the timeline's line for a confirmed access action.
func confirmDetail(a beian.AccessAction, note string) string {
	d := fmt.Sprintf("技术部已确认%s（%s）", accessKindTitle(a.Kind), a.Key)
	if note != "" {
		d += "：" + note
	}
	return d
}

// QueueMailWithEvents queues m with a timeline event on each case of
// events (case ID → event), in one transaction, unless m.Key was queued
// before: then nothing is written and queued is false.
func (db *DB) QueueMailWithEvents(ctx context.Context, m beian.Mail, events map[string]beian.Event) (queued bool, err error) {
	to, err := sealMailTo(db.box, m.To) // issue 12 §2
	if err != nil {
		return false, fmt.Errorf("queue mail %s: %w", m.Key, err)
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO mail_outbox (key, case_id, recipients, subject, body, in_reply_to) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (key) DO NOTHING`, m.Key, nullUUID(m.CaseID), to, m.Subject, m.Body, m.InReplyTo)
		if err != nil {
			return fmt.Errorf("queue mail %s: %w", m.Key, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		queued = true
		for caseID, e := range events {
			if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, $2, $3, $4, $5)`,
				caseID, e.At, e.Event, e.Actor, e.Detail); err != nil {
				return fmt.Errorf("add event to %s: %w", caseID, err)
			}
		}
		return nil
	})
	return queued, err
}
