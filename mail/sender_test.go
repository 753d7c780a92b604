package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/mail"
	"github.com/beian/beian/mail/catcher"
)

const from = "中网科技备案组 <beian@ChinaNet.CC>"

type testBundle struct {
	catcher *catcher.Catcher
	sender  *mail.Sender
}

// setup starts a real catcher on 127.0.0.1:0 and a Sender pointed at it
// through the catcher's URL, after mutate (if any) adjusts the parsed config.
func setup(t *testing.T, opts catcher.Options, mutate func(*mail.Config)) *testBundle {
	t.Helper()
	c, err := catcher.StartWith("127.0.0.1:0", opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	cfg, err := mail.ParseURL(c.URL())
	require.NoError(t, err)
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := mail.NewSender(cfg, from)
	require.NoError(t, err)
	return &testBundle{catcher: c, sender: s}
}

func waitKey(t *testing.T, c *catcher.Catcher, key string, n int) catcher.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := 0
	m, err := c.Wait(ctx, func(m catcher.Message) bool {
		if m.Headers.Get(mail.HeaderKey) != key {
			return false
		}
		seen++
		return seen == n
	})
	require.NoError(t, err)
	return m
}

func notice(key string) beian.Mail {
	return beian.Mail{
		Key:     key,
		CaseID:  "c-1",
		To:      []string{"张三 <zhang@example.cn>", "li@example.cn"},
		Subject: "【网站备案】已受理：JS-2026-000042 例子.中国、example.cn",
		Body: "广州示例科技有限公司：您好！\n\n" +
			"  邮件主题：广州示例科技有限公司+example.cn\n" +
			"  2. 「备案信息务必准确，域名解析必须是我公司机房的IP，否则工信部会随时取消备案」这一行足够长，会被编码器折行，但解码后必须与原文一字不差。\n" +
			"=?UTF-8?B?not-a-header?= and a line that starts with a dot:\n.\n",
	}
}

func TestSendThroughCatcher(t *testing.T) {
	t.Parallel()
	b := setup(t, catcher.Options{}, nil)
	ctx := context.Background()
	m := notice("case/c-1/receipt")
	before := time.Now()
	require.NoError(t, b.sender.Send(ctx, m))

	got := waitKey(t, b.catcher, m.Key, 1)
	require.Equal(t, m.Subject, got.Subject)
	require.Equal(t, m.Body, strings.ReplaceAll(got.Body, "\r\n", "\n"))
	require.Equal(t, "beian@ChinaNet.CC", got.From)
	require.Equal(t, []string{"zhang@example.cn", "li@example.cn"}, got.To)
	require.Equal(t, m.Key, got.Headers.Get("X-Beian-Key"))
	require.Equal(t, "auto-generated", got.Headers.Get("Auto-Submitted"))
	require.Contains(t, strings.ToLower(got.Headers.Get("Content-Type")), "text/plain; charset=utf-8")
	require.False(t, got.TLS)
	require.Empty(t, got.AuthUser)

	// The headers a mail client shows decode to what was sent.
	hdr := netmail.Header(got.Headers)
	fromAddr, err := hdr.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, "中网科技备案组", fromAddr[0].Name)
	toAddrs, err := hdr.AddressList("To")
	require.NoError(t, err)
	require.Len(t, toAddrs, 2)
	require.Equal(t, "张三", toAddrs[0].Name)
	date, err := hdr.Date()
	require.NoError(t, err)
	require.WithinDuration(t, before, date, 5*time.Second)

	// The Message-ID is derived from the key: the same on a retry, different
	// for another key.
	id := got.Headers.Get("Message-Id")
	require.Equal(t, "<"+b.sender.MessageID(m.Key)+">", id)
	require.True(t, strings.HasSuffix(id, "@chinanet.cc>"), id)

	require.NoError(t, b.sender.Send(ctx, m)) // a retry of the same outbox row
	again := waitKey(t, b.catcher, m.Key, 2)
	require.Equal(t, id, again.Headers.Get("Message-Id"))

	other := notice("case/c-1/submitted")
	require.NoError(t, b.sender.Send(ctx, other))
	otherGot := waitKey(t, b.catcher, other.Key, 1)
	require.NotEqual(t, id, otherGot.Headers.Get("Message-Id"))

	// Staff see it in the browser.
	srv := httptest.NewServer(b.catcher.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), "【网站备案】已受理：JS-2026-000042")
	require.Contains(t, string(page), "zhang@example.cn")
	require.Contains(t, string(page), "case/c-1/submitted")
}

