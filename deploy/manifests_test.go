package deploy_test

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/beian/beian/workflows"
)

// The Kubernetes manifests under k8s/ (deploy/KUBERNETES.md): every
// kustomization is rendered as `kubectl apply -k` would render it, every
// object is decoded strictly into its Kubernetes type (an unknown field or
// kind fails), and then the properties that keep beian running on more
// than one machine are checked.

const (
	namespace    = "beian"
	appSecret    = "beian-secrets"      // created by the operator
	tlsSecret    = "beian-temporal-tls" // created by the operator, optional
	apiName      = "beian-api"
	workerName   = "beian-worker"
	migrateName  = "beian-migrate"
	runAsUser    = 65532 // deploy/Dockerfile: USER 65532:65532
	apiDrain     = 20 * time.Second
	defaultDrain = 60 * time.Second // BEIAN_WORKER_STOP_TIMEOUT unset
)

// secretKeys are the keys of beian-secrets the manifests may reference;
// KUBERNETES.md lists each one the operator has to know about.
var secretKeys = []string{
	"DATABASE_URL", "BEIAN_SECRET_KEY", "SMTP_URL", "BEIAN_API_TOKENS", "BEIAN_ADMIN_PASSWORD",
	"METRICS_TOKEN", "IMAP_URL", "BEIAN_ACCESS_WEBHOOK_URL", "BEIAN_ACCESS_WEBHOOK_SECRET", "TEMPORAL_API_KEY",
	"BEIAN_SECRET_KEYS", "BEIAN_SECRET_KEY_ID", "BEIAN_INDEX_KEY",
}

// newVariables are read by cmd/beian but not yet in README.md's table.
var newVariables = []string{
	"HEALTH_ADDR", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE", "TEMPORAL_TLS_CA_FILE",
	"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY", "BEIAN_WORKER_STOP_TIMEOUT",
}

// manifests is one rendered kustomization, by kind and name.
type manifests struct {
	dir          string
	namespaces   map[string]*corev1.Namespace
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	accounts     map[string]*corev1.ServiceAccount
	services     map[string]*corev1.Service
	deployments  map[string]*appsv1.Deployment
	jobs         map[string]*batchv1.Job
	pdbs         map[string]*policyv1.PodDisruptionBudget
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	policies     map[string]*networkingv1.NetworkPolicy
	namespaceOf  map[string]string // "Kind/name" → metadata.namespace
	configSource string            // the hashed name of beian-config
}

// kustomizations lists every directory under k8s/ with a kustomization.yaml.
func kustomizations(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir("k8s", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "kustomization.yaml" {
			dirs = append(dirs, filepath.ToSlash(filepath.Dir(path)))
		}
		return nil
	})
	require.NoError(t, err)
	require.Subset(t, dirs, []string{"k8s/base", "k8s/overlays/production", "k8s/overlays/temporal-cloud"})
	return dirs
}

func render(t *testing.T, dir string) *manifests {
	t.Helper()
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	require.NoError(t, err, "kustomize build %s", dir)
	m := &manifests{
		dir: dir, namespaces: map[string]*corev1.Namespace{}, configMaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, accounts: map[string]*corev1.ServiceAccount{},
		services: map[string]*corev1.Service{}, deployments: map[string]*appsv1.Deployment{},
		jobs: map[string]*batchv1.Job{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, policies: map[string]*networkingv1.NetworkPolicy{},
		namespaceOf: map[string]string{},
	}
	require.NotEmpty(t, rm.Resources(), dir)
	for _, r := range rm.Resources() {
		b, err := r.AsYAML()
		require.NoError(t, err)
		gvk, name := r.GetApiVersion()+", Kind="+r.GetKind(), r.GetName()
		var obj any
		var meta *metav1.ObjectMeta
		switch gvk {
		case "v1, Kind=Namespace":
			o := &corev1.Namespace{}
			obj, meta, m.namespaces[name] = o, &o.ObjectMeta, o
		case "v1, Kind=ConfigMap":
			o := &corev1.ConfigMap{}
			obj, meta, m.configMaps[name] = o, &o.ObjectMeta, o
		case "v1, Kind=Secret":
			o := &corev1.Secret{}
			obj, meta, m.secrets[name] = o, &o.ObjectMeta, o
		case "v1, Kind=ServiceAccount":
			o := &corev1.ServiceAccount{}
			obj, meta, m.accounts[name] = o, &o.ObjectMeta, o
		case "v1, Kind=Service":
			o := &corev1.Service{}
			obj, meta, m.services[name] = o, &o.ObjectMeta, o
		case "apps/v1, Kind=Deployment":
			o := &appsv1.Deployment{}
			obj, meta, m.deployments[name] = o, &o.ObjectMeta, o
		case "batch/v1, Kind=Job":
			o := &batchv1.Job{}
			obj, meta, m.jobs[name] = o, &o.ObjectMeta, o
		case "policy/v1, Kind=PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			obj, meta, m.pdbs[name] = o, &o.ObjectMeta, o
		case "autoscaling/v2, Kind=HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			obj, meta, m.hpas[name] = o, &o.ObjectMeta, o
		case "networking.k8s.io/v1, Kind=NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			obj, meta, m.policies[name] = o, &o.ObjectMeta, o
		default:
			t.Fatalf("%s: %s %q is a kind this test does not know: add its type here", dir, gvk, name)
		}
		require.NoError(t, yaml.UnmarshalStrict(b, obj), "%s: %s %q must decode strictly as its Kubernetes type:\n%s", dir, gvk, name, b)
		require.Equal(t, name, meta.Name)
		m.namespaceOf[r.GetKind()+"/"+name] = meta.Namespace
	}
	for name := range m.configMaps {
		if strings.HasPrefix(name, "beian-config") {
			m.configSource = name
		}
	}
	return m
}

// readmeVariables are the environment variables README.md's Configuration
// table names: the backticked names in each row's first cell.
func readmeVariables(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	text := string(b)
	start := strings.Index(text, "\n## Configuration")
	require.GreaterOrEqual(t, start, 0, "README.md has a Configuration section")
	section := text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	names := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(cell, -1) {
			names[m[1]] = true
		}
	}
	require.Greater(t, len(names), 20, "the Configuration table of README.md names the variables")
	require.True(t, names["DATABASE_URL"] && names["TEMPORAL_ADDRESS"] && names["LOG_LEVEL"])
	return names
}

