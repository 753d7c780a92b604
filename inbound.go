package beian

import (
	"context"
	"time"
)

// InboundMail is a mail read from a specialist mailbox (JSBA, AHBA): the
// filer's materials and questions (R-IN-3), each to be answered the same
// working day (R-RV-6). Its attachments live beside it in Postgres, never
// in workflow history.
type InboundMail struct {
	ID          string
	Account     string
	UIDValidity uint32
	UID         uint32
	MessageID   string
	InReplyTo   string
	SHA256      string // of the raw message: the same mail read twice is one
	From        string
	FromName    string
	Subject     string
	ReceivedAt  time.Time
	Text        string
	// CaseID is the case the mail belongs to, once matched; MatchedBy says
	// how: "subject" (<sponsor>+<domain>), "case_no", "sender", "manual".
	CaseID    string
	CaseNo    string
	MatchedBy string
	// Status: "unmatched" (waits for a specialist), "matched", "replied".
	Status     string
	ReplyDueAt *time.Time
	RepliedAt  *time.Time
	RepliedBy  string
	// AlertedAt is when the specialist was told the reply is still due
	// (16:30), EscalatedAt when the supervisor was told it is late (R-RV-6).
	AlertedAt   *time.Time
	EscalatedAt *time.Time
	// AutoSubmitted is set for an auto-reply or a delivery report (RFC
	// 3834): stored and shown, but no reply is due.
	AutoSubmitted bool
	Attachments   []InboundAttachment
	// Notice is a mail to the filer about this one (refused files), saved
	// in the same transaction as the mail under InboundMailKey(id,
	// "rejected"), so a crash never loses it; not read back.
	Notice *Mail `json:"-"`
}

// ReplyAlertAt is when an unanswered mail due at due alerts the specialist
// (R-RV-6): an hour before the end of the working day, 16:30.
func ReplyAlertAt(due time.Time) time.Time { return due.Add(-time.Hour) }

// Inbound mail statuses.
const (
	InboundUnmatched = "unmatched"
	InboundMatched   = "matched"
	InboundReplied   = "replied"
)

// InboundAttachment is one file of an inbound mail.
type InboundAttachment struct {
	ID           string
	Name         string
	DeclaredType string
	SniffedType  string
	Size         int64
	SHA256       string
	// Rejected is why the file was not kept (over the cap, an executable
	// in disguise); the filer is told.
	Rejected string
	// ChecklistCode is the checklist item (R-IN-2) a specialist said the
	// file is, once ticked.
	ChecklistCode string
	Data          []byte `json:"-"`
}

// InboundBatch is what one read of a mailbox brought: the mails and the
// cursor after them, saved together.
type InboundBatch struct {
	Account     string
	UIDValidity uint32
	LastUID     uint32
	Mails       []InboundMail
}

// MailboxStore keeps the inbound mail.
type MailboxStore interface {
	// MailboxCursor is where reading an account stands (zeros at first).
	MailboxCursor(ctx context.Context, account string) (uidValidity, lastUID uint32, err error)
	// SaveInbound records a batch and advances the account's cursor in one
	// transaction; a mail recorded before (same account and SHA-256) is
	// kept as it was. It returns the mails it recorded now.
	SaveInbound(ctx context.Context, b InboundBatch) ([]InboundMail, error)
	// ListInbound returns inbound mail of a status ("" any) and case (""
	// any), newest first, at most limit, without attachment data.
	ListInbound(ctx context.Context, status, caseID string, limit int) ([]InboundMail, error)
	// GetInbound returns one mail with its attachments' descriptions.
	GetInbound(ctx context.Context, id string) (*InboundMail, error)
	// MatchInbound puts an unmatched mail on a case, audited as actor.
	MatchInbound(ctx context.Context, id, caseID, how, actor string, replyDue *time.Time) (*InboundMail, error)
	// CasesForMail finds the cases not ended with one of the case numbers,
	// and those whose principal has the sender's address.
	CasesForMail(ctx context.Context, caseNos []string, sender string) (byNo, bySender []CaseRef, err error)
	// InboundAttachment returns one attachment of a case's mail with its data.
	InboundAttachment(ctx context.Context, caseID, attachmentID string) (*InboundAttachment, error)
	// ReplyInbound queues reply (threaded under the mail) and marks the
	// mail replied, with an event on its case, in one transaction.
	ReplyInbound(ctx context.Context, id string, reply Mail, actor string, at time.Time) (*InboundMail, error)
	// InboundUnsent are the keys of the mail's outbox rows not yet sent
	// (its replies, its notices, its alerts).
	InboundUnsent(ctx context.Context, id string) ([]string, error)
	// MarkInboundAlert records that the mail's reply alert of kind
	// ("alert" or "escalation") went, with the mail that says so queued;
	// false when it had gone before.
	MarkInboundAlert(ctx context.Context, id, kind string, m Mail, at time.Time) (bool, error)
	// SetInboundWatched records that the mail's workflow was started.
	SetInboundWatched(ctx context.Context, ids []string) error
	// UnwatchedInbound are mails whose workflow has not been started.
	UnwatchedInbound(ctx context.Context, limit int) ([]string, error)
	// SetAttachmentChecklist records which checklist item an attachment of
	// a case's mail is ("" clears it), audited as actor.
	SetAttachmentChecklist(ctx context.Context, caseID, attachmentID, code, actor string) (*InboundAttachment, error)
	// InboundCounts counts the inbound mail by status.
	InboundCounts(ctx context.Context) (map[string]int, error)
	// UnansweredMail counts the matched mail not yet answered that is due
	// by before, and the unmatched mail.
	UnansweredMail(ctx context.Context, before time.Time) (due, unmatched int, err error)
}

// Mail keys of an inbound mail's outbox rows: "inbound/<mail id>/…".
func InboundMailKey(mailID, what string) string { return "inbound/" + mailID + "/" + what }
