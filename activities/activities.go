// Package activities holds every side effect of the filing workflow: writing
// transitions to Postgres, sending mail, and telling network control about
// access actions. Each activity is idempotent by a business key, so a retry
// never sends, calls or cuts twice.
package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/mail"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// Mailer sends one outbox mail (go-mail in production).
type Mailer interface {
	Send(ctx context.Context, m beian.Mail) error
}

// Linker passes the outcome of a linked case to the live filing's workflow
// (worker.Engine on Temporal).
type Linker interface {
	SignalLinked(ctx context.Context, caseID string, req workflows.ActionRequest) error
}

// AccessNotifier tells network control about an access action (optional).
type AccessNotifier interface {
	Notify(ctx context.Context, a beian.AccessAction) error
}

// Config holds the timings and addresses the activities use.
type Config struct {
	// BureauWorkingDays is the bureau's review period, 20 working days (R-BR-1).
	BureauWorkingDays int
	// BureauSLA, when set, replaces the working-day calendar with a plain
	// duration (for demos and end-to-end tests only).
	BureauSLA time.Duration
	// RectifyWithin is the rectification deadline, 24 hours (R-PA-3, R-VC-4).
	RectifyWithin time.Duration
	// StaffAlerts receive overdue alerts besides the province mailbox (supervisors).
	StaffAlerts []string
	// TechMailbox receives access actions for tech (技术部), if set.
	TechMailbox string
	// TechSupervisorMailbox receives an escalation's stops and restores
	// (技术部主管, R-VC-4); TechMailbox when empty.
	TechSupervisorMailbox string
	// MarketingMailbox follows up filers whose site left us (R-PA-3 ②).
	MarketingMailbox string
	// SMSWithin replaces the MIIT SMS check's 24 hours (R-BR-6) when set; demos and tests.
	SMSWithin time.Duration
	// SweepHomepages turns the R-PA-5 home-page check of the sweep on.
	SweepHomepages bool
	// SweepChunk is how many domains a sweep batch resolves between two
	// saves; 1,000 when zero.
	SweepChunk int
	// SampleSize is how many filings the daily sampling calls (R-PA-1).
	SampleSize int
	// GMMailbox is the general manager's, told when an escalation cuts access (R-VC-4).
	GMMailbox string
}

// Activities is the set of filing activities with their dependencies.
type Activities struct {
	Store  beian.Store
	Mailer Mailer
	Access AccessNotifier // nil: access actions wait in the API for tech only
	Linker Linker         // passes linked outcomes on (R-TY)
	// Caller asks filings' workflows for actions (the daily sampling's calls).
	Caller Caller
	// Escalator starts customers' escalations (R-VC-4).
	Escalator Escalator
	// Callbacker starts the wake-ups of arranged callbacks.
	Callbacker Callbacker
	// Domains resolves filed domains for the shell-site sweep (dns.Resolver).
	Domains DomainChecker
	// Homepages checks home pages for the filing number (R-PA-5); nil: not checked.
	Homepages HomepageChecker
	// Staff are the staff accounts (the sampling's specialists on duty); nil: none.
	Staff  beian.StaffStore
	Config Config
}

// Calendar is the working-day calendar as staff have corrected it, with
// the years they have marked published (R-BR-1).
func (a *Activities) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	days, err := a.Store.ListCalendarDays(ctx)
	if err != nil {
		return nil, fmt.Errorf("load calendar overrides: %w", err)
	}
	published, err := a.Store.ListPublishedYears(ctx)
	if err != nil {
		return nil, fmt.Errorf("load published calendar years: %w", err)
	}
	return calendar.New(days, published), nil
}

