package identity

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Container IDs in the fake agent's tasks.
const (
	appID    = "3c9e4a1b7d2f48e6a0b5c8d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f"
	sidecar  = "e4d3c2b1a0f9e8d7c6b5a49382716050e4d3c2b1a0f9e8d7c6b5a49382716050"
	lateID   = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	unknown  = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	taskARN  = "arn:aws:ecs:us-west-2:111122223333:task/5e2d8c41-7a3b-4f19-9c6e-1d2b3a4c5e6f"
	task2ARN = "arn:aws:ecs:us-west-2:111122223333:task/7c3a1f0e-2b4d-4e6f-8a9b-0c1d2e3f4a5b"
)

// fakeAgent answers like the ECS container agent's introspection API and
// counts the requests. Its tasks change when late is set.
type fakeAgent struct {
	late    atomic.Bool   // a task started since: lateID is known
	down    atomic.Bool   // answer 500 to /v1/tasks
	block   chan struct{} // when set, /v1/tasks waits for it to close
	arrived chan struct{} // when set, receives once per /v1/tasks request

	tasks, metadata atomic.Int32
}

func (f *fakeAgent) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/metadata":
			f.metadata.Add(1)
			fmt.Fprint(w, `{"Cluster":"prod-web","ContainerInstanceArn":`+
				`"arn:aws:ecs:us-west-2:111122223333:container-instance/prod-web/4b7e5c1a",`+
				`"Version":"Amazon ECS Agent - v1.90.0 (abcdef01)"}`)
		case "/v1/tasks":
			f.tasks.Add(1)
			if f.down.Load() {
				http.Error(w, "agent restarting", http.StatusInternalServerError)
				return
			}
			if f.arrived != nil {
				f.arrived <- struct{}{}
			}
			if f.block != nil {
				select {
				case <-f.block:
				case <-r.Context().Done():
					return
				}
			}
			fmt.Fprint(w, f.body())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// body is the /v1/tasks answer, shaped like the ECS developer guide's
// example, with made-up values: a running and a stopped task.
func (f *fakeAgent) body() string {
	late := ""
	if f.late.Load() {
		late = fmt.Sprintf(`,{"Arn":%q,"DesiredStatus":"RUNNING","KnownStatus":"RUNNING",`+
			`"Family":"worker","Version":"3","Containers":[{"DockerId":%q,`+
			`"DockerName":"ecs-worker-3-worker-b2c3d4e5f6a7b8c9d001","Name":"worker"}]}`, task2ARN, lateID)
	}
	return fmt.Sprintf(`{"Tasks":[{"Arn":%q,"DesiredStatus":"RUNNING","KnownStatus":"RUNNING",`+
		`"Family":"orders-web","Version":"6","Containers":[`+
		`{"DockerId":%q,"DockerName":"ecs-orders-web-6-app-9ad0c1e2f3a4b5c6d701","Name":"app"},`+
		`{"DockerId":%q,"DockerName":"ecs-orders-web-6-envoy-8e7f6a5b4c3d2e1f0a01","Name":"envoy"}]},`+
		`{"Arn":"arn:aws:ecs:us-west-2:111122223333:task/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",`+
		`"DesiredStatus":"STOPPED","KnownStatus":"STOPPED","Family":"old","Version":"1",`+
		`"Containers":[]}%s]}`, taskARN, appID, sidecar, late)
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestTasks(endpoint string) (*Tasks, *fakeClock) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tasks := NewTasks(endpoint, nil, 30*time.Second)
	tasks.now = clock.Now
	return tasks, clock
}