// binaryReads reports whether cmd/beian reads the variable: its name as a
// string literal in a non-test source file there.
func binaryReads(t *testing.T) func(string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "cmd", "beian", "*.go"))
	require.NoError(t, err)
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		src.Write(b)
	}
	return func(name string) bool { return strings.Contains(src.String(), strconv.Quote(name)) }
}

// pods is every workload's pod template, by "Kind/name".
func (m *manifests) pods() map[string]*corev1.PodTemplateSpec {
	out := map[string]*corev1.PodTemplateSpec{}
	for name, d := range m.deployments {
		out["Deployment/"+name] = &d.Spec.Template
	}
	for name, j := range m.jobs {
		out["Job/"+name] = &j.Spec.Template
	}
	return out
}

func containers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// envOf is a container's environment as the kubelet builds it: envFrom
// ConfigMaps first, env over them. Values from Secrets are "secret:KEY".
func (m *manifests) envOf(t *testing.T, c *corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		require.Nil(t, from.SecretRef, "%s: container %s: envFrom a Secret hides which variables it sets; use secretKeyRef per key", m.dir, c.Name)
		require.NotNil(t, from.ConfigMapRef, "%s: container %s", m.dir, c.Name)
		require.Empty(t, from.Prefix, "%s: container %s", m.dir, c.Name)
		cm, ok := m.configMaps[from.ConfigMapRef.Name]
		require.True(t, ok, "%s: container %s reads ConfigMap %q, which is not rendered", m.dir, c.Name, from.ConfigMapRef.Name)
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.ConfigMapKeyRef != nil:
			cm, ok := m.configMaps[e.ValueFrom.ConfigMapKeyRef.Name]
			require.True(t, ok, "%s: %s reads ConfigMap %q, which is not rendered", m.dir, e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
			env[e.Name] = cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
		default:
			env[e.Name] = "field:"
		}
	}
	return env
}

func (m *manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, ok := m.deployments[name]
	require.True(t, ok, "%s: Deployment %s missing", m.dir, name)
	require.Len(t, d.Spec.Template.Spec.Containers, 1, "%s: %s runs one container", m.dir, name)
	return d
}

// port resolves a probe's or Service's target port to a declared port of c.
func port(t *testing.T, c *corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	t.Fatalf("container %s declares no port %s", c.Name, p.String())
	return 0
}

func addrPort(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err, addr)
	n, err := strconv.Atoi(p)
	require.NoError(t, err, addr)
	return int32(n)
}

// probe checks an HTTP GET probe on path, returning the port it hits.
func probe(t *testing.T, what string, c *corev1.Container, p *corev1.Probe, path string) int32 {
	t.Helper()
	require.NotNil(t, p, "%s: container %s", what, c.Name)
	require.NotNil(t, p.HTTPGet, "%s: container %s: an HTTP GET probe", what, c.Name)
	require.Equal(t, path, p.HTTPGet.Path, "%s: container %s", what, c.Name)
	return port(t, c, p.HTTPGet.Port)
}

