package dovecot_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/internal/dovecot"
)

func message(subject, body string) []byte {
	return []byte("From: filer@example.com\r\nTo: JSBA@ChinaNet.CC\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.com>\r\nDate: Mon, 01 Dec 2025 09:00:00 +0800\r\n\r\n" + body + "\r\n")
}

// fetchAll returns the UIDVALIDITY and the raw messages of a mailbox.
func fetchAll(t *testing.T, srv *dovecot.Server, user, mailbox string) (uint32, [][]byte) {
	t.Helper()
	c := srv.Dial(t, user)
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	if sel.NumMessages == 0 {
		return sel.UIDValidity, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var set imap.SeqSet
	set.AddRange(1, 0)
	msgs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	require.NoError(t, err)
	var raws [][]byte
	for _, m := range msgs {
		raws = append(raws, m.FindBodySection(section))
	}
	return sel.UIDValidity, raws
}

// dialLogin logs in over a fresh connection and returns its closer.
func dialLogin(addr, user, password string) (func(), error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, password).Wait(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return func() { _ = c.Close() }, nil
}

func TestServerDeliversOverIMAPAndKeepsMailAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	host, _, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)

	m1 := message("one", "材料已发送")
	uid, validity := srv.Deliver(t, "JSBA", "INBOX", m1)
	require.Equal(t, uint32(1), uid)
	require.NotZero(t, validity)
	uid, _ = srv.Deliver(t, "JSBA", "INBOX", message("two", "second"))
	require.Equal(t, uint32(2), uid)

	v, raws := fetchAll(t, srv, "JSBA", "INBOX")
	require.Equal(t, validity, v)
	require.Len(t, raws, 2)
	require.Equal(t, m1, raws[0], "the message comes back byte for byte")

	_, other := fetchAll(t, srv, "AHBA", "INBOX")
	require.Empty(t, other, "each user has a mailbox of their own")

	srv.Stop()
	require.False(t, srv.Running())
	_, err = net.DialTimeout("tcp", srv.Addr, time.Second)
	require.Error(t, err, "a stopped server does not listen")
	srv.Stop() // a second Stop does nothing

	addr := srv.Addr
	srv.Start()
	require.Equal(t, addr, srv.Addr, "restarted on the same port")
	v, raws = fetchAll(t, srv, "JSBA", "INBOX")
	require.Equal(t, validity, v)
	require.Len(t, raws, 2, "the mail survives a restart")
}

func TestStartMovesToAnotherPortWhenItsPortIsTaken(t *testing.T) {
	t.Parallel()
	srv := dovecot.New(t, dovecot.Config{})
	taken := srv.Addr
	ln, err := net.Listen("tcp", taken) // someone else, who never answers
	require.NoError(t, err)
	defer ln.Close()
	srv.Start()
	require.NotEqual(t, taken, srv.Addr)
	uid, _ := srv.Deliver(t, "JSBA", "INBOX", message("moved", "x"))
	require.Equal(t, uint32(1), uid)
	require.Contains(t, srv.LogTail(), "Address already in use", "the clash is in the log")
}

func TestServerCreatesMailboxOnDeliverAndTakesMaildirDeliveryWhileDown(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	_, v := srv.Deliver(t, "AHBA", "Materials", message("first", "x"))

	srv.Stop()
	srv.DeliverMaildir(t, "AHBA", "Materials", message("while-down", "arrived while IMAP was down"))
	srv.Start()

	v2, raws := fetchAll(t, srv, "AHBA", "Materials")
	require.Equal(t, v, v2)
	require.Len(t, raws, 2)
	require.Contains(t, string(raws[1]), "Subject: while-down\r\n", "Dovecot serves the Maildir file with CRLF")
}

func TestResetUIDValidityKeepsTheMail(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	for i := range 3 {
		srv.Deliver(t, "JSBA", "INBOX", message(fmt.Sprint("m", i), "x"))
	}
	before, _ := fetchAll(t, srv, "JSBA", "INBOX")

	srv.ResetUIDValidity(t, "JSBA", "INBOX")
	require.True(t, srv.Running())
	after, raws := fetchAll(t, srv, "JSBA", "INBOX")
	require.NotEqual(t, before, after)
	require.Len(t, raws, 3)
}

func TestAddUserWhileRunningAndWrongPassword(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	srv.AddUser("GDBA", "pw")
	require.Eventually(t, func() bool {
		c, err := dialLogin(srv.Addr, "GDBA", "pw")
		if err == nil {
			c()
		}
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "Dovecot rereads the passwd-file")

	_, err := dialLogin(srv.Addr, "JSBA", "wrong")
	require.Error(t, err)
	closeConn, err := dialLogin(srv.Addr, "JSBA", dovecot.DefaultPassword)
	require.NoError(t, err)
	closeConn()
}

func TestNoIdleLeavesIdleOutOfTheCapabilities(t *testing.T) {
	t.Parallel()
	srv := dovecot.StartConfig(t, dovecot.Config{NoIdle: true})
	c := srv.Dial(t, "JSBA")
	caps, err := c.Capability().Wait()
	require.NoError(t, err)
	require.False(t, caps.Has(imap.CapIdle))
	require.True(t, caps.Has(imap.CapUIDPlus))

	plain := dovecot.Start(t)
	caps, err = plain.Dial(t, "JSBA").Capability().Wait()
	require.NoError(t, err)
	require.True(t, caps.Has(imap.CapIdle))
}

func TestDataStaysInTheTestsTempDir(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	srv.Deliver(t, "JSBA", "INBOX", message("where", "x"))
	dir := srv.MaildirPath(t, "JSBA", "INBOX")
	require.True(t, filepath.IsAbs(dir))
	require.Contains(t, dir, os.TempDir())
	entries, err := os.ReadDir(filepath.Join(dir, "cur"))
	require.NoError(t, err)
	newEntries, err := os.ReadDir(filepath.Join(dir, "new"))
	require.NoError(t, err)
	require.Len(t, append(entries, newEntries...), 1)
}
