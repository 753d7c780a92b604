// Package netcontrol tells the provider's network-control system about access
// actions (开通/取消/恢复接入) through an HMAC-signed webhook (R-AC-1). Tech
// still confirms each action through the API; the webhook only announces it.
package netcontrol

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/beian/beian"
)

// Webhook posts access actions to URL, signed with Secret.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// payload is the webhook body.
type payload struct {
	ID          string    `json:"id"`
	Key         string    `json:"key"`
	FilingID    string    `json:"filing_id"`
	Kind        string    `json:"kind"`
	Reason      string    `json:"reason"`
	ServerIPs   []string  `json:"server_ips"`
	Domains     []string  `json:"domains"`
	RequestedAt time.Time `json:"requested_at"`
}

// Sign returns the signature header value of body: "sha256=" + hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Notify posts a. The receiver dedupes by the X-Beian-Key header, so a retry
// after a lost answer does no harm. Any non-2xx answer is an error (retried).
func (w *Webhook) Notify(ctx context.Context, a beian.AccessAction) error {
	body, err := json.Marshal(payload{
		ID: a.ID, Key: a.Key, FilingID: a.CaseID, Kind: a.Kind, Reason: a.Reason,
		ServerIPs: a.ServerIPs, Domains: a.Domains, RequestedAt: a.RequestedAt,
	})
	if err != nil {
		return fmt.Errorf("encode access action: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("access webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Beian-Key", a.Key)
	req.Header.Set("X-Beian-Signature", Sign(w.Secret, body))
	c := w.Client
	if c == nil {
		// No redirect is followed: CheckURL's rule holds for the URL
		// configured, and a redirect could lead to plain HTTP elsewhere.
		c = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("access webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("access webhook answered %s", resp.Status)
	}
	return nil
}
