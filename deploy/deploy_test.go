package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/internal/testsalt"
)

// docs decodes every YAML document in a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
}

func get(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func knownVar(name string) bool {
	if strings.HasPrefix(name, "AWS_") {
		return true
	}
	for _, v := range config.Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}

// drainOf returns the --drain of a `worker run` command.
func drainOf(t *testing.T, cmd []any) time.Duration {
	t.Helper()
	for i, a := range cmd {
		if a == "--drain" && i+1 < len(cmd) {
			d, err := time.ParseDuration(cmd[i+1].(string))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	return 25 * time.Second // worker run's default
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	kust := docs(t, "k8s/kustomization.yaml")[0]
	kinds := map[string]int{}
	for _, r := range get(kust, "resources").([]any) {
		for _, d := range docs(t, filepath.Join("k8s", r.(string))) {
			kind, _ := d["kind"].(string)
			kinds[kind]++
			if get(d, "metadata", "name") == nil {
				t.Errorf("%s: a %s without metadata.name", r, kind)
			}
			switch kind {
			case "ConfigMap":
				for k := range get(d, "data").(map[string]any) {
					if !knownVar(k) {
						t.Errorf("ConfigMap sets unknown variable %s", k)
					}
				}
			case "Secret":
				for k := range get(d, "stringData").(map[string]any) {
					if !knownVar(k) {
						t.Errorf("Secret sets unknown variable %s", k)
					}
				}
			case "Deployment", "Job":
				checkPod(t, r.(string), get(d, "spec", "template", "spec").(map[string]any), kind == "Deployment")
			}
		}
	}
	for kind, want := range map[string]int{"Deployment": 2, "Service": 1, "Job": 1, "ConfigMap": 1, "Secret": 1} {
		if kinds[kind] != want {
			t.Errorf("%s objects: got %d, want %d", kind, kinds[kind], want)
		}
	}
}

func checkPod(t *testing.T, file string, spec map[string]any, longRunning bool) {
	t.Helper()
	if get(spec, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: pod may run as root", file)
	}
	for _, c := range spec["containers"].([]any) {
		c := c.(map[string]any)
		if get(c, "securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: container allows privilege escalation", file)
		}
		cmd := c["command"].([]any)
		if longRunning && c["livenessProbe"] == nil {
			t.Errorf("%s: no liveness probe", file)
		}
		if len(cmd) >= 2 && cmd[0] == "worker" && cmd[1] == "run" {
			grace, _ := spec["terminationGracePeriodSeconds"].(int)
			if drain := drainOf(t, cmd); time.Duration(grace)*time.Second <= drain {
				t.Errorf("%s: terminationGracePeriodSeconds %d is not longer than the drain %s", file, grace, drain)
			}
			// Imports stream large bytea values through a temporary file.
			if get(c, "securityContext", "readOnlyRootFilesystem") == true && !mountsTmp(spec, c) {
				t.Errorf("%s: the worker's root file system is read-only and /tmp is not a volume", file)
			}
		}
		if cmd[0] == "web" && c["readinessProbe"] == nil {
			t.Errorf("%s: web without a readiness probe", file)
		}
	}
}

// mountsTmp reports whether container c of a pod spec mounts an emptyDir volume at /tmp.
func mountsTmp(spec, c map[string]any) bool {
	mounts, _ := c["volumeMounts"].([]any)
	for _, m := range mounts {
		if get(m, "mountPath") != "/tmp" {
			continue
		}
		vols, _ := spec["volumes"].([]any)
		for _, v := range vols {
			if get(v, "name") == get(m, "name") && get(v, "emptyDir") != nil {
				return true
			}
		}
	}
	return false
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	d := docs(t, "compose.yaml")[0]
	services := d["services"].(map[string]any)
	for _, want := range []string{"postgres", "s3", "migrate-production", "web-production", "worker-production", "migrate-staging", "web-staging", "worker-staging"} {
		if services[want] == nil {
			t.Errorf("compose lacks service %s", want)
		}
	}
	for name, s := range services {
		env, _ := get(s, "environment").(map[string]any)
		for k := range env {
			if name != "postgres" && !knownVar(k) {
				t.Errorf("%s sets unknown variable %s", name, k)
			}
		}
		allow := env["APP_ALLOW_PROD_IMPORT"]
		if strings.HasSuffix(name, "-production") && allow != nil {
			t.Errorf("%s: production sets APP_ALLOW_PROD_IMPORT", name)
		}
		if strings.HasSuffix(name, "-staging") && allow != "true" {
			t.Errorf("%s: staging does not allow imports", name)
		}
		if strings.HasPrefix(name, "worker-") {
			grace, err := time.ParseDuration(get(s, "stop_grace_period").(string))
			if err != nil || grace <= drainOf(t, get(s, "command").([]any)) {
				t.Errorf("%s: stop_grace_period %v is not longer than the drain", name, get(s, "stop_grace_period"))
			}
		}
	}
	// Where the Docker client has the compose plugin, let it check the file too.
	if exec.Command("docker", "compose", "version").Run() == nil {
		cmd := exec.Command("docker", "compose", "-f", "compose.yaml", "--profile", "production", "--profile", "staging", "config", "--quiet")
		cmd.Env = append(os.Environ(), "ANONYMIZER_SALT="+testsalt.Salt)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("docker compose config: %v\n%s", err, out)
		}
	} else {
		t.Log("docker compose is not installed here; checked the file's structure only")
	}
}

// TestNoUsableSaltShips: whoever starts staging from these files must choose a
// salt. Compose refuses to start without one; the Kubernetes example's
// placeholder is refused at start by the configuration check.
func TestNoUsableSaltShips(t *testing.T) {
	t.Parallel()
	d := docs(t, "compose.yaml")[0]
	for name, s := range d["services"].(map[string]any) {
		v, ok := get(s, "environment", "ANONYMIZER_SALT").(string)
		if ok && !strings.HasPrefix(v, "${ANONYMIZER_SALT:?") {
			t.Errorf("compose %s ships ANONYMIZER_SALT %q, want ${ANONYMIZER_SALT:?…} (required from the environment)", name, v)
		}
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		cmd := exec.Command("docker", "compose", "-f", "compose.yaml", "--profile", "staging", "config", "--quiet")
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "ANONYMIZER_SALT=") })
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ANONYMIZER_SALT") {
			t.Errorf("docker compose config without ANONYMIZER_SALT: %v\n%s; want a refusal naming it", err, out)
		}
	}
	salts := 0
	for _, f := range []string{"k8s/secret.example.yaml", "k8s/config.yaml"} {
		for _, doc := range docs(t, f) {
			for _, key := range []string{"stringData", "data"} {
				v, ok := get(doc, key, "ANONYMIZER_SALT").(string)
				if !ok {
					continue
				}
				salts++
				vars := map[string]string{"DATABASE_URL": "postgres://x", "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "staging.example", "ANONYMIZER_SALT": v}
				if _, err := config.Parse(func(k string) string { return vars[k] }); err == nil || !strings.Contains(err.Error(), "ANONYMIZER_SALT") {
					t.Errorf("%s: the configuration accepts its ANONYMIZER_SALT (%v); want it refused until someone sets their own", f, err)
				}
			}
		}
	}
	if salts == 0 {
		t.Error("the Kubernetes example sets no ANONYMIZER_SALT: nothing tells an operator to set one")
	}
}

func TestDockerfileRunsAsNonRootWithoutShell(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"AS build", "distroless/static", "USER nonroot", "./cmd/worker", "./cmd/web"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
