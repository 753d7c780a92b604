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

// MailboxCursor is where reading an account stands.
func (db *DB) MailboxCursor(ctx context.Context, account string) (uint32, uint32, error) {
	var v, last int64
	err := db.pool.QueryRow(ctx, `SELECT uid_validity, last_uid FROM mailbox_cursors WHERE account = $1`, account).Scan(&v, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("mailbox cursor %s: %w", account, err)
	}
	return uint32(v), uint32(last), nil
}

// SaveInbound records the batch's mails and attachments and advances the
// cursor, in one transaction.
func (db *DB) SaveInbound(ctx context.Context, b beian.InboundBatch) ([]beian.InboundMail, error) {
	var saved []beian.InboundMail
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		saved = nil
		for _, m := range b.Mails {
			var id string
			err := tx.QueryRow(ctx, `INSERT INTO inbound_mail (account, uid_validity, uid, message_id, in_reply_to, sha256,
					from_addr, from_name, subject, received_at, text_body, case_id, matched_by, status, reply_due_at, auto_submitted)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
				ON CONFLICT (account, sha256) DO NOTHING RETURNING id`,
				b.Account, int64(m.UIDValidity), int64(m.UID), m.MessageID, m.InReplyTo, m.SHA256, m.From, m.FromName, m.Subject,
				m.ReceivedAt, m.Text, nullUUID(m.CaseID), m.MatchedBy, m.Status, m.ReplyDueAt, m.AutoSubmitted).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // read before (a UIDVALIDITY change, a retry)
			}
			if err != nil {
				return fmt.Errorf("save inbound mail: %w", err)
			}
			for i, a := range m.Attachments {
				var data any
				if a.Rejected == "" {
					data = a.Data
				}
				if _, err := tx.Exec(ctx, `INSERT INTO inbound_attachments (mail_id, position, name, declared_type, sniffed_type, size, sha256, rejected, data)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, i, a.Name, a.DeclaredType, a.SniffedType, a.Size, a.SHA256, a.Rejected, data); err != nil {
					return fmt.Errorf("save attachment: %w", err)
				}
			}
			if m.Notice != nil {
				n := *m.Notice
				n.Key, n.CaseID = beian.InboundMailKey(id, "rejected"), m.CaseID
				if err := insertMail(ctx, tx, db.box, &n); err != nil {
					return err
				}
			}
			if m.CaseID != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, $2, 'mail_received', 'mailbox', $3)`,
					m.CaseID, m.ReceivedAt, fmt.Sprintf("收到邮件「%s」（%s，%d 个附件）", m.Subject, m.From, len(m.Attachments))); err != nil {
					return fmt.Errorf("mail event: %w", err)
				}
			}
			m.ID = id
			saved = append(saved, m)
		}
		_, err := tx.Exec(ctx, `INSERT INTO mailbox_cursors (account, uid_validity, last_uid) VALUES ($1, $2, $3)
			ON CONFLICT (account) DO UPDATE SET uid_validity = $2, last_uid = $3, updated_at = now()`,
			b.Account, int64(b.UIDValidity), int64(b.LastUID))
		return err
	})
	return saved, err
}

const inboundColumns = `m.id, m.account, m.uid_validity, m.uid, m.message_id, m.in_reply_to, m.sha256, m.from_addr, m.from_name,
	m.subject, m.received_at, m.text_body, coalesce(m.case_id::text, ''), coalesce(c.case_no, ''), m.matched_by, m.status,
	m.reply_due_at, m.replied_at, m.replied_by, m.alerted_at, m.escalated_at, m.auto_submitted`

func scanInbound(row pgx.CollectableRow) (beian.InboundMail, error) {
	var m beian.InboundMail
	var v, uid int64
	err := row.Scan(&m.ID, &m.Account, &v, &uid, &m.MessageID, &m.InReplyTo, &m.SHA256, &m.From, &m.FromName, &m.Subject,
		&m.ReceivedAt, &m.Text, &m.CaseID, &m.CaseNo, &m.MatchedBy, &m.Status, &m.ReplyDueAt, &m.RepliedAt, &m.RepliedBy, &m.AlertedAt, &m.EscalatedAt, &m.AutoSubmitted)
	m.UIDValidity, m.UID = uint32(v), uint32(uid)
	return m, err
}

