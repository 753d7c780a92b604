package netcontrol_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/netcontrol"
)

// TestCheckURL: the webhook goes over HTTPS, or plain HTTP to this
// machine, or plain HTTP elsewhere only when the operator allows it; the
// refusal says why in Chinese and English and never quotes the URL's
// credentials or query (issue 12 §5).
func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url        string
		allowPlain bool
		ok         bool
	}{
		{"https://netcontrol.example.internal/hook", false, true},
		{"HTTPS://netcontrol.example.internal:8443/hook", false, true},
		{"http://127.0.0.1:9000/hook", false, true},
		{"http://127.8.9.10/hook", false, true},
		{"http://[::1]:9000/hook", false, true},
		{"http://[::ffff:127.0.0.1]:9000/hook", false, true},
		{"http://localhost:9000/hook", false, true},
		{"http://LOCALHOST./hook", false, true},
		{"http://netcontrol:8080/hook", false, false},
		{"http://10.0.0.5/hook", false, false},
		{"http://localhost.evil.example/hook", false, false},
		{"http://127.0.0.1.nip.io/hook", false, false},
		{"http://user:topsecret@10.0.0.5/hook?token=topsecret", false, false},
		{"http://netcontrol:8080/hook", true, true},
		{"ftp://127.0.0.1/hook", true, false},
		{"netcontrol:8080", true, false},
		{"https:///hook", false, false},
		{"", false, false},
	} {
		err := netcontrol.CheckURL(tc.url, tc.allowPlain)
		if tc.ok {
			require.NoError(t, err, tc.url)
			continue
		}
		require.Error(t, err, tc.url)
		require.Contains(t, err.Error(), "BEIAN_ACCESS_WEBHOOK_URL", tc.url)
		require.NotContains(t, err.Error(), "topsecret", tc.url)
		if strings.HasPrefix(tc.url, "http://") {
			require.Contains(t, err.Error(), "明文 HTTP", tc.url)
			require.Contains(t, err.Error(), "BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true", tc.url)
		}
	}
}

// TestWebhookRefusesRedirect: a redirect is not followed (it could lead
// to plain HTTP); the answer is an error, retried like any other.
func TestWebhookRefusesRedirect(t *testing.T) {
	t.Parallel()
	hits := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	w := &netcontrol.Webhook{URL: srv.URL, Secret: []byte("s")}
	err := w.Notify(context.Background(), beian.AccessAction{ID: "a1", Key: "k", Kind: beian.AccessCancel, RequestedAt: time.Now()})
	require.ErrorContains(t, err, "307")
	require.Zero(t, hits)
}