func selects(t *testing.T, sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec) bool {
	t.Helper()
	require.NotNil(t, sel)
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	require.False(t, s.Empty(), "a selector that selects every pod")
	return s.Matches(labels.Set(tmpl.Labels))
}

func TestManifestsRender(t *testing.T) {
	t.Parallel()
	for _, dir := range kustomizations(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			// One namespace, and every object in it.
			require.Len(t, m.namespaces, 1, dir)
			require.Contains(t, m.namespaces, namespace, dir)
			for key, ns := range m.namespaceOf {
				if !strings.HasPrefix(key, "Namespace/") {
					require.Equal(t, namespace, ns, "%s: %s", dir, key)
				}
			}
			// Secrets are the operator's: none is committed, not even empty.
			for name, s := range m.secrets {
				t.Errorf("%s: Secret %s is rendered (data %d, stringData %d keys): the operator creates Secrets, the repository only names them", dir, name, len(s.Data), len(s.StringData))
			}
			require.NotEmpty(t, m.configSource, "%s: the ConfigMap beian-config", dir)
			for _, name := range []string{apiName, workerName} {
				m.deployment(t, name)
			}
			require.Contains(t, m.jobs, migrateName, dir)
		})
	}
}

// TestManifestsWorkloads: the API and the worker are separate Deployments
// of the one image, with their probes, and the migrations a Job.
func TestManifestsWorkloads(t *testing.T) {
	t.Parallel()
	for _, dir := range kustomizations(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			api, worker := m.deployment(t, apiName), m.deployment(t, workerName)
			ac, wc := &api.Spec.Template.Spec.Containers[0], &worker.Spec.Template.Spec.Containers[0]
			require.Equal(t, []string{"api"}, ac.Args, dir)
			require.Equal(t, []string{"worker"}, wc.Args, dir)
			require.Empty(t, ac.Command, "%s: the image's ENTRYPOINT is /beian", dir)
			require.Empty(t, wc.Command, "%s: the image's ENTRYPOINT is /beian", dir)
			require.False(t, selects(t, api.Spec.Selector, &worker.Spec.Template), "%s: the API's selector must not take the worker's pods", dir)
			require.False(t, selects(t, worker.Spec.Selector, &api.Spec.Template), "%s: the worker's selector must not take the API's pods", dir)
			require.True(t, selects(t, api.Spec.Selector, &api.Spec.Template), dir)
			require.True(t, selects(t, worker.Spec.Selector, &worker.Spec.Template), dir)

			// API: listens on HTTP_ADDR; live on /healthz, ready on /readyz.
			aenv := m.envOf(t, ac)
			httpPort := addrPort(t, aenv["HTTP_ADDR"])
			require.Equal(t, httpPort, probe(t, dir+" startup", ac, ac.StartupProbe, "/healthz"))
			require.Equal(t, httpPort, probe(t, dir+" liveness", ac, ac.LivenessProbe, "/healthz"))
			require.Equal(t, httpPort, probe(t, dir+" readiness", ac, ac.ReadinessProbe, "/readyz"))
			require.NotNil(t, api.Spec.Replicas, "%s: beian-api replicas", dir)
			require.GreaterOrEqual(t, *api.Spec.Replicas, int32(2), "%s: one API pod is a single point of failure", dir)
			grace := api.Spec.Template.Spec.TerminationGracePeriodSeconds
			require.NotNil(t, grace, dir)
			var preStop time.Duration
			if ac.Lifecycle != nil && ac.Lifecycle.PreStop != nil && ac.Lifecycle.PreStop.Sleep != nil {
				preStop = time.Duration(ac.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			}
			require.Positive(t, preStop, "%s: a preStop pause lets the endpoints drop the pod before it stops listening", dir)
			require.Greater(t, time.Duration(*grace)*time.Second, preStop+apiDrain, "%s: the API drains requests for up to 20 s after preStop", dir)

			// Worker: /healthz and /readyz on HEALTH_ADDR; time for activities.
			wenv := m.envOf(t, wc)
			healthPort := addrPort(t, wenv["HEALTH_ADDR"])
			require.Equal(t, healthPort, probe(t, dir+" startup", wc, wc.StartupProbe, "/healthz"))
			require.Equal(t, healthPort, probe(t, dir+" liveness", wc, wc.LivenessProbe, "/healthz"))
			require.Equal(t, healthPort, probe(t, dir+" readiness", wc, wc.ReadinessProbe, "/readyz"))
			grace = worker.Spec.Template.Spec.TerminationGracePeriodSeconds
			require.NotNil(t, grace, dir)
			require.GreaterOrEqual(t, *grace, int64(120), "%s: running activities finish before the worker is killed", dir)
			stop := defaultDrain
			if v, ok := wenv["BEIAN_WORKER_STOP_TIMEOUT"]; ok {
				d, err := time.ParseDuration(v)
				require.NoError(t, err, dir)
				stop = d
			}
			require.Less(t, stop, time.Duration(*grace)*time.Second, "%s: BEIAN_WORKER_STOP_TIMEOUT must end before terminationGracePeriodSeconds", dir)

			// The worker count belongs to its autoscaler, on CPU.
			require.Nil(t, worker.Spec.Replicas, "%s: the HPA owns beian-worker's replicas; a fixed count is reset on every apply", dir)
			var hpa *autoscalingv2.HorizontalPodAutoscaler
			for _, h := range m.hpas {
				ref := h.Spec.ScaleTargetRef
				if ref.Kind == "Deployment" && ref.Name == workerName && ref.APIVersion == "apps/v1" {
					require.Nil(t, hpa, "%s: two autoscalers for the worker", dir)
					hpa = h
				}
				_, ok := m.deployments[ref.Name]
				require.True(t, ok, "%s: HPA %s scales %s, which is not rendered", dir, h.Name, ref.Name)
			}
			require.NotNil(t, hpa, "%s: an autoscaler for beian-worker", dir)
			require.NotNil(t, hpa.Spec.MinReplicas, dir)
			require.GreaterOrEqual(t, *hpa.Spec.MinReplicas, int32(2), dir)
			require.GreaterOrEqual(t, hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas, dir)
			cpu := false
			for _, mt := range hpa.Spec.Metrics {
				if mt.Type == autoscalingv2.ResourceMetricSourceType && mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU {
					cpu = true
					require.NotNil(t, mt.Resource.Target.AverageUtilization, dir)
				}
			}
			require.True(t, cpu, "%s: the worker scales on CPU", dir)
			require.False(t, wc.Resources.Requests.Cpu().IsZero(), "%s: CPU utilization needs a CPU request", dir)

			// Migrations: a Job running `beian migrate` once.
			job := m.jobs[migrateName]
			jc := job.Spec.Template.Spec.Containers
			require.Len(t, jc, 1, dir)
			require.Equal(t, []string{"migrate"}, jc[0].Args, dir)
			require.Empty(t, jc[0].Command, "%s: the image's ENTRYPOINT is /beian", dir)
			require.Contains(t, []corev1.RestartPolicy{corev1.RestartPolicyNever, corev1.RestartPolicyOnFailure}, job.Spec.Template.Spec.RestartPolicy, dir)
			require.NotNil(t, job.Spec.BackoffLimit, dir)
			require.Equal(t, "secret:DATABASE_URL", m.envOf(t, &jc[0])["DATABASE_URL"], dir)

			// One build everywhere: the API, the worker and the migrations.
			require.Equal(t, ac.Image, wc.Image, dir)
			require.Equal(t, ac.Image, jc[0].Image, dir)

			// Spread over nodes so that one node's loss is not the service's.
			for _, d := range []*appsv1.Deployment{api, worker} {
				spec := &d.Spec.Template.Spec
				spread := false
				for _, c := range spec.TopologySpreadConstraints {
					spread = spread || selects(t, c.LabelSelector, &d.Spec.Template)
				}
				if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
					for _, term := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
						spread = spread || selects(t, term.PodAffinityTerm.LabelSelector, &d.Spec.Template)
					}
					for _, term := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
						spread = spread || selects(t, term.LabelSelector, &d.Spec.Template)
					}
				}
				require.True(t, spread, "%s: %s needs a topology spread or anti-affinity on its own pods", dir, d.Name)
			}
		})
	}
}

