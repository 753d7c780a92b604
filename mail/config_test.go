package mail_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/mail"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want mail.Config
	}{
		{"smtp://user:pass@smtp.example.cn:587", mail.Config{
			Host: "smtp.example.cn", Port: 587, Username: "user", Password: "pass", StartTLS: mail.StartTLSOpportunistic}},
		{"smtps://beian%40chinanet.cc:p%40ss:w0rd@smtp.example.cn", mail.Config{
			Host: "smtp.example.cn", Port: 465, Username: "beian@chinanet.cc", Password: "p@ss:w0rd", ImplicitTLS: true}},
		{"smtp://relay.internal:2525", mail.Config{Host: "relay.internal", Port: 2525, StartTLS: mail.StartTLSOpportunistic}},
		{"smtp://relay.internal", mail.Config{Host: "relay.internal", Port: 25, StartTLS: mail.StartTLSOpportunistic}},
		{"smtp://127.0.0.1:1025?starttls=none", mail.Config{Host: "127.0.0.1", Port: 1025, StartTLS: mail.StartTLSNone}},
		{"smtp://h:25?starttls=MANDATORY", mail.Config{Host: "h", Port: 25, StartTLS: mail.StartTLSMandatory}},
		{"smtp://[2001:db8::25]:587/", mail.Config{Host: "2001:db8::25", Port: 587, StartTLS: mail.StartTLSOpportunistic}},
		{"  SMTP://H.example.cn:587  ", mail.Config{Host: "H.example.cn", Port: 587, StartTLS: mail.StartTLSOpportunistic}},
		{"smtp://u:p@h:587?auth=plain&starttls=mandatory", mail.Config{
			Host: "h", Port: 587, Username: "u", Password: "p", StartTLS: mail.StartTLSMandatory, Auth: "plain"}},
		{"smtp://u:p@h:587?auth=auto", mail.Config{Host: "h", Port: 587, Username: "u", Password: "p", StartTLS: mail.StartTLSOpportunistic}},
		{"smtp://token@h:587?auth=xoauth2", mail.Config{Host: "h", Port: 587, Username: "token", StartTLS: mail.StartTLSOpportunistic, Auth: "xoauth2"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := mail.ParseURL(tt.raw)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{"", "empty"},
		{"smtp.example.cn:587", `unsupported scheme "smtp.example.cn"`},
		{"//smtp.example.cn:587", "missing scheme"},
		{"http://smtp.example.cn", `unsupported scheme "http"`},
		{"smtp:smtp.example.cn", "want smtp://host:port"},
		{"smtp://", "missing host"},
		{"smtp://:25", "missing host"},
		{"smtp://h:0", `invalid port "0"`},
		{"smtp://h:65536", `invalid port "65536"`},
		{"smtp://u:secretpw@h:abc", "invalid port"},
		{"smtp://h:", "empty port"},
		{"smtp://h:25/mail", `unexpected path "/mail"`},
		{"smtp://h:25#x", "unexpected fragment"},
		{"smtp://:secretpw@h:25", "password given without a user"},
		{"smtps://h?starttls=none", "starttls does not apply to smtps://"},
		{"smtp://h?starttls=maybe", `starttls="maybe", want none, opportunistic or mandatory`},
		{"smtp://h?startls=none", `unknown parameter "startls"`},
		{"smtp://h?starttls=none&starttls=mandatory", `parameter "starttls" given 2 times`},
		{"smtp://h?auth=plain", "auth=plain needs a user"},
		{"smtp://u:p@h?auth=ntlm", `unsupported auth="ntlm"`},
		{"smtp://u:p@h?%zz", "query"},
		{"smtp://例子.中国:25", "punycode"},
		{"smtp://a!b:25", `invalid host "a!b"`},
		{"smtp://[fe80::1%25eth0]:25", "IPv6 zones are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			_, err := mail.ParseURL(tt.raw)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "secretpw")
		})
	}
}

func TestConfigNeverShowsPassword(t *testing.T) {
	t.Parallel()
	cfg, err := mail.ParseURL("smtp://beian:s3cr3t-pw@smtp.example.cn:587?starttls=mandatory")
	require.NoError(t, err)
	require.Equal(t, "smtp://beian:xxxxx@smtp.example.cn:587?starttls=mandatory", cfg.String())

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("mail", "smtp", cfg)
	js, err := json.Marshal(struct{ SMTP mail.Config }{cfg})
	require.NoError(t, err)
	for _, out := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprintf("%v", &cfg),
		logged.String(), string(js),
	} {
		require.NotContains(t, out, "s3cr3t-pw")
		require.Contains(t, out, "smtp.example.cn")
	}

	noPass, err := mail.ParseURL("smtps://relay.example.cn")
	require.NoError(t, err)
	require.Equal(t, "smtps://relay.example.cn:465", noPass.String())
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"smtp://user:pass@host:587", "smtps://u:p@h", "smtp://h:25?starttls=none", "smtp://[::1]:25",
		"smtp://u:p@h?auth=plain", "smtp://h?starttls=mandatory", "smtp://%41:1", "smtp://[fe80::1%25eth0]:25",
		"smtp://u%3Ab:p%25w@h:2525", "smtp://h:", "smtp://:p@h", "smtp:h", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := mail.ParseURL(raw)
		if err != nil {
			return
		}
		require.NotEmpty(t, cfg.Host)
		require.True(t, cfg.Port >= 1 && cfg.Port <= 65535, "port %d", cfg.Port)
		if cfg.ImplicitTLS {
			require.Empty(t, cfg.StartTLS)
		} else {
			require.Contains(t, []mail.StartTLS{mail.StartTLSNone, mail.StartTLSOpportunistic, mail.StartTLSMandatory}, cfg.StartTLS)
		}
		if cfg.Password != "" {
			require.NotEmpty(t, cfg.Username)
		}
		// String is a URL that parses back to the same config, with the
		// password replaced: it can be logged and still read.
		again, err := mail.ParseURL(cfg.String())
		require.NoError(t, err, "String() = %q", cfg.String())
		want := cfg
		if want.Password != "" {
			want.Password = "xxxxx"
		}
		require.Equal(t, want, again)
	})
}
