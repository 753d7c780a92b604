package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
)

// temporalConnection is how the client reaches Temporal: plain on
// loopback and in the dev setups; TLS with a client certificate (a
// self-hosted cluster with mTLS, or Temporal Cloud), or TLS with an API key
// (Temporal Cloud).
func temporalConnection(cfg Config) (client.ConnectionOptions, client.Credentials, error) {
	var conn client.ConnectionOptions
	var creds client.Credentials
	tlsOn := cfg.TemporalTLSCert != "" || cfg.TemporalTLSCA != "" || cfg.TemporalTLSServerName != "" || cfg.TemporalAPIKey != ""
	if !tlsOn {
		return conn, nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalTLSServerName}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE %s: no PEM certificate in it", cfg.TemporalTLSCA)
		}
		tc.RootCAs = pool
	}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CERT_FILE/TEMPORAL_TLS_KEY_FILE: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	conn.TLS = tc
	if cfg.TemporalAPIKey != "" {
		creds = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return conn, creds, nil
}