// TestManifestsPodHardening: resources, non-root, read-only root, no
// capabilities, on every pod and container.
func TestManifestsPodHardening(t *testing.T) {
	t.Parallel()
	for _, dir := range kustomizations(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			for key, tmpl := range m.pods() {
				spec := &tmpl.Spec
				sc := spec.SecurityContext
				require.NotNil(t, sc, "%s: %s pod securityContext", dir, key)
				require.NotNil(t, sc.RunAsNonRoot, "%s: %s", dir, key)
				require.True(t, *sc.RunAsNonRoot, "%s: %s runAsNonRoot", dir, key)
				require.NotNil(t, sc.RunAsUser, "%s: %s", dir, key)
				require.Equal(t, int64(runAsUser), *sc.RunAsUser, "%s: %s runs as the image's user", dir, key)
				require.NotNil(t, spec.AutomountServiceAccountToken, "%s: %s", dir, key)
				require.False(t, *spec.AutomountServiceAccountToken, "%s: %s does not call the Kubernetes API", dir, key)
				if spec.ServiceAccountName != "" {
					require.Contains(t, m.accounts, spec.ServiceAccountName, "%s: %s", dir, key)
				}
				for _, c := range containers(spec) {
					what := dir + ": " + key + " container " + c.Name
					for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
						q, ok := c.Resources.Requests[res]
						require.True(t, ok && !q.IsZero(), "%s: requests.%s", what, res)
						l, ok := c.Resources.Limits[res]
						require.True(t, ok && !l.IsZero(), "%s: limits.%s", what, res)
						require.LessOrEqual(t, q.Cmp(l), 0, "%s: %s request above its limit", what, res)
					}
					csc := c.SecurityContext
					require.NotNil(t, csc, what)
					require.NotNil(t, csc.ReadOnlyRootFilesystem, what)
					require.True(t, *csc.ReadOnlyRootFilesystem, "%s: readOnlyRootFilesystem", what)
					require.NotNil(t, csc.AllowPrivilegeEscalation, what)
					require.False(t, *csc.AllowPrivilegeEscalation, what)
					require.True(t, csc.Privileged == nil || !*csc.Privileged, what)
					require.NotNil(t, csc.Capabilities, what)
					require.Contains(t, csc.Capabilities.Drop, corev1.Capability("ALL"), "%s: drop ALL capabilities", what)
					require.Empty(t, csc.Capabilities.Add, what)
					if csc.RunAsUser != nil {
						require.Equal(t, int64(runAsUser), *csc.RunAsUser, what)
					}
				}
			}
		})
	}
}

