package catcher_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beian/beian/mail/catcher"
)

type testBundle struct {
	c *catcher.Catcher
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	c, err := catcher.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return &testBundle{c: c}
}

// send delivers raw (LF line ends are fine) with a plain go-smtp client,
// authenticating with a when it is not nil.
func send(t *testing.T, addr string, a sasl.Client, from string, to []string, raw string) {
	t.Helper()
	cl, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer cl.Close()
	if a != nil {
		require.NoError(t, cl.Auth(a))
	}
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	require.NoError(t, cl.SendMail(from, to, strings.NewReader(raw)))
	require.NoError(t, cl.Quit())
}

func wait(t *testing.T, c *catcher.Catcher, match func(catcher.Message) bool) catcher.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := c.Wait(ctx, match)
	require.NoError(t, err)
	return m
}

func TestDecoding(t *testing.T) {
	t.Parallel()
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name, raw, subject, body string
	}{
		{
			name:    "quoted-printable utf-8, Q-encoded subject",
			raw:     "Subject: =?UTF-8?Q?=E5=A4=87=E6=A1=88?= ok\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n=E6=82=A8=E5=A5=BD=EF=BC=81 soft=\nbreak\n",
			subject: "备案 ok",
			body:    "您好！ softbreak\n",
		},
		{
			name:    "base64 utf-8, B-encoded subject",
			raw:     "Subject: =?UTF-8?B?5bey5Y+X55CG?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n5oKo5aW977yB\n5pys6YKu5Lu2\n",
			subject: "已受理",
			body:    "您好！本邮件",
		},
		{
			name: "multipart/alternative picks text/plain",
			raw: "Subject: alt\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XX\n\n" +
				"--XX\nContent-Type: text/html; charset=utf-8\n\n<p>html</p>\n" +
				"--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n5pys5paH\n" +
				"--XX--\n",
			subject: "alt",
			body:    "本文",
		},
		{
			name: "nested multipart/mixed with attachment",
			raw: "Subject: mixed\nContent-Type: multipart/mixed; boundary=OUT\n\n" +
				"--OUT\nContent-Type: text/plain; name=a.txt\nContent-Disposition: attachment; filename=a.txt\n\nattached\n" +
				"--OUT\nContent-Type: multipart/alternative; boundary=IN\n\n" +
				"--IN\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n=E6=AD=A3=E6=96=87\n--IN--\n" +
				"--OUT--\n",
			subject: "mixed",
			body:    "正文",
		},
		{
			name:    "GBK from a Chinese mail client",
			raw:     "Subject: =?GBK?B?" + b64(gbk("资料有误")) + "?=\nContent-Type: text/plain; charset=GBK\nContent-Transfer-Encoding: base64\n\n" + b64(gbk("请更正")) + "\n",
			subject: "资料有误",
			body:    "请更正",
		},
		{
			name:    "no MIME headers",
			raw:     "Subject: plain\n\nhello\n",
			subject: "plain",
			body:    "hello\r\n",
		},
	}
	b := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.c.Reset()
			send(t, b.c.Addr(), nil, "from@example.cn", []string{"to@example.cn"}, tt.raw)
			m := wait(t, b.c, nil)
			require.Equal(t, tt.subject, m.Subject)
			require.Equal(t, strings.ReplaceAll(tt.body, "\r\n", "\n"), strings.ReplaceAll(m.Body, "\r\n", "\n"))
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestEnvelopeAndAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	raw := "From: a@example.cn\nTo: x@example.cn\nX-Beian-Key: case/1/receipt\nSubject: s\n\nbody\n"

	send(t, b.c.Addr(), nil, "a@example.cn", []string{"x@example.cn", "y@example.cn"}, raw)
	send(t, b.c.Addr(), sasl.NewPlainClient("", "plainuser", "secret"), "a@example.cn", []string{"x@example.cn"}, raw)
	send(t, b.c.Addr(), sasl.NewLoginClient("loginuser", "secret"), "a@example.cn", []string{"x@example.cn"}, raw)

	msgs := b.c.Messages()
	require.Len(t, msgs, 3)
	require.Equal(t, []int{1, 2, 3}, []int{msgs[0].ID, msgs[1].ID, msgs[2].ID})
	require.Equal(t, "a@example.cn", msgs[0].From)
	require.Equal(t, []string{"x@example.cn", "y@example.cn"}, msgs[0].To)
	require.Equal(t, "case/1/receipt", msgs[0].Headers.Get("X-Beian-Key"))
	require.Empty(t, msgs[0].AuthUser)
	require.Equal(t, "plainuser", msgs[1].AuthUser)
	require.Equal(t, "loginuser", msgs[2].AuthUser)
	require.False(t, msgs[0].TLS)
	require.NotContains(t, string(mustJSON(t, msgs)), "secret")
	require.WithinDuration(t, time.Now(), msgs[0].At, time.Minute)
}

