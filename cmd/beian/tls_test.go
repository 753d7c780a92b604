package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/postgres"
)

// selfSigned writes a certificate for 127.0.0.1 and localhost, signed by
// itself, and its key into dir; it returns the files and the certificate.
func selfSigned(t *testing.T, dir, cn string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile, cert
}

// startAPI serves the real API with the console, as run does (apiServer,
// serveAPI), on a free loopback port; it answers the base URL.
func startAPI(t *testing.T, cfg Config) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &desk.Service{}
	h := api.New(api.Deps{Desk: svc, Logger: logger, Console: console.New(svc, logger)})
	hs, err := apiServer(cfg, h, logger)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	scheme := "http"
	if hs.TLSConfig != nil { // before serving, which sets its protocols
		scheme = "https"
	}
	done := make(chan error, 1)
	go func() { done <- serveAPI(hs, ln) }()
	t.Cleanup(func() {
		require.NoError(t, hs.Close())
		require.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return scheme + "://" + ln.Addr().String()
}

func clientTrusting(certs ...*x509.Certificate) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestServeHTTPS: with TLS_CERT_FILE and TLS_KEY_FILE the API and the
// console answer over HTTPS only, TLS 1.2 at the least, with HSTS on every
// answer (an API error too) and the console's cookies Secure; without
// them it is plain HTTP with neither (issue 12 §5).
func TestServeHTTPS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, cert := selfSigned(t, t.TempDir(), "beian test")
	cfg, err := loadConfig(env(map[string]string{"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile}))
	require.NoError(t, err)
	base := startAPI(t, cfg)
	require.True(t, strings.HasPrefix(base, "https://"))
	hc := clientTrusting(cert)

	for path, want := range map[string]int{"/healthz": 200, "/api/v1/filings": 401, "/console/login": 200} {
		resp, err := hc.Get(base + path)
		require.NoError(t, err, path)
		_ = resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, path)
		require.Equal(t, "max-age=31536000; includeSubDomains", resp.Header.Get("Strict-Transport-Security"), path)
		require.GreaterOrEqual(t, resp.TLS.Version, uint16(tls.VersionTLS12))
		if path == "/console/login" {
			cks := resp.Cookies()
			require.NotEmpty(t, cks)
			for _, ck := range cks {
				require.True(t, ck.Secure, "cookie %s over HTTPS", ck.Name)
			}
		}
	}

	// TLS 1.1 is refused at the handshake.
	old := clientTrusting(cert)
	old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
	_, err = old.Get(base + "/healthz")
	require.Error(t, err)
	// Plain HTTP to the HTTPS port gets no page.
	resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Without the files: plain HTTP, no HSTS, cookies not Secure.
	cfg, err = loadConfig(env(map[string]string{}))
	require.NoError(t, err)
	plain := startAPI(t, cfg)
	require.True(t, strings.HasPrefix(plain, "http://"))
	for _, path := range []string{"/healthz", "/console/login"} {
		resp, err := http.Get(plain + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Strict-Transport-Security"), path)
		for _, ck := range resp.Cookies() {
			require.False(t, ck.Secure, "cookie %s over plain HTTP", ck.Name)
		}
	}
}

// TestHTTPSCertificateRenewal: a renewed certificate (cert-manager writes
// new files) is served without a restart; files that do not load keep the
// old one.
func TestHTTPSCertificateRenewal(t *testing.T) {
	old := certCheckEvery
	certCheckEvery = 0
	t.Cleanup(func() { certCheckEvery = old })
	dir := t.TempDir()
	certFile, keyFile, first := selfSigned(t, dir, "first")
	cfg, err := loadConfig(env(map[string]string{"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile}))
	require.NoError(t, err)
	base := startAPI(t, cfg)
	served := func() string {
		t.Helper()
		hc := clientTrusting(first)
		hc.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
		resp, err := hc.Get(base + "/healthz")
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	require.Equal(t, "first", served())

	// A half-written renewal: the old certificate still.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600))
	require.NoError(t, os.Chtimes(certFile, later, later))
	require.Equal(t, "first", served())

	_, _, _ = selfSigned(t, dir, "second")
	later = later.Add(time.Minute)
	require.NoError(t, os.Chtimes(certFile, later, later))
	require.Equal(t, "second", served())
}

// TestTLSConfig: the certificate and its key go together, and files that
// do not hold a certificate stop the start with the variables' names.
func TestTLSConfig(t *testing.T) {
	t.Parallel()
	for _, only := range []string{"TLS_CERT_FILE", "TLS_KEY_FILE"} {
		_, err := loadConfig(env(map[string]string{only: "/etc/beian/tls/x.pem"}))
		require.ErrorContains(t, err, "TLS_CERT_FILE and TLS_KEY_FILE go together", only)
		require.ErrorContains(t, err, "须同时设置", only)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
	for _, files := range [][2]string{{bad, bad}, {filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key")}} {
		cfg, err := loadConfig(env(map[string]string{"TLS_CERT_FILE": files[0], "TLS_KEY_FILE": files[1]}))
		require.NoError(t, err)
		_, err = apiServer(cfg, http.NotFoundHandler(), slog.Default())
		require.ErrorContains(t, err, "TLS_CERT_FILE/TLS_KEY_FILE")
	}
	// A key that is not the certificate's.
	certFile, _, _ := selfSigned(t, t.TempDir(), "a")
	_, keyFile, _ := selfSigned(t, t.TempDir(), "b")
	cfg, err := loadConfig(env(map[string]string{"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile}))
	require.NoError(t, err)
	_, err = apiServer(cfg, http.NotFoundHandler(), slog.Default())
	require.ErrorContains(t, err, "private key does not match")
}

// TestWebhookConfig: plain HTTP to network control off this machine stops
// the start unless BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true (issue 12 §5).
func TestWebhookConfig(t *testing.T) {
	t.Parallel()
	hook := map[string]string{"BEIAN_ACCESS_WEBHOOK_URL": "http://netcontrol.internal:8080/hook", "BEIAN_ACCESS_WEBHOOK_SECRET": "s"}
	_, err := loadConfig(env(hook))
	require.ErrorContains(t, err, "BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP=true")
	require.ErrorContains(t, err, "明文 HTTP")
	hook["BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP"] = "true"
	c, err := loadConfig(env(hook))
	require.NoError(t, err)
	require.True(t, c.AccessWebhookAllowHTTP)
	for _, ok := range []string{"https://netcontrol.internal/hook", "http://127.0.0.1:9000/hook"} {
		_, err := loadConfig(env(map[string]string{"BEIAN_ACCESS_WEBHOOK_URL": ok, "BEIAN_ACCESS_WEBHOOK_SECRET": "s"}))
		require.NoError(t, err, ok)
	}
}

// TestPostgresTLSOptions: DATABASE_URL's libpq TLS parameters reach the
// connection postgres.Open makes (pgx reads them): sslmode=require is
// encrypted when the server offers TLS and refused when it does not;
// verify-full with a CA that did not sign the server's certificate is
// refused; disable is plain (issue 12 §5).
func TestPostgresTLSOptions(t *testing.T) {
	t.Parallel()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	withParams := func(kv ...string) string {
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		q.Set("connect_timeout", "5")
		u.RawQuery = q.Encode()
		return u.String()
	}
	encrypted := func(dsn string) (bool, error) {
		db, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			return false, err
		}
		defer db.Close()
		var ssl bool
		err = db.Pool().QueryRow(t.Context(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl)
		return ssl, err
	}
	plain, err := encrypted(withParams("sslmode", "disable"))
	if err != nil {
		t.Skipf("no PostgreSQL at DATABASE_URL: %v", err)
	}
	require.False(t, plain)

	db, err := postgres.Open(t.Context(), withParams("sslmode", "disable"))
	require.NoError(t, err)
	var offered string
	require.NoError(t, db.Pool().QueryRow(t.Context(), "SHOW ssl").Scan(&offered))
	db.Close()
	on, err := encrypted(withParams("sslmode", "require"))
	if offered == "on" {
		require.NoError(t, err)
		require.True(t, on, "sslmode=require")
	} else {
		require.Error(t, err, "sslmode=require to a server without TLS")
	}

	_, _, other := selfSigned(t, t.TempDir(), "not the server's CA")
	ca := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Raw}), 0o600))
	_, err = encrypted(withParams("sslmode", "verify-full", "sslrootcert", ca))
	require.ErrorContains(t, err, "certificate", "verify-full with a CA that did not sign the server's certificate")
}
