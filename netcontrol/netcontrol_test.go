package netcontrol_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/netcontrol"
)

// TestWebhookSignsAndKeys: network control can verify who sent an access
// action and drop a repeat by its key (R-AC-1).
func TestWebhookSignsAndKeys(t *testing.T) {
	secret := []byte("shared-secret")
	var got map[string]any
	var sig, key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		sig, key = r.Header.Get("X-Beian-Signature"), r.Header.Get("X-Beian-Key")
		if sig != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	w := &netcontrol.Webhook{URL: srv.URL, Secret: secret}
	a := beian.AccessAction{ID: "a1", Key: "case/x/3/access-cancel", CaseID: "x", Kind: beian.AccessCancel,
		Reason: "24小时内未完成整改", ServerIPs: []string{"198.51.100.7"}, Domains: []string{"example.cn"}, RequestedAt: time.Now()}
	require.NoError(t, w.Notify(context.Background(), a))
	require.Equal(t, "case/x/3/access-cancel", key)
	require.Equal(t, "cancel", got["kind"])
	require.Equal(t, "x", got["filing_id"])

	// A wrong secret is refused by the receiver and reported as an error (retried).
	bad := &netcontrol.Webhook{URL: srv.URL, Secret: []byte("other")}
	require.Error(t, bad.Notify(context.Background(), a))
}