// ListInbound returns inbound mail, newest first.
func (db *DB) ListInbound(ctx context.Context, status, caseID string, limit int) ([]beian.InboundMail, error) {
	if caseID != "" && !validUUID(caseID) {
		return nil, nil
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+inboundColumns+` FROM inbound_mail m LEFT JOIN cases c ON c.id = m.case_id
		WHERE ($1 = '' OR m.status = $1) AND ($2 = '' OR m.case_id = $2::uuid) ORDER BY m.received_at DESC, m.id LIMIT $3`, status, caseID, limit)
	out, err := pgx.CollectRows(rows, scanInbound)
	if err != nil {
		return nil, fmt.Errorf("list inbound: %w", err)
	}
	// The attachments of the whole page in one query, not one a mail.
	ids := make([]string, len(out))
	at := map[string]int{}
	for i, m := range out {
		ids[i], at[m.ID] = m.ID, i
	}
	arows, _ := db.pool.Query(ctx, `SELECT mail_id::text, id, name, declared_type, sniffed_type, size, sha256, rejected, checklist_code
		FROM inbound_attachments WHERE mail_id = ANY($1::uuid[]) ORDER BY mail_id, position`, ids)
	var mailID string
	var a beian.InboundAttachment
	_, err = pgx.ForEachRow(arows, []any{&mailID, &a.ID, &a.Name, &a.DeclaredType, &a.SniffedType, &a.Size, &a.SHA256, &a.Rejected, &a.ChecklistCode}, func() error {
		out[at[mailID]].Attachments = append(out[at[mailID]].Attachments, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list inbound attachments: %w", err)
	}
	return out, nil
}

// InboundCounts counts the inbound mail by status.
func (db *DB) InboundCounts(ctx context.Context) (map[string]int, error) {
	rows, _ := db.pool.Query(ctx, `SELECT status, count(*) FROM inbound_mail GROUP BY status`)
	out := map[string]int{}
	var st string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[st] = n; return nil }); err != nil {
		return nil, fmt.Errorf("inbound counts: %w", err)
	}
	return out, nil
}

func (db *DB) inboundAttachments(ctx context.Context, mailID string) ([]beian.InboundAttachment, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id, name, declared_type, sniffed_type, size, sha256, rejected, checklist_code
		FROM inbound_attachments WHERE mail_id = $1 ORDER BY position`, mailID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.InboundAttachment, error) {
		var a beian.InboundAttachment
		err := row.Scan(&a.ID, &a.Name, &a.DeclaredType, &a.SniffedType, &a.Size, &a.SHA256, &a.Rejected, &a.ChecklistCode)
		return a, err
	})
}

// GetInbound returns one mail with its attachments' descriptions.
func (db *DB) GetInbound(ctx context.Context, id string) (*beian.InboundMail, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "邮件 %s 不存在", id)
	if !validUUID(id) {
		return nil, notFound
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+inboundColumns+` FROM inbound_mail m LEFT JOIN cases c ON c.id = m.case_id WHERE m.id = $1`, id)
	m, err := pgx.CollectExactlyOneRow(rows, scanInbound)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("get inbound: %w", err)
	}
	if m.Attachments, err = db.inboundAttachments(ctx, m.ID); err != nil {
		return nil, err
	}
	return &m, nil
}

// MatchInbound puts a mail on a case (a specialist's match, audited).
func (db *DB) MatchInbound(ctx context.Context, id, caseID, how, actor string, replyDue *time.Time) (*beian.InboundMail, error) {
	if !validUUID(id) || !validUUID(caseID) {
		return nil, beian.Errorf(beian.CodeNotFound, "邮件或备案申请不存在")
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var subject, from string
		var at time.Time
		err := tx.QueryRow(ctx, `UPDATE inbound_mail SET case_id = $2, matched_by = $3, status = 'matched', reply_due_at = coalesce(reply_due_at, $4), watched = false
			WHERE id = $1 AND status = 'unmatched' RETURNING subject, from_addr, received_at`, id, caseID, how, replyDue).Scan(&subject, &from, &at)
		if errors.Is(err, pgx.ErrNoRows) {
			return beian.Errorf(beian.CodeInvalidState, "邮件已归入备案申请，不能再次归入")
		}
		if err != nil {
			return fmt.Errorf("match inbound: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, now(), 'mail_received', $2, $3)`,
			caseID, actor, fmt.Sprintf("收到邮件「%s」（%s，%s），由 %s 归入本申请", subject, from, at.In(shanghai).Format("2006-01-02 15:04"), actor)); err != nil {
			return err
		}
		return audit(ctx, tx, beian.AuditEntry{Actor: actor, Action: "match_inbound_mail", Target: id, Detail: caseID})
	})
	if err != nil {
		return nil, err
	}
	return db.GetInbound(ctx, id)
}

