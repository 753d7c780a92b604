package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// hstsValue is the Strict-Transport-Security header of every answer over
// HTTPS: browsers then refuse plain HTTP to the desk for a year, so a
// session cookie cannot be sent in clear by a mistyped or downgraded link.
const hstsValue = "max-age=31536000; includeSubDomains"

// certCheckEvery is how often the certificate files are looked at for a
// renewal (cert-manager, certbot): a renewed certificate is served without
// a restart. A variable for the test.
var certCheckEvery = time.Minute

// apiServer is the API's HTTP server on cfg.HTTPAddr (issue 12 §5): plain
// HTTP, or, when TLS_CERT_FILE and TLS_KEY_FILE are set, HTTPS with TLS 1.2
// or later and HSTS on every answer. Console cookies are Secure then
// (console.isTLS sees r.TLS). The health listener of a worker alone
// (HEALTH_ADDR) stays plain: it serves probes and metrics inside the
// cluster, never a person.
func apiServer(cfg Config, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	hs := &http.Server{Addr: cfg.HTTPAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		// net/http's own complaints (a failed TLS handshake, a client
		// that sent plain HTTP to HTTPS) as JSON log lines like the rest.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelInfo)}
	if cfg.TLSCertFile == "" && cfg.TLSKeyFile == "" {
		return hs, nil
	}
	certs, err := newCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile, logger)
	if err != nil {
		return nil, err
	}
	hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
	hs.Handler = hsts(h)
	return hs, nil
}

// serveAPI serves hs on ln until hs is shut down: HTTPS when apiServer
// gave it a TLS configuration.
func serveAPI(hs *http.Server, ln net.Listener) error {
	if hs.TLSConfig != nil {
		return hs.ServeTLS(ln, "", "")
	}
	return hs.Serve(ln)
}

// hsts adds Strict-Transport-Security to every answer of h.
func hsts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hstsValue)
		h.ServeHTTP(w, r)
	})
}

// certFiles is the server certificate from TLS_CERT_FILE/TLS_KEY_FILE,
// read again when either file changes.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	mod     [2]time.Time // modification times of the files read
	checked time.Time
}

// newCertFiles reads the pair once: a missing file or a key that does not
// match the certificate stops the start, with the variables' names.
func newCertFiles(certFile, keyFile string, logger *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: logger}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("TLS_CERT_FILE/TLS_KEY_FILE: 无法读取 HTTPS 证书 / cannot load the HTTPS certificate: %w", err)
	}
	return c, nil
}

func (c *certFiles) load() error {
	var mod [2]time.Time
	for i, f := range []string{c.certFile, c.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		mod[i] = st.ModTime()
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.mod, c.checked = &cert, mod, time.Now()
	return nil
}

// get is tls.Config.GetCertificate: the certificate read last, read again
// first when a file changed since. A renewal that does not load (a key
// written after its certificate) keeps the old certificate and is tried
// again at the next check.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < certCheckEvery {
		return c.cert, nil
	}
	c.checked = time.Now()
	changed := false
	for i, f := range []string{c.certFile, c.keyFile} {
		if st, err := os.Stat(f); err == nil && !st.ModTime().Equal(c.mod[i]) {
			changed = true
		}
	}
	if changed {
		if err := c.load(); err != nil {
			c.log.Warn("https certificate not reloaded, serving the previous one", "cert_file", c.certFile, "error", err.Error())
		} else {
			c.log.Info("https certificate reloaded", "cert_file", c.certFile)
		}
	}
	return c.cert, nil
}