func TestMessageIDStable(t *testing.T) {
	t.Parallel()
	cfg, err := mail.ParseURL("smtp://127.0.0.1:25?starttls=none")
	require.NoError(t, err)
	s1, err := mail.NewSender(cfg, "beian@ChinaNet.CC")
	require.NoError(t, err)
	s2, err := mail.NewSender(cfg, "备案 <BEIAN@chinanet.cc>")
	require.NoError(t, err)
	require.Equal(t, s1.MessageID("case/1/receipt"), s2.MessageID("case/1/receipt"))
	require.NotEqual(t, s1.MessageID("case/1/receipt"), s1.MessageID("case/1/approved"))
	_, err = netmail.ParseAddress("x <" + s1.MessageID("case/1/receipt") + ">") // a valid addr-spec shape
	require.NoError(t, err)
}

func TestSendAuthenticates(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{"", "plain", "login", "cram-md5"} {
		t.Run("auth="+auth, func(t *testing.T) {
			t.Parallel()
			b := setup(t, catcher.Options{}, func(cfg *mail.Config) {
				cfg.Username, cfg.Password, cfg.Auth = "beian", "s3cret", auth
			})
			key := "case/c-1/auth-" + auth
			require.NoError(t, b.sender.Send(context.Background(), notice(key)))
			got := waitKey(t, b.catcher, key, 1)
			require.Equal(t, "beian", got.AuthUser)
		})
	}
}

func TestSendTLS(t *testing.T) {
	t.Parallel()
	serverTLS, roots := testCert(t)
	trust := func(cfg *mail.Config) {
		cfg.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		cfg.Username, cfg.Password = "beian", "s3cret"
	}

	t.Run("starttls mandatory", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{TLSConfig: serverTLS}, trust)
		require.Contains(t, b.catcher.URL(), "starttls=mandatory")
		require.NoError(t, b.sender.Send(context.Background(), notice("tls/starttls")))
		got := waitKey(t, b.catcher, "tls/starttls", 1)
		require.True(t, got.TLS)
		require.Equal(t, "beian", got.AuthUser)
	})
	t.Run("starttls opportunistic upgrades when offered", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{TLSConfig: serverTLS}, func(cfg *mail.Config) {
			trust(cfg)
			cfg.StartTLS = mail.StartTLSOpportunistic
		})
		require.NoError(t, b.sender.Send(context.Background(), notice("tls/opportunistic")))
		require.True(t, waitKey(t, b.catcher, "tls/opportunistic", 1).TLS)
	})
	t.Run("smtps", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{TLSConfig: serverTLS, ImplicitTLS: true}, trust)
		require.True(t, strings.HasPrefix(b.catcher.URL(), "smtps://"))
		require.NoError(t, b.sender.Send(context.Background(), notice("tls/smtps")))
		got := waitKey(t, b.catcher, "tls/smtps", 1)
		require.True(t, got.TLS)
		require.Equal(t, "beian", got.AuthUser)
	})
	t.Run("untrusted certificate is refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{TLSConfig: serverTLS, ImplicitTLS: true}, nil)
		err := b.sender.Send(context.Background(), notice("tls/untrusted"))
		require.ErrorContains(t, err, "certificate")
		require.Empty(t, b.catcher.Messages())
	})
	t.Run("mandatory without STARTTLS is refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{}, func(cfg *mail.Config) { cfg.StartTLS = mail.StartTLSMandatory })
		err := b.sender.Send(context.Background(), notice("tls/mandatory"))
		require.ErrorContains(t, err, "STARTTLS")
		require.Empty(t, b.catcher.Messages())
	})
	t.Run("opportunistic without STARTTLS sends in clear", func(t *testing.T) {
		t.Parallel()
		b := setup(t, catcher.Options{}, func(cfg *mail.Config) { cfg.StartTLS = mail.StartTLSOpportunistic })
		require.NoError(t, b.sender.Send(context.Background(), notice("tls/clear")))
		require.False(t, waitKey(t, b.catcher, "tls/clear", 1).TLS)
	})
}