// TestManifestsAvailability: a PDB per Deployment, the Service on the API,
// and a NetworkPolicy that lets the traffic through that must come.
func TestManifestsAvailability(t *testing.T) {
	t.Parallel()
	for _, dir := range kustomizations(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			for name, d := range m.deployments {
				var found []string
				for pname, p := range m.pdbs {
					if selects(t, p.Spec.Selector, &d.Spec.Template) {
						found = append(found, pname)
						require.Nil(t, p.Spec.MaxUnavailable, "%s: PDB %s", dir, pname)
						require.NotNil(t, p.Spec.MinAvailable, "%s: PDB %s", dir, pname)
						require.Equal(t, intstr.FromInt32(1), *p.Spec.MinAvailable, "%s: PDB %s minAvailable", dir, pname)
					}
				}
				require.Len(t, found, 1, "%s: exactly one PodDisruptionBudget must select %s", dir, name)
			}
			for pname, p := range m.pdbs {
				n := 0
				for _, d := range m.deployments {
					if selects(t, p.Spec.Selector, &d.Spec.Template) {
						n++
					}
				}
				require.Equal(t, 1, n, "%s: PDB %s must select the pods of one Deployment", dir, pname)
			}

			api, worker := m.deployment(t, apiName), m.deployment(t, workerName)
			svc, ok := m.services[apiName]
			require.True(t, ok, "%s: Service beian-api", dir)
			sel := &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}
			require.True(t, selects(t, sel, &api.Spec.Template), "%s: the Service must send to the API pods", dir)
			require.False(t, selects(t, sel, &worker.Spec.Template), "%s: the Service must not send to the workers", dir)
			ac := &api.Spec.Template.Spec.Containers[0]
			require.NotEmpty(t, svc.Spec.Ports, dir)
			for _, p := range svc.Spec.Ports {
				target := port(t, ac, p.TargetPort)
				require.Equal(t, addrPort(t, m.envOf(t, ac)["HTTP_ADDR"]), target, "%s: Service port %s", dir, p.Name)
				require.True(t, m.ingressAllowed(t, &api.Spec.Template, ac, target), "%s: a NetworkPolicy blocks the API's port %d", dir, target)
			}
			wc := &worker.Spec.Template.Spec.Containers[0]
			hp := addrPort(t, m.envOf(t, wc)["HEALTH_ADDR"])
			require.True(t, m.ingressAllowed(t, &worker.Spec.Template, wc, hp), "%s: a NetworkPolicy blocks the worker's metrics port %d", dir, hp)
			if len(m.policies) > 0 {
				deny := false
				for _, p := range m.policies {
					deny = deny || (len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
						slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(p.Spec.Ingress) == 0)
				}
				require.True(t, deny, "%s: the policies open ports on a default deny", dir)
			}
		})
	}
}

// ingressAllowed reports whether the NetworkPolicies let traffic in to the
// pod's port: no policy selects the pod, or a rule of one that does allows it.
func (m *manifests) ingressAllowed(t *testing.T, tmpl *corev1.PodTemplateSpec, c *corev1.Container, p int32) bool {
	t.Helper()
	selected := false
	for _, pol := range m.policies {
		s, err := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
		require.NoError(t, err)
		if !s.Matches(labels.Set(tmpl.Labels)) || !slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		selected = true
		for _, rule := range pol.Spec.Ingress {
			if len(rule.Ports) == 0 {
				return true
			}
			for _, rp := range rule.Ports {
				if rp.Port == nil || port(t, c, *rp.Port) == p {
					return true
				}
			}
		}
	}
	return !selected
}