func TestTasksCache(t *testing.T) {
	agent := &fakeAgent{}
	tasks, clock := newTestTasks(agent.start(t))
	ctx := context.Background()
	lookup := func(id string, wantOK bool, wantTasks int32) ECS {
		t.Helper()
		e, ok := tasks.ByContainerID(ctx, id)
		if ok != wantOK || agent.tasks.Load() != wantTasks {
			t.Fatalf("ByContainerID(%.12s) = %v after %d requests; want %v after %d",
				id, ok, agent.tasks.Load(), wantOK, wantTasks)
		}
		return e
	}

	// A miss on the empty cache asks the agent.
	want := ECS{Cluster: "prod-web", TaskARN: taskARN, Family: "orders-web",
		Revision: "6", ContainerName: "app"}
	if diff := cmp.Diff(want, lookup(appID, true, 1)); diff != "" {
		t.Errorf("app container (-want +got):\n%s", diff)
	}
	// Hits are served from the cache.
	if got := lookup(sidecar, true, 1); got.ContainerName != "envoy" || got.TaskARN != taskARN {
		t.Errorf("sidecar = %+v", got)
	}
	lookup(appID, true, 1)

	// A miss within the TTL does not ask again.
	agent.late.Store(true)
	lookup(lateID, false, 1)
	clock.Advance(29 * time.Second)
	lookup(lateID, false, 1)

	// Past the TTL, a miss refreshes and finds the new task.
	clock.Advance(time.Second)
	if got := lookup(lateID, true, 2); got.Family != "worker" || got.Cluster != "prod-web" {
		t.Errorf("late container = %+v", got)
	}
	lookup(unknown, false, 2)

	// An agent that fails is asked once per TTL, and the cache stays.
	agent.down.Store(true)
	clock.Advance(31 * time.Second)
	lookup(unknown, false, 3)
	lookup(unknown, false, 3)
	lookup(appID, true, 3)
	agent.down.Store(false)
	lookup(unknown, false, 3)
	clock.Advance(30 * time.Second)
	lookup(unknown, false, 4)

	if n := agent.metadata.Load(); n != 1 {
		t.Errorf("cluster asked %d times, want once", n)
	}
}

// TestTasksOneRefresh checks that callers missing at once share one
// request to the agent.
func TestTasksOneRefresh(t *testing.T) {
	agent := &fakeAgent{block: make(chan struct{}), arrived: make(chan struct{}, 1)}
	tasks, _ := newTestTasks(agent.start(t))
	tasks.wait = 10 * time.Second // the refresh is held below, not timed out

	results := make(chan bool, 5)
	lookup := func() {
		_, ok := tasks.ByContainerID(context.Background(), appID)
		results <- ok
	}
	go lookup()
	<-agent.arrived // the first caller is refreshing
	for range 4 {
		go lookup()
	}
	close(agent.block)
	for range 5 {
		if !<-results {
			t.Error("a caller missed the refreshed task")
		}
	}
	if n := agent.tasks.Load(); n != 1 {
		t.Errorf("%d requests to the agent, want 1", n)
	}
}

// TestTasksBounded checks a caller waits at most the short timeout for an
// agent that hangs.
func TestTasksBounded(t *testing.T) {
	agent := &fakeAgent{block: make(chan struct{})}
	t.Cleanup(func() { close(agent.block) })
	tasks, _ := newTestTasks(agent.start(t))
	tasks.wait = 100 * time.Millisecond
	start := time.Now()
	if _, ok := tasks.ByContainerID(context.Background(), appID); ok {
		t.Error("found a task on a hanging agent")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("ByContainerID took %v with a 100ms timeout", took)
	}
}

func TestNewTasksDefaults(t *testing.T) {
	tasks := NewTasks("", nil, 0)
	if tasks.endpoint != DefaultIntrospectionEndpoint || tasks.ttl != DefaultTasksTTL ||
		tasks.client == nil {
		t.Errorf("NewTasks defaults: %q %v %v", tasks.endpoint, tasks.ttl, tasks.client)
	}
}

func TestContainerIDFromPath(t *testing.T) {
	const id = appID
	cases := []struct {
		path string
		ok   bool
	}{
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log", true},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log.1", true},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log.12.gz", true},
		{"/data/docker/containers/" + id + "/" + id + "-json.log", true},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log.", false},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log.x", false},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.logs", false},
		{"/var/lib/docker/containers/" + id + "/config.v2.json", false},
		{"/var/lib/docker/containers/" + id + "/" + sidecar + "-json.log", false},
		{"/var/lib/docker/volumes/" + id + "/" + id + "-json.log", false},
		{"/var/lib/docker/containers/" + id[:12] + "/" + id[:12] + "-json.log", false},
		{"/var/log/containers/app.log", false},
		{"", false},
	}
	for _, c := range cases {
		got, ok := ContainerIDFromPath(c.path)
		if ok != c.ok || ok && got != id {
			t.Errorf("ContainerIDFromPath(%q) = %q, %v; want ok %v", c.path, got, ok, c.ok)
		}
	}
}
