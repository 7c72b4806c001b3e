package identity

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Tasks maps Docker container IDs to their ECS tasks through the ECS
// container agent's introspection API, for corral running as a daemon
// task that reads the other containers' Docker log files. It caches the
// agent's answer: a container ID not in the cache makes it ask again, at
// most once per TTL, and no caller waits on the agent longer than
// RequestTimeout. It is safe for concurrent use.
type Tasks struct {
	endpoint string
	client   *http.Client
	ttl      time.Duration
	wait     time.Duration    // the longest a caller waits for the agent
	now      func() time.Time // the clock; tests replace it

	mu        sync.Mutex // guards the fields below
	byID      map[string]ECS
	cluster   string
	refreshed time.Time     // when the last refresh started; zero before the first
	inflight  chan struct{} // closed when the refresh under way ends; nil when none is
}

const (
	// DefaultIntrospectionEndpoint is where the ECS container agent serves
	// its introspection API on a container instance.
	DefaultIntrospectionEndpoint = "http://127.0.0.1:51678"
	// DefaultTasksTTL is the least time between two requests to the agent:
	// a container started since the last one is known after at most this.
	DefaultTasksTTL = 30 * time.Second
)

// NewTasks returns a Tasks asking the agent at endpoint (empty means
// DefaultIntrospectionEndpoint) with client (nil means a client bounding
// each request by RequestTimeout), at most once per ttl (zero means
// DefaultTasksTTL).
func NewTasks(endpoint string, client *http.Client, ttl time.Duration) *Tasks {
	if endpoint == "" {
		endpoint = DefaultIntrospectionEndpoint
	}
	if client == nil {
		client = newClient()
	}
	if ttl <= 0 {
		ttl = DefaultTasksTTL
	}
	return &Tasks{
		endpoint: strings.TrimSuffix(endpoint, "/"),
		client:   client,
		ttl:      ttl,
		wait:     RequestTimeout,
		now:      time.Now,
	}
}

// ByContainerID returns the task of the container with the given Docker
// ID. ok is false when the agent does not know the container, cannot be
// reached, or was asked less than the TTL ago.
func (t *Tasks) ByContainerID(ctx context.Context, id string) (ECS, bool) {
	t.mu.Lock()
	if e, ok := t.lookupLocked(id); ok {
		t.mu.Unlock()
		return e, true
	}

	// Join the refresh under way.
	if wait := t.inflight; wait != nil {
		t.mu.Unlock()
		ctx, cancel := context.WithTimeout(ctx, t.wait)
		defer cancel()
		select {
		case <-wait:
		case <-ctx.Done():
			return ECS{}, false
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.lookupLocked(id)
	}
	if !t.refreshed.IsZero() && t.now().Sub(t.refreshed) < t.ttl {
		t.mu.Unlock()
		return ECS{}, false
	}

	// Refresh, counting the attempt even if it fails, so that an agent
	// that is down is asked once per TTL, not once per lookup.
	done := make(chan struct{})
	t.inflight, t.refreshed = done, t.now()
	cluster := t.cluster
	t.mu.Unlock()
	byID, cluster, err := t.fetch(ctx, cluster)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		t.byID = byID
	}
	t.cluster = cluster
	t.inflight = nil
	close(done)
	return t.lookupLocked(id)
}

// lookupLocked returns the cached task of container id.
func (t *Tasks) lookupLocked(id string) (ECS, bool) {
	e, ok := t.byID[id]
	if ok && e.Cluster == "" {
		e.Cluster = t.cluster
	}
	return e, ok
}

// introspectionTasks is the agent's /v1/tasks response, in part.
type introspectionTasks struct {
	Tasks []struct {
		Arn        string `json:"Arn"`
		Family     string `json:"Family"`
		Version    string `json:"Version"`
		Containers []struct {
			DockerID string `json:"DockerId"`
			Name     string `json:"Name"`
		} `json:"Containers"`
	} `json:"Tasks"`
}

// introspectionMetadata is the agent's /v1/metadata response, in part.
type introspectionMetadata struct {
	Cluster string `json:"Cluster"`
}

// fetch asks the agent for its tasks, and for its cluster while that is
// not known yet. It returns the cluster it knows even when the tasks
// could not be read.
func (t *Tasks) fetch(ctx context.Context, cluster string) (map[string]ECS, string, error) {
	ctx, cancel := context.WithTimeout(ctx, t.wait)
	defer cancel()
	if cluster == "" {
		var m introspectionMetadata
		if err := getJSON(ctx, t.client, t.endpoint+"/v1/metadata", &m); err == nil {
			cluster = clusterName(m.Cluster)
		}
	}
	var resp introspectionTasks
	if err := getJSON(ctx, t.client, t.endpoint+"/v1/tasks", &resp); err != nil {
		return nil, cluster, err
	}
	byID := make(map[string]ECS)
	for _, task := range resp.Tasks {
		for _, c := range task.Containers {
			if c.DockerID != "" {
				byID[c.DockerID] = ECS{TaskARN: task.Arn, Family: task.Family,
					Revision: task.Version, ContainerName: c.Name}
			}
		}
	}
	return byID, cluster, nil
}

// ContainerIDFromPath returns the container ID in the path of a Docker
// json-file log, <root>/containers/<id>/<id>-json.log, or of one of its
// rotated files (-json.log.1, and -json.log.1.gz when compressed). The
// Docker root may be any directory; the ID is 64 lower-case hex digits.
func ContainerIDFromPath(path string) (string, bool) {
	dir, file := filepath.Split(filepath.Clean(path))
	dir = filepath.Clean(dir)
	id := filepath.Base(dir)
	if !isContainerID(id) || filepath.Base(filepath.Dir(dir)) != "containers" {
		return "", false
	}
	rest, ok := strings.CutPrefix(file, id+"-json.log")
	if !ok {
		return "", false
	}
	if rest == "" {
		return id, true
	}
	rest, ok = strings.CutPrefix(rest, ".")
	rest = strings.TrimSuffix(rest, ".gz")
	if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" {
		return "", false
	}
	return id, true
}

// isContainerID reports whether s is a full Docker container ID.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
