package identity

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// identityDocument is an instance identity document as IMDS serves it.
const identityDocument = `{
  "accountId" : "111122223333",
  "architecture" : "x86_64",
  "availabilityZone" : "eu-west-1b",
  "imageId" : "ami-0fa1e2b3c4d5e6f70",
  "instanceId" : "i-0123456789abcdef0",
  "instanceType" : "m7g.large",
  "pendingTime" : "2026-01-01T00:00:00Z",
  "privateIp" : "10.0.2.15",
  "region" : "eu-west-1",
  "version" : "2017-09-30"
}`

var wantEC2 = &EC2{InstanceID: "i-0123456789abcdef0", Region: "eu-west-1",
	AvailabilityZone: "eu-west-1b", AccountID: "111122223333", InstanceType: "m7g.large",
	ImageID: "ami-0fa1e2b3c4d5e6f70"}

// fakeIMDS answers like the instance metadata service with IMDSv2
// required: a GET without the token it handed out is refused with 401.
type fakeIMDS struct {
	putStatus int  // answer to the token request; 0 means 200 with a token
	hangPUT   bool // never answer the token request
	hangGET   bool // answer the token request, never the document (hop limit 1)

	puts, gets atomic.Int32
	ttlHeader  atomic.Value // the TTL the last token request asked for
}

const fakeToken = "FAKE-IMDS-TOKEN-0123456789"

// start serves f until the test ends.
func (f *fakeIMDS) start(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	hang := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			f.puts.Add(1)
			ttl := r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds")
			f.ttlHeader.Store(ttl)
			switch {
			case f.hangPUT:
				hang(r)
			case f.putStatus != 0:
				w.WriteHeader(f.putStatus)
			case ttl == "":
				w.WriteHeader(http.StatusBadRequest)
			default:
				w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", ttl)
				io.WriteString(w, fakeToken)
			}
		case r.Method == http.MethodGet && r.URL.Path == "/latest/dynamic/instance-identity/document":
			f.gets.Add(1)
			switch {
			case r.Header.Get("X-aws-ec2-metadata-token") != fakeToken:
				w.WriteHeader(http.StatusUnauthorized)
			case f.hangGET:
				hang(r)
			default:
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, identityDocument)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv.URL
}

