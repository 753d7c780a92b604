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
	Status      string
	ReplyDueAt  *time.Time
	RepliedAt   *time.Time
	RepliedBy   string
	Attachments []InboundAttachment
}

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
}