// InboundAttachment returns one attachment of a case's mail with its data.
func (db *DB) InboundAttachment(ctx context.Context, caseID, attachmentID string) (*beian.InboundAttachment, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "附件 %s 不存在", attachmentID)
	if !validUUID(caseID) || !validUUID(attachmentID) {
		return nil, notFound
	}
	var a beian.InboundAttachment
	err := db.pool.QueryRow(ctx, `SELECT a.id, a.name, a.declared_type, a.sniffed_type, a.size, a.sha256, a.rejected, a.checklist_code, a.data
		FROM inbound_attachments a JOIN inbound_mail m ON m.id = a.mail_id WHERE a.id = $1 AND m.case_id = $2`, attachmentID, caseID).
		Scan(&a.ID, &a.Name, &a.DeclaredType, &a.SniffedType, &a.Size, &a.SHA256, &a.Rejected, &a.ChecklistCode, &a.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	return &a, nil
}

// CasesForMail finds the cases a mail may belong to (R-IN-3): by case
// number, or the open and live cases whose principal has the sender's
// address. Ended cases are not offered.
func (db *DB) CasesForMail(ctx context.Context, caseNos []string, sender string) (byNo, bySender []beian.CaseRef, err error) {
	scan := func(sql string, arg any) ([]beian.CaseRef, error) {
		rows, _ := db.pool.Query(ctx, sql, arg, endedStatuses())
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.CaseRef, error) {
			var r beian.CaseRef
			var st string
			err := row.Scan(&r.ID, &r.CaseNo, &st)
			r.Status = beian.Status(st)
			return r, err
		})
	}
	if len(caseNos) > 0 {
		if byNo, err = scan(`SELECT id, case_no, status FROM cases WHERE case_no = ANY($1) AND status <> ALL ($2::text[])`, caseNos); err != nil {
			return nil, nil, fmt.Errorf("cases by number: %w", err)
		}
	}
	// issue 12 §2: the principal's address is sealed; its blind index
	// (lower-cased, like the comparison before) finds the cases.
	if sender != "" && db.box != nil {
		if bySender, err = scan(`SELECT id, case_no, status FROM cases WHERE pii_indexes @> ARRAY[$1::text] AND status <> ALL ($2::text[])`,
			db.box.Index(secret.IndexEmail, sender)); err != nil {
			return nil, nil, fmt.Errorf("cases by sender: %w", err)
		}
	}
	return byNo, bySender, nil
}

// ReplyInbound queues a reply to a mail and marks the mail replied (the
// first reply stops its deadline, R-RV-6), with an event on its case.
func (db *DB) ReplyInbound(ctx context.Context, id string, reply beian.Mail, actor string, at time.Time) (*beian.InboundMail, error) {
	if !validUUID(id) {
		return nil, beian.Errorf(beian.CodeNotFound, "邮件 %s 不存在", id)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var caseID *string
		err := tx.QueryRow(ctx, `UPDATE inbound_mail SET status = 'replied', replied_at = coalesce(replied_at, $2), watched = false,
				replied_by = CASE WHEN replied_by = '' THEN $3 ELSE replied_by END
			WHERE id = $1 RETURNING case_id::text`, id, at, actor).Scan(&caseID)
		if errors.Is(err, pgx.ErrNoRows) {
			return beian.Errorf(beian.CodeNotFound, "邮件 %s 不存在", id)
		}
		if err != nil {
			return fmt.Errorf("reply inbound: %w", err)
		}
		if caseID != nil {
			reply.CaseID = *caseID
		}
		if err := insertMail(ctx, tx, db.box, &reply); err != nil {
			return err
		}
		if caseID != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, $2, 'mail_replied', $3, $4)`,
				*caseID, at, actor, "回复邮件「"+reply.Subject+"」"); err != nil {
				return fmt.Errorf("reply event: %w", err)
			}
		}
		return audit(ctx, tx, beian.AuditEntry{Actor: actor, Action: "reply_inbound_mail", Target: id, Detail: reply.Key})
	})
	if err != nil {
		return nil, err
	}
	return db.GetInbound(ctx, id)
}

// InboundUnsent are the keys of the mail's outbox rows not yet sent.
func (db *DB) InboundUnsent(ctx context.Context, id string) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT key FROM mail_outbox WHERE key LIKE $1 AND sent_at IS NULL ORDER BY created_at, key`,
		beian.InboundMailKey(id, "%"))
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("unsent mail of %s: %w", id, err)
	}
	return keys, nil
}

