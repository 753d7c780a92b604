// Package mailbox reads the specialists' mailboxes (备案邮箱: JSBA, AHBA, …)
// over IMAP, where filers send their materials (R-IN-3) and questions that
// must be answered the same working day (R-RV-6).
//
// A Reader hands over each message whole, as the server stores it: parsing
// (RFC 2047 subjects such as =?GB2312?B?…?=, attachments, matching to a case)
// is another package's job. Where reading stands is a Cursor (UIDVALIDITY and
// the last UID handed over) that the caller keeps durably with the messages;
// the reader only ever moves it after the caller has recorded a batch, so a
// crash costs at most a batch read again, which the caller dedupes by
// Message-ID or SHA-256.
//
// The reader opens the mailbox read-only (EXAMINE) and fetches with
// BODY.PEEK, so the specialists still see their mail as unread.
package mailbox
