// Package mailparse reads the mails that filers send to the province mailbox
// (R-IN-3: files over 500 KB go by email to the province's specialist, with
// the subject `<sponsor full name>+<domain>`) into a Message: decoded
// headers, the readable text and the attachments, each sized, hashed and
// sniffed, with the dangerous or oversized ones refused (拒收) and a Chinese
// reason staff can pass on.
//
// It also matches a subject to a filing: SubjectKey finds the sponsor and
// domain of the R-IN-3 subject under reply and forward prefixes, and
// CaseNumbers finds case numbers such as JS-2026-000123 in a subject or body.
//
// Every mail must get its answer the same working day (R-RV-6, 当日事，当日毕),
// so Parse never drops a mail it can read the headers of: a broken body still
// yields the sender and subject, with a *ParseError saying what is broken,
// so staff can ask the filer to send it again.
//
// The package uses only the standard library, golang.org/x/text (charsets,
// full-width folding) and golang.org/x/net/idna; it imports nothing of the
// rest of the product.
package mailparse