func TestSendRefusesInvalidMail(t *testing.T) {
	t.Parallel()
	b := setup(t, catcher.Options{}, nil)
	for name, m := range map[string]beian.Mail{
		"no key":        {To: []string{"a@example.cn"}, Subject: "s", Body: "b"},
		"no recipient":  {Key: "k1", Subject: "s", Body: "b"},
		"bad address":   {Key: "k2", To: []string{"not an address"}, Subject: "s", Body: "b"},
		"header inject": {Key: "k3\r\nBcc: x@example.cn", To: []string{"a@example.cn"}, Subject: "s", Body: "b"},
	} {
		err := b.sender.Send(context.Background(), m)
		require.Error(t, err, name)
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), name)
	}
	require.Empty(t, b.catcher.Messages())
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, catcher.Options{}, nil)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.sender.Send(ctx, notice("ctx/cancelled"))
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, b.catcher.Messages())

	// Nobody listening: a plain error worth retrying, not CodeInvalid.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	cfg, err := mail.ParseURL("smtp://" + addr + "?starttls=none")
	require.NoError(t, err)
	s, err := mail.NewSender(cfg, from)
	require.NoError(t, err)
	err = s.Send(context.Background(), notice("down/1"))
	require.Error(t, err)
	require.Equal(t, beian.CodeInternal, beian.ErrorCode(err))
	require.Contains(t, err.Error(), "down/1")
}

func TestNewSender(t *testing.T) {
	t.Parallel()
	cfg, err := mail.ParseURL("smtp://127.0.0.1:25")
	require.NoError(t, err)
	_, err = mail.NewSender(cfg, "not an address")
	require.ErrorContains(t, err, "mail from")
	_, err = mail.NewSender(mail.Config{}, "beian@chinanet.cc")
	require.ErrorContains(t, err, "no smtp host")
}

// testCert makes a self-signed certificate for 127.0.0.1 and returns the
// server's TLS config and a pool that trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "beian test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}

// TestSendReplyThreaded (R-RV-6): a specialist's reply is threaded under
// the filer's mail, answers go to the province mailbox, and it is not
// marked auto-generated; a notice about a mail is threaded but automatic;
// header injection through the ID is refused by dropping it.
func TestSendReplyThreaded(t *testing.T) {
	t.Parallel()
	b := setup(t, catcher.Options{}, nil)
	ctx := context.Background()
	reply := notice("inbound/m-1/reply/abc")
	reply.InReplyTo, reply.ReplyTo = "filer-1@example.org", "JSBA@ChinaNet.CC"
	require.NoError(t, b.sender.Send(ctx, reply))
	got := waitKey(t, b.catcher, reply.Key, 1)
	require.Equal(t, "<filer-1@example.org>", got.Headers.Get("In-Reply-To"))
	require.Equal(t, "<filer-1@example.org>", got.Headers.Get("References"))
	require.Contains(t, got.Headers.Get("Reply-To"), "JSBA@ChinaNet.CC")
	require.Empty(t, got.Headers.Get("Auto-Submitted"))

	rejected := notice("inbound/m-1/rejected")
	rejected.InReplyTo = "<filer-1@example.org>"
	require.NoError(t, b.sender.Send(ctx, rejected))
	got = waitKey(t, b.catcher, rejected.Key, 1)
	require.Equal(t, "<filer-1@example.org>", got.Headers.Get("In-Reply-To"))
	require.Equal(t, "auto-generated", got.Headers.Get("Auto-Submitted"))

	evil := notice("inbound/m-2/reply/x")
	evil.InReplyTo = "a@b\r\nBcc: victim@example.org"
	require.NoError(t, b.sender.Send(ctx, evil))
	got = waitKey(t, b.catcher, evil.Key, 1)
	require.Empty(t, got.Headers.Get("In-Reply-To"))
	require.Empty(t, got.Headers.Get("Bcc"))

	bad := notice("inbound/m-3/reply/x")
	bad.ReplyTo = "not an address"
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(b.sender.Send(ctx, bad)))
}
