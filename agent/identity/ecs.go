package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// taskMetadata is the part of the task metadata endpoint v4's /task
// response that corral uses.
type taskMetadata struct {
	Cluster  string `json:"Cluster"`
	TaskARN  string `json:"TaskARN"`
	Family   string `json:"Family"`
	Revision string `json:"Revision"`
}

// containerMetadata is the part of the container response (the endpoint
// itself) that corral uses.
type containerMetadata struct {
	Name string `json:"Name"`
}

// discoverECS reads the task and the container from the task metadata
// endpoint v4 at uri, or returns nil when the task cannot be read. A
// container name that cannot be read stays empty.
func discoverECS(ctx context.Context, uri string, client *http.Client) *ECS {
	uri = strings.TrimSuffix(uri, "/")
	var task taskMetadata
	if err := getJSON(ctx, client, uri+"/task", &task); err != nil || task.TaskARN == "" {
		return nil
	}
	ecs := &ECS{
		Cluster:  clusterName(task.Cluster),
		TaskARN:  task.TaskARN,
		Family:   task.Family,
		Revision: task.Revision,
	}
	var c containerMetadata
	if err := getJSON(ctx, client, uri, &c); err == nil {
		ecs.ContainerName = c.Name
	}
	return ecs
}

// clusterName returns the short name of a cluster given by name or by ARN
// (arn:aws:ecs:us-east-1:111122223333:cluster/default), which templates
// cannot use: log group names allow no ':'.
func clusterName(s string) string {
	if strings.HasPrefix(s, "arn:") {
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			return s[i+1:]
		}
	}
	return s
}

// maxMetadataBytes caps a metadata response read. A task's metadata is a
// few kilobytes; an instance with hundreds of tasks gives the
// introspection API's /v1/tasks some hundreds.
const maxMetadataBytes = 8 << 20

// getJSON GETs url and decodes its JSON body into v.
func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}