// TestManifestsConfiguration: every variable the containers get is one the
// README documents (or one of the new ones) and one cmd/beian reads;
// secrets come from the operator's Secrets by key; the rest from the
// ConfigMap.
func TestManifestsConfiguration(t *testing.T) {
	t.Parallel()
	readme := readmeVariables(t)
	reads := binaryReads(t)
	doc, err := os.ReadFile("KUBERNETES.md")
	require.NoError(t, err)
	for _, name := range newVariables {
		require.True(t, reads(name), "cmd/beian does not read %s", name)
	}
	for _, dir := range kustomizations(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			// Secret values never sit in a ConfigMap, even one env overrides.
			for name, cm := range m.configMaps {
				for _, k := range secretKeys {
					require.NotContains(t, cm.Data, k, "%s: ConfigMap %s: %s belongs in beian-secrets", dir, name, k)
				}
			}
			for key, tmpl := range m.pods() {
				for _, c := range containers(&tmpl.Spec) {
					what := dir + ": " + key + " container " + c.Name
					env := m.envOf(t, c)
					for name := range env {
						require.True(t, readme[name] || slices.Contains(newVariables, name), "%s: %s is not in README.md's Configuration table", what, name)
						require.True(t, reads(name), "%s: cmd/beian does not read %s", what, name)
					}
					for _, e := range c.Env {
						if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
							continue
						}
						ref := e.ValueFrom.SecretKeyRef
						require.Equal(t, appSecret, ref.Name, "%s: %s", what, e.Name)
						require.Equal(t, e.Name, ref.Key, "%s: the key of beian-secrets is the variable's name", what)
						require.Contains(t, secretKeys, ref.Key, what)
						require.Regexp(t, "(?m)^\\| [^|]*`"+ref.Key+"`", string(doc), "KUBERNETES.md's table of beian-secrets must list the key %s", ref.Key)
					}
					// Nor as a literal value in env.
					for _, name := range secretKeys {
						if v, ok := env[name]; ok {
							require.Equal(t, "secret:"+name, v, "%s: %s must come from beian-secrets", what, name)
						}
					}
					if key == "Job/"+migrateName {
						continue
					}
					// What serving needs (cmd/beian requireServe), and a
					// Temporal that is not the pod itself.
					for _, name := range []string{"DATABASE_URL", "BEIAN_SECRET_KEY", "SMTP_URL"} {
						require.Equal(t, "secret:"+name, env[name], "%s: %s is required", what, name)
						for _, e := range c.Env {
							if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
								opt := e.ValueFrom.SecretKeyRef.Optional
								require.True(t, opt == nil || !*opt, "%s: %s is required, not optional", what, name)
							}
						}
					}
					host, _, err := net.SplitHostPort(env["TEMPORAL_ADDRESS"])
					require.NoError(t, err, "%s: TEMPORAL_ADDRESS %q", what, env["TEMPORAL_ADDRESS"])
					require.NotContains(t, []string{"", "localhost", "127.0.0.1", "::1"}, host, "%s: TEMPORAL_ADDRESS", what)
					require.NotEmpty(t, env["TEMPORAL_NAMESPACE"], what)
					m.checkTLS(t, what, &tmpl.Spec, c, env)
				}
				for _, v := range tmpl.Spec.Volumes {
					if v.Secret != nil {
						require.Equal(t, tlsSecret, v.Secret.SecretName, "%s: %s mounts Secret %s", dir, key, v.Secret.SecretName)
					}
				}
			}
		})
	}
}

// checkTLS: TEMPORAL_TLS_*_FILE point into the mounted beian-temporal-tls,
// which must then exist (not optional); cert and key go together.
func (m *manifests) checkTLS(t *testing.T, what string, spec *corev1.PodSpec, c *corev1.Container, env map[string]string) {
	t.Helper()
	_, cert := env["TEMPORAL_TLS_CERT_FILE"]
	_, key := env["TEMPORAL_TLS_KEY_FILE"]
	require.Equal(t, cert, key, "%s: TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together", what)
	for _, name := range []string{"TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE", "TEMPORAL_TLS_CA_FILE"} {
		path, ok := env[name]
		if !ok {
			continue
		}
		mounted := false
		for _, vm := range c.VolumeMounts {
			if !strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
				continue
			}
			for _, v := range spec.Volumes {
				if v.Name == vm.Name && v.Secret != nil && v.Secret.SecretName == tlsSecret {
					mounted = true
					require.True(t, v.Secret.Optional != nil && !*v.Secret.Optional, "%s: %s needs %s, whose volume is optional", what, name, tlsSecret)
					file := strings.TrimPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/")
					require.Contains(t, []string{"tls.crt", "tls.key", "ca.crt"}, file, "%s: %s", what, name)
				}
			}
		}
		require.True(t, mounted, "%s: %s=%s is not in a mount of %s", what, name, path, tlsSecret)
	}
}

