package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeMetadata serves what the EC2 instance metadata service (IMDSv2,
// token first), the ECS task metadata endpoint v4 and the ECS agent's
// introspection API answer, with the documented field names.
func fakeMetadata(t *testing.T, containerID string) (imds, ecsURI, agent string) {
	t.Helper()
	const token = "fake-imds-token"
	im := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
			fmt.Fprint(w, token)
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != token:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/dynamic/instance-identity/document":
			fmt.Fprint(w, `{"accountId":"111111111111","architecture":"x86_64","availabilityZone":"us-east-1a",
"imageId":"ami-0123456789abcdef0","instanceId":"i-0abc123def4567890","instanceType":"m7g.large",
"privateIp":"10.0.0.5","region":"us-east-1","version":"2017-09-30"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(im.Close)
	ecs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v4/self/task":
			fmt.Fprint(w, `{"Cluster":"arn:aws:ecs:us-east-1:111111111111:cluster/prod","TaskARN":
"arn:aws:ecs:us-east-1:111111111111:task/prod/0f1e2d3c","Family":"corral-daemon","Revision":"7","Containers":[]}`)
		case "/v4/self":
			fmt.Fprint(w, `{"DockerId":"abc","Name":"corral","Image":"corral:latest"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ecs.Close)
	ag := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/tasks":
			fmt.Fprintf(w, `{"Tasks":[{"Arn":"arn:aws:ecs:us-east-1:111111111111:task/prod/aaaa","DesiredStatus":"RUNNING",
"KnownStatus":"RUNNING","Family":"checkout","Version":"42","Containers":[{"DockerId":%q,"DockerName":"ecs-checkout-42-web",
"Name":"web"}]}]}`, containerID)
		case "/v1/metadata":
			fmt.Fprint(w, `{"Cluster":"prod","ContainerInstanceArn":"arn:aws:ecs:us-east-1:111111111111:container-instance/prod/1"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ag.Close)
	return im.URL, ecs.URL + "/v4/self", ag.URL
}

// TestEnrichmentFromEC2AndECS runs corral as an ECS daemon task on EC2
// would: its own events carry the instance and its task, and a Docker log
// file of another container carries that container's task.
func TestEnrichmentFromEC2AndECS(t *testing.T) {
	id := strings.Repeat("0123456789abcdef", 4)
	imds, ecsURI, agent := fakeMetadata(t, id)
	root := t.TempDir()
	host := filepath.Join(root, "host.log")
	docker := filepath.Join(root, "containers", id, id+"-json.log")
	if err := os.MkdirAll(filepath.Dir(docker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(host, []byte("host line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if err := os.WriteFile(docker, []byte(`{"log":"container line\n","stream":"stdout","time":"`+now+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
cloudwatch: {flush_interval: 100ms}
enrich: {ecs_agent_url: %s}
labels: {team: platform}
sources:
  - paths: [%q]
    log_group: /hosts/{instance_id}
    log_stream: "{ecs_task_family}/{file_name}"
    format: json
  - paths: [%q]
    parser: docker
    format: json
    log_group: /containers/{ecs_cluster}
    log_stream: "{ecs_task_family}/{ecs_container_name}"
`, t.TempDir(), agent, host, filepath.Join(root, "containers", "*", "*-json.log")))

	p := startCorral(t, []string{
		"AWS_EC2_METADATA_DISABLED=false",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds,
		"ECS_CONTAINER_METADATA_URI_V4=" + ecsURI,
	}, "run", "--dry-run", "--config", cfg)
	var evs []printedEvent
	waitUntil(t, 20*time.Second, func() bool {
		evs = evs[:0]
		for _, line := range strings.Split(strings.TrimSpace(p.printed()), "\n") {
			var e printedEvent
			if json.Unmarshal([]byte(line), &e) == nil && e.Message != "" {
				evs = append(evs, e)
			}
		}
		return len(evs) == 2
	}, func() string { return p.printed() })
	p.stop(10 * time.Second)

	byGroup := map[string]printedEvent{}
	for _, e := range evs {
		byGroup[e.Group] = e
	}
	hostEv, ok := byGroup["/hosts/i-0abc123def4567890"]
	if !ok || hostEv.Stream != "corral-daemon/host.log" {
		t.Fatalf("host event routed to %+v, want /hosts/i-0abc123def4567890 corral-daemon/host.log", evs)
	}
	ctr, ok := byGroup["/containers/prod"]
	if !ok || ctr.Stream != "checkout/web" {
		t.Fatalf("container event routed to %+v, want /containers/prod checkout/web", evs)
	}
	check := func(e printedEvent, want map[string]string) {
		t.Helper()
		var env map[string]any
		if err := json.Unmarshal([]byte(e.Message), &env); err != nil {
			t.Fatalf("not an envelope: %s", e.Message)
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %v, want %q in %s", k, env[k], v, e.Message)
			}
		}
		if labels, _ := env["labels"].(map[string]any); labels["team"] != "platform" {
			t.Errorf("labels = %v, want team platform", env["labels"])
		}
	}
	ec2 := map[string]string{"instance_id": "i-0abc123def4567890", "region": "us-east-1",
		"availability_zone": "us-east-1a", "account_id": "111111111111", "instance_type": "m7g.large",
		"image_id": "ami-0123456789abcdef0", "ecs_cluster": "prod"}
	own := map[string]string{"message": "host line", "ecs_task_family": "corral-daemon", "ecs_task_revision": "7",
		"ecs_container_name": "corral", "ecs_task_arn": "arn:aws:ecs:us-east-1:111111111111:task/prod/0f1e2d3c"}
	other := map[string]string{"message": "container line", "ecs_task_family": "checkout", "ecs_task_revision": "42",
		"ecs_container_name": "web", "ecs_task_arn": "arn:aws:ecs:us-east-1:111111111111:task/prod/aaaa"}
	for k, v := range ec2 {
		own[k], other[k] = v, v
	}
	check(hostEv, own)
	check(ctr, other)
	if want := now[:19]; !strings.HasPrefix(ctr.Timestamp, want) {
		t.Errorf("container event at %s, want the Docker time %s", ctr.Timestamp, now)
	}
}
