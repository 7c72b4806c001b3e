package agent

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/sinks/cloudwatch"
)

// profiles are the ways the agent delivers: one sink per distinct pair of
// role to assume and settings of the groups it creates. Sources pick theirs
// by index in pipeline.Dest.Profile. It is the pipeline's sink.
type profiles struct {
	base   aws.Config
	host   Host
	cfg    *config.Config
	bodies *pipeline.Budget
	ua     string
	log    *zap.Logger

	mu    sync.RWMutex // guards sinks and index: a reload adds profiles while senders deliver
	sinks []*cloudwatch.Sink
	index map[string]int
}

// Send delivers r through the sink of its profile.
func (p *profiles) Send(ctx context.Context, r *pipeline.Request) error {
	p.mu.RLock()
	sink := p.sinks[r.Dest.Profile]
	p.mu.RUnlock()
	return sink.Send(ctx, r)
}

// all returns the sinks made so far.
func (p *profiles) all() []*cloudwatch.Sink {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.sinks)
}

// For returns the profile index of a source, making its sink the first
// time a role and group settings are seen.
func (p *profiles) For(ctx context.Context, sc config.Source) (int, error) {
	role := sc.AssumeRole
	if role == nil {
		role = p.cfg.AWS.AssumeRole
	}
	key := fmt.Sprintf("%+v|%+v", role, sc.Group)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i, ok := p.index[key]; ok {
		return i, nil
	}
	g := sc.Group
	sink, err := cloudwatch.New(ctx, cloudwatch.Options{
		AWS:         withRole(p.base, role, p.host),
		Endpoint:    p.cfg.AWS.EndpointURL,
		Concurrency: p.cfg.CloudWatch.Concurrency,
		Compression: cloudwatch.Compression(p.cfg.CloudWatch.Compression),
		Bodies:      p.bodies,
		Group: cloudwatch.GroupSettings{
			RetentionDays:      g.RetentionDays,
			KMSKeyID:           g.KMSKeyID,
			Tags:               g.Tags,
			Class:              g.LogGroupClass,
			DeletionProtection: g.DeletionProtection,
			ManageRetention:    g.ManageRetention,
		},
		UserAgent: p.ua,
		Log:       p.log,
	})
	if err != nil {
		return 0, err
	}
	p.sinks = append(p.sinks, sink)
	p.index[key] = len(p.sinks) - 1
	return len(p.sinks) - 1, nil
}
