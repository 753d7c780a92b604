package mail

import (
	"errors"

	gomail "github.com/wneessen/go-mail"
)

// Permanent reports whether err is an SMTP rejection that a retry cannot
// fix: the server answered with a 5xx code (e.g. 550 no such mailbox).
// Connection failures and 4xx answers are temporary.
func Permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return code >= 500 && code < 600 && !se.IsTemp()
}