// TestManifestsOverlays: what the production overlays pin and set.
func TestManifestsOverlays(t *testing.T) {
	t.Parallel()
	for _, dir := range kustomizations(t) {
		if !strings.HasPrefix(dir, "k8s/overlays/") {
			continue
		}
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			m := render(t, dir)
			for key, tmpl := range m.pods() {
				for _, c := range containers(&tmpl.Spec) {
					img := c.Image
					require.Contains(t, img, "/", "%s: %s: %s is not from a registry", dir, key, img)
					if i := strings.Index(img, "@sha256:"); i >= 0 {
						continue // pinned by digest
					}
					last := img[strings.LastIndex(img, "/")+1:]
					i := strings.LastIndex(last, ":")
					require.Positive(t, i, "%s: %s: image %s has no tag", dir, key, img)
					tag := last[i+1:]
					require.NotEqual(t, "latest", tag, "%s: %s: image %s", dir, key, img)
					require.Regexp(t, `^[\w][\w.-]{0,127}$`, tag, "%s: %s", dir, key)
				}
			}
			if strings.HasSuffix(dir, "/temporal-cloud") {
				api := m.deployment(t, apiName)
				for _, d := range []*appsv1.Deployment{api, m.deployment(t, workerName)} {
					env := m.envOf(t, &d.Spec.Template.Spec.Containers[0])
					require.Regexp(t, `^[^.:]+\.[^.:]+\.tmprl\.cloud:7233$`, env["TEMPORAL_ADDRESS"], "%s: %s", dir, d.Name)
					require.Contains(t, env, "TEMPORAL_TLS_CERT_FILE", "%s: %s: a client certificate", dir, d.Name)
					require.Equal(t, strings.TrimSuffix(env["TEMPORAL_ADDRESS"], ".tmprl.cloud:7233"), env["TEMPORAL_NAMESPACE"], "%s: %s: the namespace ID is <ns>.<acct>", dir, d.Name)
				}
			}
		})
	}
}

// temporalValues is the part of the Temporal chart's values that
// deploy/helm/temporal-values.yaml sets; decoding is strict, so a key
// misspelt (or a password written in) fails.
type temporalValues struct {
	Server struct {
		Image struct {
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
		} `json:"image"`
		ReplicaCount int `json:"replicaCount"`
		Config       struct {
			LogLevel         string `json:"logLevel"`
			NumHistoryShards int    `json:"numHistoryShards"`
			Persistence      struct {
				DefaultStore string        `json:"defaultStore"`
				Default      temporalStore `json:"default"`
				Visibility   temporalStore `json:"visibility"`
			} `json:"persistence"`
			Namespaces struct {
				Create    bool `json:"create"`
				Namespace []struct {
					Name      string `json:"name"`
					Retention string `json:"retention"`
				} `json:"namespace"`
			} `json:"namespaces"`
		} `json:"config"`
		Frontend temporalService `json:"frontend"`
		History  temporalService `json:"history"`
		Matching temporalService `json:"matching"`
		Worker   temporalService `json:"worker"`
	} `json:"server"`
	Admintools struct {
		Enabled bool `json:"enabled"`
	} `json:"admintools"`
	Web struct {
		Enabled bool `json:"enabled"`
		temporalService
	} `json:"web"`
	Schema struct {
		CreateDatabase enabled `json:"createDatabase"`
		Setup          enabled `json:"setup"`
		Update         enabled `json:"update"`
	} `json:"schema"`
	Cassandra     enabled `json:"cassandra"`
	MySQL         enabled `json:"mysql"`
	PostgreSQL    enabled `json:"postgresql"`
	Elasticsearch enabled `json:"elasticsearch"`
	Prometheus    enabled `json:"prometheus"`
	Grafana       enabled `json:"grafana"`
}

type enabled struct {
	Enabled *bool `json:"enabled"`
}

type temporalStore struct {
	Driver string `json:"driver"`
	SQL    struct {
		Driver          string `json:"driver"`
		Host            string `json:"host"`
		Port            int    `json:"port"`
		Database        string `json:"database"`
		User            string `json:"user"`
		ExistingSecret  string `json:"existingSecret"`
		SecretKey       string `json:"secretKey"`
		MaxConns        int    `json:"maxConns"`
		MaxIdleConns    int    `json:"maxIdleConns"`
		MaxConnLifetime string `json:"maxConnLifetime"`
	} `json:"sql"`
}