// MarkInboundAlert records the mail's alert of kind with its mail queued.
func (db *DB) MarkInboundAlert(ctx context.Context, id, kind string, m beian.Mail, at time.Time) (bool, error) {
	col := "alerted_at"
	if kind == "escalation" {
		col = "escalated_at"
	}
	first := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var caseID *string
		err := tx.QueryRow(ctx, `UPDATE inbound_mail SET `+col+` = $2 WHERE id = $1 AND `+col+` IS NULL RETURNING case_id::text`, id, at).Scan(&caseID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark inbound alert: %w", err)
		}
		first = true
		if caseID != nil {
			m.CaseID = *caseID
			detail := "来信「" + m.Subject + "」尚未回复，已提醒备案专员"
			if kind == "escalation" {
				detail = "来信超过回复期限仍未回复，已告知主管"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, event, actor, detail) VALUES ($1, $2, $3, 'system', $4)`,
				*caseID, at, "mail_reply_"+kind, detail); err != nil {
				return err
			}
		}
		if len(m.To) == 0 {
			return nil
		}
		return insertMail(ctx, tx, db.box, &m)
	})
	return first, err
}

// SetInboundWatched records that the mails' workflows were started.
func (db *DB) SetInboundWatched(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := db.pool.Exec(ctx, `UPDATE inbound_mail SET watched = true WHERE id = ANY($1::uuid[])`, ids); err != nil {
		return fmt.Errorf("set inbound watched: %w", err)
	}
	return nil
}

// UnwatchedInbound are mails whose workflow was not started, oldest first.
func (db *DB) UnwatchedInbound(ctx context.Context, limit int) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id::text FROM inbound_mail WHERE NOT watched ORDER BY received_at LIMIT $1`, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("unwatched inbound: %w", err)
	}
	return ids, nil
}

// SetAttachmentChecklist records which checklist item an attachment is.
func (db *DB) SetAttachmentChecklist(ctx context.Context, caseID, attachmentID, code, actor string) (*beian.InboundAttachment, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "附件 %s 不存在", attachmentID)
	if !validUUID(caseID) || !validUUID(attachmentID) {
		return nil, notFound
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `UPDATE inbound_attachments a SET checklist_code = $3 FROM inbound_mail m
			WHERE a.id = $1 AND m.id = a.mail_id AND m.case_id = $2 RETURNING a.name`, attachmentID, caseID, code).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return fmt.Errorf("set attachment checklist: %w", err)
		}
		return audit(ctx, tx, beian.AuditEntry{Actor: actor, Action: "attachment_checklist", Target: caseID, Detail: name + " → " + code})
	})
	if err != nil {
		return nil, err
	}
	a, err := db.InboundAttachment(ctx, caseID, attachmentID)
	if a != nil {
		a.Data = nil
	}
	return a, err
}

// UnansweredMail counts matched mail due by before without a reply, and
// unmatched mail.
func (db *DB) UnansweredMail(ctx context.Context, before time.Time) (due, unmatched int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE status = 'matched' AND reply_due_at <= $1),
			count(*) FILTER (WHERE status = 'unmatched')
		FROM inbound_mail WHERE status IN ('matched', 'unmatched')`, before).Scan(&due, &unmatched)
	if err != nil {
		return 0, 0, fmt.Errorf("unanswered mail: %w", err)
	}
	return due, unmatched, nil
}