// notFound serves 404 to everything, like a host with no metadata service
// that still answers HTTP.
func notFound(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// noECS makes sure the environment names no task metadata endpoint and
// does not turn the IMDS client off.
func noECS(t *testing.T) {
	t.Setenv(ecsMetadataEnv, "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
}

func TestDiscoverEC2(t *testing.T) {
	noECS(t)
	f := &fakeIMDS{}
	id := Discover(context.Background(), Options{IMDSEndpoint: f.start(t)})
	if diff := cmp.Diff(wantEC2, id.EC2); diff != "" {
		t.Errorf("EC2 (-want +got):\n%s", diff)
	}
	if id.ECS != nil {
		t.Errorf("ECS = %+v off ECS", id.ECS)
	}
	if id.Hostname == "" {
		t.Error("no host name")
	}
	if ttl, _ := f.ttlHeader.Load().(string); ttl == "" || ttl == "0" {
		t.Errorf("token requested with TTL %q", ttl)
	}
	if p, g := f.puts.Load(), f.gets.Load(); p != 1 || g != 1 {
		t.Errorf("%d token requests and %d document requests, want 1 and 1", p, g)
	}
}

// TestDiscoverNoIMDSv1 checks that a refused token request ends the EC2
// probe: corral does not fall back to asking without a token.
func TestDiscoverNoIMDSv1(t *testing.T) {
	noECS(t)
	statuses := []int{http.StatusForbidden, http.StatusNotFound, http.StatusInternalServerError}
	for _, status := range statuses {
		f := &fakeIMDS{putStatus: status}
		id := Discover(context.Background(), Options{IMDSEndpoint: f.start(t)})
		if id.EC2 != nil || f.puts.Load() != 1 || f.gets.Load() != 0 {
			t.Errorf("token refused with %d: EC2 %+v after %d token and %d document requests",
				status, id.EC2, f.puts.Load(), f.gets.Load())
		}
	}
}

// TestDiscoverWithinBudget checks Discover returns within its budget when
// the endpoints never answer: no metadata service behind a firewall that
// drops packets, and a container whose hop limit drops the responses.
func TestDiscoverWithinBudget(t *testing.T) {
	cases := []struct {
		name string
		imds *fakeIMDS
		ecs  bool // the task metadata endpoint hangs too
	}{
		{"token request hangs", &fakeIMDS{hangPUT: true}, false},
		{"document request hangs", &fakeIMDS{hangGET: true}, false},
		{"both endpoints hang", &fakeIMDS{hangPUT: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{IMDSEndpoint: c.imds.start(t), Timeout: 200 * time.Millisecond}
			noECS(t)
			if c.ecs {
				opts.ECSMetadataURI = hangingServer(t)
			}
			start := time.Now()
			id := Discover(context.Background(), opts)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Discover took %v with a 200ms budget", took)
			}
			if id.EC2 != nil || id.ECS != nil || id.Hostname == "" {
				t.Errorf("Discover = %+v", id)
			}
		})
	}
}

// hangingServer never answers until the client gives up or the test ends.
func hangingServer(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv.URL
}

// The task metadata endpoint v4's answers, shaped like the examples in the
// ECS developer guide, with made-up values.
const (
	ecsTask = `{
  "Cluster": "arn:aws:ecs:eu-west-1:111122223333:cluster/prod-web",
  "TaskARN": "arn:aws:ecs:eu-west-1:111122223333:task/prod-web/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  "Family": "orders",
  "ServiceName": "orders-svc",
  "Revision": "17",
  "DesiredStatus": "RUNNING",
  "KnownStatus": "RUNNING",
  "Limits": {"CPU": 0.5, "Memory": 1024},
  "PullStartedAt": "2026-01-01T00:00:01.5Z",
  "PullStoppedAt": "2026-01-01T00:00:03.25Z",
  "AvailabilityZone": "eu-west-1b",
  "LaunchType": "EC2",
  "Containers": [
    {
      "DockerId": "5b7c1c0e4f0d4a4e9a1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
      "Name": "app",
      "DockerName": "ecs-orders-17-app-a1b2c3d4e5f6a7b8c901",
      "Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2",
      "Labels": {"com.amazonaws.ecs.task-definition-family": "orders"},
      "DesiredStatus": "RUNNING",
      "KnownStatus": "RUNNING",
      "Limits": {"CPU": 256, "Memory": 512},
      "Type": "NORMAL"
    }
  ]
}`
	ecsContainer = `{
  "DockerId": "5b7c1c0e4f0d4a4e9a1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
  "Name": "app",
  "DockerName": "ecs-orders-17-app-a1b2c3d4e5f6a7b8c901",
  "Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2",
  "Labels": {"com.amazonaws.ecs.container-name": "app"},
  "DesiredStatus": "RUNNING",
  "KnownStatus": "RUNNING",
  "Limits": {"CPU": 256, "Memory": 512},
  "Type": "NORMAL"
}`
)

// fakeECS serves the task metadata endpoint v4 of one container under
// /v4/<id>, as ECS does.
func fakeECS(t *testing.T, container string) string {
	const base = "/v4/5b7c1c0e4f0d-1234567890"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case base + "/task":
			io.WriteString(w, ecsTask)
		case base:
			if container == "" {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			io.WriteString(w, container)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + base
}

var wantECS = &ECS{Cluster: "prod-web",
	TaskARN: "arn:aws:ecs:eu-west-1:111122223333:task/prod-web/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	Family:  "orders", Revision: "17", ContainerName: "app"}

func TestDiscoverECS(t *testing.T) {
	noECS(t)
	id := Discover(context.Background(), Options{IMDSEndpoint: notFound(t),
		ECSMetadataURI: fakeECS(t, ecsContainer)})
	if diff := cmp.Diff(wantECS, id.ECS); diff != "" {
		t.Errorf("ECS (-want +got):\n%s", diff)
	}
	if id.EC2 != nil {
		t.Errorf("EC2 = %+v without IMDS", id.EC2)
	}

	// The endpoint comes from the environment when Options name none.
	t.Setenv(ecsMetadataEnv, fakeECS(t, ecsContainer)+"/")
	id = Discover(context.Background(), Options{IMDSEndpoint: notFound(t)})
	if !cmp.Equal(wantECS, id.ECS) {
		t.Errorf("ECS from %s: %+v", ecsMetadataEnv, id.ECS)
	}

	// The task is worth having without the container's name.
	id = Discover(context.Background(),
		Options{IMDSEndpoint: notFound(t), ECSMetadataURI: fakeECS(t, "")})
	want := *wantECS
	want.ContainerName = ""
	if diff := cmp.Diff(&want, id.ECS); diff != "" {
		t.Errorf("ECS without the container (-want +got):\n%s", diff)
	}
}

func TestDiscoverEC2AndECS(t *testing.T) {
	noECS(t)
	id := Discover(context.Background(), Options{IMDSEndpoint: (&fakeIMDS{}).start(t),
		ECSMetadataURI: fakeECS(t, ecsContainer)})
	if !cmp.Equal(wantEC2, id.EC2) || !cmp.Equal(wantECS, id.ECS) {
		t.Errorf("Discover = EC2 %+v, ECS %+v", id.EC2, id.ECS)
	}
}

func TestLookupAndFields(t *testing.T) {
	id := Identity{Hostname: "web-01", EC2: wantEC2, ECS: wantECS}
	for name, want := range map[string]string{
		"hostname": "web-01", "instance_id": "i-0123456789abcdef0", "region": "eu-west-1",
		"availability_zone": "eu-west-1b", "account_id": "111122223333", "instance_type": "m7g.large",
		"image_id": "ami-0fa1e2b3c4d5e6f70", "ecs_cluster": "prod-web", "ecs_task_arn": wantECS.TaskARN,
		"ecs_task_family": "orders", "ecs_task_revision": "17", "ecs_container_name": "app",
	} {
		if got, ok := id.Lookup(name); got != want || !ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, true", name, got, ok, want)
		}
	}
	if got, ok := id.Lookup("file_name"); ok || got != "" {
		t.Errorf("Lookup(file_name) = %q, %v; want it unknown", got, ok)
	}
	if got := len(id.Fields()); got != len(Placeholders()) {
		t.Errorf("%d fields of a full identity, want %d", got, len(Placeholders()))
	}

	// Off EC2 and ECS: the placeholders are known but empty, and the
	// envelope holds the host name alone.
	bare := Identity{Hostname: "laptop"}
	if got, ok := bare.Lookup("instance_id"); got != "" || !ok {
		t.Errorf("Lookup(instance_id) off EC2 = %q, %v; want \"\", true", got, ok)
	}
	if diff := cmp.Diff([][2]string{{"hostname", "laptop"}}, bare.Fields()); diff != "" {
		t.Errorf("Fields off EC2 (-want +got):\n%s", diff)
	}
	ec2Only := Identity{Hostname: "h", EC2: &EC2{InstanceID: "i-1", Region: "us-east-1"}}
	want := [][2]string{{"hostname", "h"}, {"instance_id", "i-1"}, {"region", "us-east-1"}}
	if diff := cmp.Diff(want, ec2Only.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
	got := strings.Join(Placeholders(), ",")
	if !strings.HasPrefix(got, "hostname,instance_id,region,") {
		t.Errorf("Placeholders = %s", got)
	}
}

func TestClusterName(t *testing.T) {
	for in, want := range map[string]string{
		"default": "default",
		"arn:aws:ecs:us-east-1:111122223333:cluster/prod": "prod",
		"": "",
	} {
		if got := clusterName(in); got != want {
			t.Errorf("clusterName(%q) = %q, want %q", in, got, want)
		}
	}
}
