package agent

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/agent/identity"
)

// Host is what the agent knows of where it runs: its name, and its EC2
// instance and ECS task when it learnt them. Templates and JSON envelopes
// use it.
type Host struct {
	identity.Identity
}

// Lookup returns the value of a host placeholder, or "" for one the host
// has no value for.
func (h Host) Lookup(name string) string {
	v, _ := h.Identity.Lookup(name)
	return v
}

// discover learns the host's identity. The name is always known; the EC2
// and ECS metadata endpoints are asked only when a template or a JSON
// envelope uses what they tell, and only for as long as enrich.timeout
// allows in all, so a host that is neither starts without delay. It also
// returns the lookup of other containers' ECS tasks when a source reads
// Docker log files in ECS.
func discover(ctx context.Context, cfg *config.Config, log *zap.Logger) (Host, *identity.Tasks) {
	uses := usesIdentity(cfg)
	opts := identity.Options{
		Timeout: time.Duration(cfg.Enrich.Timeout),
		NoEC2:   !cfg.Enrich.EC2 || !uses,
		NoECS:   !cfg.Enrich.ECS || !uses,
	}
	id := identity.Discover(ctx, opts)
	if id.EC2 != nil || id.ECS != nil {
		log.Info("host identity", zap.Bool("ec2", id.EC2 != nil), zap.Bool("ecs", id.ECS != nil))
	}
	var tasks *identity.Tasks
	if cfg.Enrich.ECS && readsDocker(cfg) && uses {
		tasks = identity.NewTasks(cfg.Enrich.ECSAgentURL, nil, 0)
	}
	return Host{id}, tasks
}

// usesIdentity reports whether any template or envelope needs the EC2 or
// ECS identity.
func usesIdentity(cfg *config.Config) bool {
	uses := func(t config.Template) bool {
		return slices.ContainsFunc(t.Names(), func(n string) bool {
			return slices.Contains(config.IdentityPlaceholders, n)
		})
	}
	if r := cfg.AWS.AssumeRole; r != nil && uses(r.SessionTemplate) {
		return true
	}
	for _, sc := range cfg.Sources {
		if sc.Format == config.FormatJSON || uses(sc.GroupTemplate) || uses(sc.StreamTemplate) ||
			uses(sc.FallbackGroupTemplate) || uses(sc.FallbackStreamTemplate) {
			return true
		}
	}
	return false
}

// readsDocker reports whether a source reads Docker's json-file logs.
func readsDocker(cfg *config.Config) bool {
	for _, sc := range cfg.Sources {
		if sc.Parser == config.ParserDocker {
			return true
		}
		for _, p := range sc.Paths {
			if strings.Contains(p, "/containers/") {
				return true
			}
		}
	}
	return false
}

// identityOf returns the host as seen by the file at path: a Docker log
// file of another container in ECS carries that container's own task.
func (a *Agent) identityOf(path string) Host {
	if a.tasks == nil {
		return a.host
	}
	id, ok := identity.ContainerIDFromPath(path)
	if !ok {
		return a.host
	}
	ctx, cancel := context.WithTimeout(context.Background(), containerLookupTimeout)
	defer cancel()
	task, ok := a.tasks.ByContainerID(ctx, id)
	if !ok {
		return a.host
	}
	h := a.host
	h.ECS = &task
	return h
}

// containerLookupTimeout bounds the wait for the ECS agent when a new
// container's log file is found.
const containerLookupTimeout = 500 * time.Millisecond
