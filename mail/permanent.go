package mail

import (
	"errors"

	gomail "github.com/wneessen/go-mail"
)

// Permanent reports whether err is an SMTP rejection of a recipient that a
// retry cannot fix: a 5xx answer to RCPT TO (e.g. 550 no such mailbox).
// Connection failures, 4xx answers and 5xx answers at other stages (our own
// relay, sender or TLS set-up, which staff can fix) stay retryable.
func Permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return se.Reason == gomail.ErrSMTPRcptTo && code >= 500 && code < 600 && !se.IsTemp()
}
