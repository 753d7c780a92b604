package main

import (
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
