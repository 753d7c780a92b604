package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"BEIAN_API_TOKENS": "li:specialist:abc"}))
	require.NoError(t, err)
	require.Equal(t, ":8080", c.HTTPAddr)
	require.Equal(t, "localhost:7233", c.TemporalAddress)
	require.Equal(t, 24*time.Hour, c.RectifyWithin)
	require.Len(t, c.Tokens, 1)
}

// TestLoadConfigReportsEveryProblem: all bad settings at once, and no secret in the message.
func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := loadConfig(env(map[string]string{
		"BEIAN_API_TOKENS":         "li:king:topsecret",
		"BEIAN_PURGE_AFTER":        "soon",
		"BEIAN_ACCESS_WEBHOOK_URL": "http://127.0.0.1:9/hook",
	}))
	require.Error(t, err)
	require.Contains(t, err.Error(), "unknown role")
	require.Contains(t, err.Error(), "BEIAN_PURGE_AFTER")
	require.Contains(t, err.Error(), "BEIAN_ACCESS_WEBHOOK_SECRET")
	require.NotContains(t, err.Error(), "topsecret")

	c, err := loadConfig(env(map[string]string{}))
	require.NoError(t, err)
	err = c.requireServe()
	require.Error(t, err)
	for _, want := range []string{"DATABASE_URL", "SMTP_URL", "BEIAN_SECRET_KEY"} {
		require.Contains(t, err.Error(), want)
	}
}

// TestTemporalConnection: plain by default; an API key (Temporal Cloud)
// turns TLS on with the key as credentials; a client certificate needs its
// key; a CA file that holds no certificate is refused.
func TestTemporalConnection(t *testing.T) {
	c, err := loadConfig(env(map[string]string{}))
	require.NoError(t, err)
	conn, creds, err := temporalConnection(c)
	require.NoError(t, err)
	require.Nil(t, conn.TLS)
	require.Nil(t, creds)
	require.Equal(t, ":9090", c.HealthAddr)

	c, err = loadConfig(env(map[string]string{"TEMPORAL_API_KEY": "k-123", "TEMPORAL_TLS_SERVER_NAME": "ns.acct.tmprl.cloud"}))
	require.NoError(t, err)
	conn, creds, err = temporalConnection(c)
	require.NoError(t, err)
	require.NotNil(t, conn.TLS)
	require.Equal(t, "ns.acct.tmprl.cloud", conn.TLS.ServerName)
	require.NotNil(t, creds)

	_, err = loadConfig(env(map[string]string{"TEMPORAL_TLS_CERT_FILE": "/x.pem"}))
	require.ErrorContains(t, err, "TEMPORAL_TLS_KEY_FILE")

	bad := t.TempDir() + "/ca.pem"
	require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
	c, err = loadConfig(env(map[string]string{"TEMPORAL_TLS_CA_FILE": bad}))
	require.NoError(t, err)
	_, _, err = temporalConnection(c)
	require.ErrorContains(t, err, "no PEM certificate")
}

// TestWorkerCacheSize: the SDK's default unless set; a bad value is named.
func TestWorkerCacheSize(t *testing.T) {
	c, err := loadConfig(env(map[string]string{}))
	require.NoError(t, err)
	require.Zero(t, c.WorkerCacheSize)
	c, err = loadConfig(env(map[string]string{"BEIAN_WORKER_CACHE_SIZE": "2000"}))
	require.NoError(t, err)
	require.Equal(t, 2000, c.WorkerCacheSize)
	_, err = loadConfig(env(map[string]string{"BEIAN_WORKER_CACHE_SIZE": "many"}))
	require.ErrorContains(t, err, "BEIAN_WORKER_CACHE_SIZE")
}

// TestWorkerPollers: the SDK's default unless set; 1 (which the SDK
// refuses for workflow tasks) and nonsense are named.
func TestWorkerPollers(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"BEIAN_WORKER_POLLERS": "8"}))
	require.NoError(t, err)
	require.Equal(t, 8, c.WorkerPollers)
	for _, bad := range []string{"1", "0", "lots", "1000"} {
		_, err = loadConfig(env(map[string]string{"BEIAN_WORKER_POLLERS": bad}))
		require.ErrorContains(t, err, "BEIAN_WORKER_POLLERS", bad)
	}
}