type temporalService struct {
	ReplicaCount        int                         `json:"replicaCount"`
	PodDisruptionBudget map[string]int              `json:"podDisruptionBudget"`
	Resources           corev1.ResourceRequirements `json:"resources"`
}

func TestTemporalHelmValues(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("helm", "temporal-values.yaml"))
	require.NoError(t, err)
	var v temporalValues
	require.NoError(t, yaml.UnmarshalStrict(b, &v), "helm/temporal-values.yaml: only the keys this test knows")

	require.True(t, strings.HasPrefix(v.Server.Image.Tag, "1.29."), "server 1.29.x, as docker-compose.yml: %s", v.Server.Image.Tag)
	cfg := v.Server.Config
	require.Greater(t, cfg.NumHistoryShards, 1, "numHistoryShards is fixed for the cluster's life")
	require.Equal(t, "default", cfg.Persistence.DefaultStore)
	for name, s := range map[string]temporalStore{"temporal": cfg.Persistence.Default, "temporal_visibility": cfg.Persistence.Visibility} {
		require.Equal(t, "sql", s.Driver, name)
		require.Equal(t, "postgres12", s.SQL.Driver, name)
		require.Equal(t, name, s.SQL.Database)
		require.NotEmpty(t, s.SQL.Host, name)
		require.NotEmpty(t, s.SQL.User, name)
		require.NotEmpty(t, s.SQL.ExistingSecret, "%s: the password comes from an existing Secret", name)
	}
	for name, e := range map[string]enabled{
		"cassandra": v.Cassandra, "mysql": v.MySQL, "postgresql": v.PostgreSQL,
		"elasticsearch": v.Elasticsearch, "prometheus": v.Prometheus, "grafana": v.Grafana,
	} {
		require.NotNil(t, e.Enabled, "%s.enabled must be set: the chart enables some subcharts by default", name)
		require.False(t, *e.Enabled, "%s subchart", name)
	}
	require.True(t, v.Web.Enabled, "the web UI")
	require.True(t, v.Admintools.Enabled, "admintools: KUBERNETES.md registers the search attributes from it")
	require.True(t, v.Schema.Setup.Enabled != nil && *v.Schema.Setup.Enabled, "the chart's job sets the schema up")
	require.True(t, v.Schema.Update.Enabled != nil && *v.Schema.Update.Enabled, "the chart's job updates the schema")
	for name, s := range map[string]temporalService{
		"frontend": v.Server.Frontend, "history": v.Server.History, "matching": v.Server.Matching, "worker": v.Server.Worker, "web": v.Web.temporalService,
	} {
		require.GreaterOrEqual(t, s.ReplicaCount, 2, "%s replicas", name)
		require.NotEmpty(t, s.PodDisruptionBudget, "%s: the chart makes its PDB only when one is given", name)
		require.False(t, s.Resources.Requests.Cpu().IsZero(), "%s resources", name)
		require.False(t, s.Resources.Limits.Memory().IsZero(), "%s resources", name)
	}
	// The Temporal namespace beian uses is created by the chart.
	base := render(t, "k8s/base")
	want := base.configMaps[base.configSource].Data["TEMPORAL_NAMESPACE"]
	require.True(t, cfg.Namespaces.Create)
	var names []string
	for _, ns := range cfg.Namespaces.Namespace {
		names = append(names, ns.Name)
	}
	require.Contains(t, names, want, "the chart creates TEMPORAL_NAMESPACE")
}

// TestKubernetesDoc: the runbook has the commands, and registers exactly
// the search attributes the workflows set.
func TestKubernetesDoc(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("KUBERNETES.md")
	require.NoError(t, err)
	doc := string(b)
	for _, s := range []string{
		"kubectl apply -k deploy/k8s/overlays/production",
		"helm install temporal temporalio/temporal",
		"-f deploy/helm/temporal-values.yaml",
		"docker build -f deploy/Dockerfile",
		"kubectl -n beian create secret generic beian-secrets",
		"temporal operator search-attribute create",
		"TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE", "TEMPORAL_API_KEY", "HEALTH_ADDR",
	} {
		require.Contains(t, doc, s)
	}
	pairs := regexp.MustCompile(`--name\s+(\w+)\s+--type\s+(\w+)`).FindAllStringSubmatch(doc, -1)
	got := map[string]string{}
	for _, m := range pairs {
		got[m[1]] = m[2]
	}
	require.Equal(t, workflows.SearchAttributeTypes, got, "KUBERNETES.md must register exactly what the workflows set")
}
