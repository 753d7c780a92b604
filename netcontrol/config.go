package netcontrol

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckURL checks the webhook's address at startup (issue 12 §5): an
// access action names a customer's domains and server IPs, and the
// receiver acts on it, cutting or restoring a site's network access. Sent
// over plain HTTP it can be read and, its HMAC notwithstanding, replayed
// or blocked by anyone on the path. So the URL must be https://, or
// http:// to a loopback address (a sidecar on the same host, the tests),
// or allowPlain must say that the operator chose plain HTTP knowingly
// (BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true, e.g. a private network).
//
// Host names are not resolved here: only "localhost" and literal loopback
// IPs count as loopback, so DNS cannot turn a remote host into a local one.
func CheckURL(raw string, allowPlain bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("BEIAN_ACCESS_WEBHOOK_URL: 不是有效的 http(s) 地址 / is not an http(s) URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowPlain || IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("BEIAN_ACCESS_WEBHOOK_URL: 网络控制的 webhook 不能使用明文 HTTP 发往 %s（接入操作含客户域名与 IP），请改用 https://，"+
			"或确认后设置 BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true / refusing plain http:// to %s: the webhook carries access actions; "+
			"use https:// or set BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true", u.Hostname(), u.Hostname())
	}
	return fmt.Errorf("BEIAN_ACCESS_WEBHOOK_URL: 只支持 https:// 或 http:// / scheme %q is not https or http", u.Scheme)
}

// IsLoopback reports whether host (a URL's host name, without port) is
// this machine: "localhost" or a loopback IP (127.0.0.0/8, ::1, and
// IPv4-mapped forms of them).
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}