func TestWait(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// A message that arrives after Wait started wakes it; earlier ones that
	// do not match are skipped.
	send(t, b.c.Addr(), nil, "a@example.cn", []string{"other@example.cn"}, "Subject: first\n\n1\n")
	got := make(chan catcher.Message, 1)
	go func() {
		m, err := b.c.Wait(context.Background(), func(m catcher.Message) bool { return m.Subject == "second" })
		if err == nil {
			got <- m
		}
		close(got)
	}()
	time.Sleep(50 * time.Millisecond)
	send(t, b.c.Addr(), nil, "a@example.cn", []string{"x@example.cn"}, "Subject: second\n\n2\n")
	select {
	case m, ok := <-got:
		require.True(t, ok, "Wait failed")
		require.Equal(t, "second", m.Subject)
		require.Equal(t, 2, m.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake")
	}

	// Nothing matches: Wait ends with the context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := b.c.Wait(ctx, func(m catcher.Message) bool { return m.Subject == "never" })
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Reset forgets; IDs go on.
	b.c.Reset()
	require.Empty(t, b.c.Messages())
	send(t, b.c.Addr(), nil, "a@example.cn", []string{"x@example.cn"}, "Subject: third\n\n3\n")
	require.Equal(t, 3, wait(t, b.c, nil).ID)
}

func TestCloseWakesWait(t *testing.T) {
	t.Parallel()
	c, err := catcher.Start("127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Wait(context.Background(), nil)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close()) // twice is fine
	select {
	case err := <-done:
		require.True(t, errors.Is(err, catcher.ErrClosed), "got %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Wait")
	}
	_, err = smtp.Dial(c.Addr())
	require.Error(t, err, "still listening after Close")
}

func TestKeep(t *testing.T) {
	t.Parallel()
	c, err := catcher.StartWith("127.0.0.1:0", catcher.Options{Keep: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	for _, s := range []string{"a", "b", "c"} {
		send(t, c.Addr(), nil, "a@example.cn", []string{"x@example.cn"}, "Subject: "+s+"\n\n.\n")
	}
	msgs := c.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "b", msgs[0].Subject)
	require.Equal(t, "c", msgs[1].Subject)
	_, ok := c.Message(1)
	require.False(t, ok)
}

func TestURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, "smtp://"+b.c.Addr()+"?starttls=none", b.c.URL())
	require.True(t, strings.HasPrefix(b.c.Addr(), "127.0.0.1:"))
}

func TestHandler(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := httptest.NewServer(http.StripPrefix("/mail", b.c.Handler()))
	t.Cleanup(srv.Close)

	send(t, b.c.Addr(), nil, "a@example.cn", []string{"zhang@example.cn"},
		"X-Beian-Key: case/1/receipt\nSubject: =?UTF-8?B?5bey5Y+X55CG?=\nContent-Type: text/plain; charset=utf-8\n\n第一封\n")
	send(t, b.c.Addr(), nil, "a@example.cn", []string{"li@example.cn"},
		"X-Beian-Key: case/2/receipt\nSubject: <script>alert(1)</script>\n\n<b>第二封</b>\n")
	wait(t, b.c, func(m catcher.Message) bool { return m.ID == 2 })

	// HTML list, newest first, subjects escaped, linked to the message page.
	status, body := get(t, srv.URL+"/mail/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "已受理")
	require.Contains(t, body, "zhang@example.cn")
	require.Contains(t, body, "li@example.cn")
	require.Contains(t, body, `href="messages/1"`)
	require.NotContains(t, body, "<script>alert(1)</script>")
	require.Contains(t, body, "&lt;script&gt;")
	require.Less(t, strings.Index(body, "li@example.cn"), strings.Index(body, "zhang@example.cn"), "newest first")

	// The message page shows the body.
	status, body = get(t, srv.URL+"/mail/messages/1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "第一封")
	require.Contains(t, body, "case/1/receipt")
	status, body = get(t, srv.URL+"/mail/messages/2")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "&lt;b&gt;第二封&lt;/b&gt;")
	status, _ = get(t, srv.URL+"/mail/messages/99")
	require.Equal(t, http.StatusNotFound, status)

	// JSON, newest first, filterable.
	var list struct {
		Items []catcher.Message `json:"items"`
	}
	status, body = get(t, srv.URL+"/mail/api/messages")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Items, 2)
	require.Equal(t, 2, list.Items[0].ID)
	require.Equal(t, "已受理", list.Items[1].Subject)
	require.Equal(t, "第一封\r\n", list.Items[1].Body)
	require.Equal(t, []string{"zhang@example.cn"}, list.Items[1].To)
	require.Equal(t, "case/1/receipt", list.Items[1].Headers.Get("X-Beian-Key"))

	_, body = get(t, srv.URL+"/mail/api/messages?to=ZHANG@example.cn")
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Items, 1)
	require.Equal(t, 1, list.Items[0].ID)
	_, body = get(t, srv.URL+"/mail/api/messages?key=case/2/receipt")
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Items, 1)
	require.Equal(t, 2, list.Items[0].ID)

	var one catcher.Message
	status, body = get(t, srv.URL+"/mail/api/messages/1")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal([]byte(body), &one))
	require.Equal(t, "已受理", one.Subject)
	status, _ = get(t, srv.URL+"/mail/api/messages/x")
	require.Equal(t, http.StatusNotFound, status)

	// DELETE empties it.
	req, err := http.NewRequest(http.MethodDelete, srv.URL+"/mail/api/messages", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Empty(t, b.c.Messages())
	_, body = get(t, srv.URL+"/mail/")
	require.Contains(t, body, "还没有邮件")
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