// SendMail sends the outbox mail with the given key, once: a mail already
// marked sent is not sent again.
func (a *Activities) SendMail(ctx context.Context, key string) error {
	m, err := a.Store.GetMail(ctx, key)
	if err != nil {
		return appErr(err)
	}
	if m.SentAt != nil {
		return nil
	}
	if len(m.To) == 0 {
		return nil
	}
	// Claim the row for longer than one attempt may run (start-to-close 1 min).
	claimed, sent, err := a.Store.ClaimMail(ctx, key, 2*time.Minute)
	if err != nil {
		return appErr(err)
	}
	if sent {
		return nil
	}
	if !claimed {
		return fmt.Errorf("mail %s is being sent by another attempt; checking again later", key)
	}
	if err := a.Mailer.Send(ctx, *m); err != nil {
		_ = a.Store.ReleaseMail(ctx, key) // the next attempt may send at once
		// issue 12 §2: a filer's address goes neither on the timeline nor,
		// through the error, into the workflow's history: masked.
		to, why := maskAddresses(m.To, err.Error())
		if beian.ErrorCode(err) == beian.CodeInvalid || mail.Permanent(err) {
			// A retry cannot help: say so on the case's timeline for staff.
			_ = a.Store.AddEvent(ctx, m.CaseID, beian.Event{At: time.Now(), Event: "mail_failed", Actor: "system",
				Detail: fmt.Sprintf("邮件「%s」无法投递（%v）：请核对收件地址后联系用户", m.Subject, to)})
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("send mail %s: %s", key, why), beian.CodeInvalid, nil)
		}
		return &maskedError{msg: fmt.Sprintf("send mail %s: %s", key, why), err: err}
	}
	if err := a.Store.MarkMailSent(ctx, key, time.Now()); err != nil {
		return fmt.Errorf("mark mail %s sent: %w", key, err)
	}
	return nil
}

// UnsentMail lists the keys of the case's outbox rows not yet sent, oldest first.
func (a *Activities) UnsentMail(ctx context.Context, caseID string) ([]string, error) {
	mails, err := a.Store.ListMails(ctx, caseID)
	if err != nil {
		return nil, appErr(err)
	}
	var keys []string
	for _, m := range mails {
		if m.SentAt == nil {
			keys = append(keys, m.Key)
		}
	}
	return keys, nil
}

// NotifyAccess sends the access action with the given key to network
// control, when a webhook is configured.
func (a *Activities) NotifyAccess(ctx context.Context, key string) error {
	if a.Access == nil {
		return nil
	}
	acts, err := a.Store.ListAccessActions(ctx, "")
	if err != nil {
		return fmt.Errorf("load access action %s: %w", key, err)
	}
	for _, act := range acts {
		if act.Key == key {
			return a.Access.Notify(ctx, act)
		}
	}
	return temporal.NewNonRetryableApplicationError("access action "+key+" not found", beian.CodeNotFound, nil)
}

// NotifyLinked tells the live filing that the change, cancel or
// cancel_access case caseID linked to it has its outcome: a cancellation
// ends it (CANCELLED) or cancels our access (ACCESS_CANCELLED), an approved
// change replaces it (SUPERSEDED) and takes its domains over.
func (a *Activities) NotifyLinked(ctx context.Context, caseID string) error {
	c, err := a.Store.GetCase(ctx, caseID)
	if err != nil {
		return appErr(err)
	}
	if c.LinkedCaseID == "" || a.Linker == nil {
		return nil
	}
	var outcome beian.Status
	switch {
	case c.Type == beian.TypeCancel && c.Status == beian.StatusCancelled:
		outcome = beian.StatusCancelled
	case c.Type == beian.TypeCancelAccess && c.Status == beian.StatusAccessCancelled:
		outcome = beian.StatusAccessCancelled
	case c.Type == beian.TypeChange && c.Status.OnRecord():
		outcome = beian.StatusSuperseded
	default:
		return nil
	}
	req := workflows.ActionRequest{Actor: "system", Decision: string(outcome), Source: c.ID, Reason: c.CaseNo}
	return appErr(a.Linker.SignalLinked(ctx, c.LinkedCaseID, req))
}

// appErr turns a domain error into a Temporal application error typed with
// its stable code, non-retryable when a retry cannot help.
func appErr(err error) error {
	var be *beian.Error
	if !errors.As(err, &be) {
		return err
	}
	for _, c := range beian.NonRetryableCodes {
		if c == be.Code {
			return temporal.NewNonRetryableApplicationError(be.Message, be.Code, nil)
		}
	}
	return temporal.NewApplicationError(be.Message, be.Code)
}

// maskAddresses masks each address of to (secret.Mask), in the list and
// wherever text (an SMTP server's answer) quotes one (issue 12 §2).
func maskAddresses(to []string, text string) ([]string, string) {
	masked := make([]string, len(to))
	for i, addr := range to {
		masked[i] = secret.Mask(addr)
		if addr != "" {
			text = strings.ReplaceAll(text, addr, masked[i])
		}
	}
	return masked, text
}

// maskedError is err with a message whose addresses are masked; errors.Is
// and errors.As still see err.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
