package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/workflows"
)

// loadCompose parses ../docker-compose.yml the way `docker compose` does
// (schema validation, interpolation, normalization), with an empty
// environment so that the defaults written in the file are what is checked.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithWorkingDirectory(".."),
		cli.WithEnv(nil),
	)
	require.NoError(t, err)
	project, err := opts.LoadProject(t.Context())
	require.NoError(t, err, "docker-compose.yml must load as docker compose would load it")
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	require.True(t, ok, "service %q missing from docker-compose.yml", name)
	return s
}

// published returns "host:container" for each published port.
func published(s types.ServiceConfig) []string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, p.Published+":"+strconv.FormatUint(uint64(p.Target), 10))
	}
	return out
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.True(t, ok && v != nil, "service %s must set %s", s.Name, key)
	return *v
}

func TestComposeServices(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	names := p.ServiceNames()
	slices.Sort(names)
	require.Equal(t, []string{"beian", "mailpit", "postgres", "temporal", "temporal-admin-tools", "temporal-ui"}, names)

	for name, ports := range map[string][]string{
		"beian":       {"8080:8080"},
		"temporal":    {"7233:7233"},
		"temporal-ui": {"8233:8080"},
		"mailpit":     {"1025:1025", "8025:8025"},
	} {
		got := published(service(t, p, name))
		slices.Sort(got)
		require.Equal(t, ports, got, "published ports of %s", name)
	}

	for _, name := range []string{"postgres", "temporal", "mailpit", "beian"} {
		hc := service(t, p, name).HealthCheck
		require.NotNil(t, hc, "%s needs a healthcheck: others wait for it to be healthy", name)
		require.False(t, hc.Disable, name)
		require.NotEmpty(t, hc.Test, name)
	}
	require.Contains(t, strings.Join(service(t, p, "postgres").HealthCheck.Test, " "), "pg_isready")
	require.Contains(t, strings.Join(service(t, p, "temporal").HealthCheck.Test, " "), "temporal operator cluster health")
}

func TestComposeTemporal(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	temporal := service(t, p, "temporal")
	require.True(t, strings.HasPrefix(temporal.Image, "temporalio/auto-setup:"), temporal.Image)
	require.Equal(t, "postgres12", env(t, temporal, "DB"))
	require.Equal(t, "postgres", env(t, temporal, "POSTGRES_SEEDS"), "Temporal keeps its state in the postgres service")
	require.Equal(t, types.ServiceConditionHealthy, temporal.DependsOn["postgres"].Condition)

	ui := service(t, p, "temporal-ui")
	require.True(t, strings.HasPrefix(ui.Image, "temporalio/ui:"), ui.Image)
	require.Equal(t, "temporal:7233", env(t, ui, "TEMPORAL_ADDRESS"))
	require.Equal(t, types.ServiceConditionHealthy, ui.DependsOn["temporal"].Condition)

	// The one-shot registers every search attribute with its type.
	admin := service(t, p, "temporal-admin-tools")
	require.Equal(t, types.ServiceConditionHealthy, admin.DependsOn["temporal"].Condition)
	script := strings.Join(append(slices.Clone(admin.Entrypoint), admin.Command...), " ")
	require.Contains(t, script, "temporal operator search-attribute create")
	pairs := regexp.MustCompile(`--name\s+(\w+)\s+--type\s+(\w+)`).FindAllStringSubmatch(script, -1)
	got := map[string]string{}
	for _, m := range pairs {
		got[m[1]] = m[2]
	}
	require.Subset(t, got, map[string]string{
		"BeianDomain":    "Keyword",
		"BeianProvince":  "Keyword",
		"BeianStatus":    "Keyword",
		"BeianCaseNo":    "Keyword",
		"BeianBureauDue": "Datetime",
	})
	require.Equal(t, workflows.SearchAttributeTypes, got, "compose must register exactly what the workflows set")
}

func TestComposeBeian(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	b := service(t, p, "beian")
	require.NotNil(t, b.Build, "beian is built from source")
	require.Equal(t, "deploy/Dockerfile", b.Build.Dockerfile)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.Equal(t, root, b.Build.Context, "the build context is the repository root")
	require.Equal(t, types.ShellCommand{"serve"}, b.Command)

	require.Equal(t, "temporal:7233", env(t, b, "TEMPORAL_ADDRESS"))
	require.Equal(t, "smtp://mailpit:1025?starttls=none", env(t, b, "SMTP_URL"))
	require.Equal(t, ":8080", env(t, b, "HTTP_ADDR"))
	require.True(t, strings.HasPrefix(env(t, b, "DATABASE_URL"), "postgres://"))
	require.Contains(t, env(t, b, "DATABASE_URL"), "@postgres:5432/")
	require.GreaterOrEqual(t, len(env(t, b, "BEIAN_SECRET_KEY")), 16, "serve refuses to start without a secret key (R-BR-2)")
	tokens := env(t, b, "BEIAN_API_TOKENS")
	require.Regexp(t, `^[^:,]+:(specialist|supervisor|tech|bureau|admin):[^:,]+(,[^:,]+:(specialist|supervisor|tech|bureau|admin):[^:,]+)*$`, tokens, "name:role:token,…")

	require.Contains(t, strings.Join(b.HealthCheck.Test, " "), "/healthz")
	for dep, cond := range map[string]string{
		"postgres":             types.ServiceConditionHealthy,
		"temporal":             types.ServiceConditionHealthy,
		"mailpit":              types.ServiceConditionHealthy,
		"temporal-admin-tools": types.ServiceConditionCompletedSuccessfully,
	} {
		d, ok := b.DependsOn[dep]
		require.True(t, ok, "beian must wait for %s", dep)
		require.Equal(t, cond, d.Condition, "beian depends_on %s", dep)
	}
}

// TestDockerfile checks deploy/Dockerfile builds ./cmd/beian statically and
// that the image has what the compose healthcheck runs.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := regexp.MustCompile(`(?m)^\s*#.*\n`).ReplaceAllString(string(b), "") // comments say nothing about the build
	require.Regexp(t, `(?m)^FROM golang:1\.26\S* AS build$`, df)
	require.Contains(t, df, "CGO_ENABLED=0")
	require.Regexp(t, `(?m)go build .*-o /out/beian \./cmd/beian$`, df)
	require.Regexp(t, `(?m)^ENTRYPOINT \["/beian"\]$`, df)

	stages := regexp.MustCompile(`(?m)^FROM `).Split(df, -1)
	final := stages[len(stages)-1]
	require.Contains(t, final, "COPY --from=build /out/beian /beian")
	hc := service(t, loadCompose(t), "beian").HealthCheck.Test
	require.Equal(t, "CMD", hc[0])
	require.Contains(t, final, hc[1], "the final image must install %s, which the compose healthcheck runs", hc[1])

	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	require.NoError(t, err)
	for _, dir := range []string{"bin", ".data", ".git"} {
		require.Contains(t, strings.Fields(string(ignore)), dir, "%s stays out of the build context", dir)
	}
}
