package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/corral-logs/corral/agent/config"
)

// loadAWS builds the host's AWS configuration: the standard credential
// chain of the host (instance profile, task role, web identity,
// environment). withRole puts the role in the logs account on top.
func loadAWS(ctx context.Context, c config.AWS) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.EndpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.EndpointURL))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: set aws.region in the config or AWS_REGION")
	}
	return cfg, nil
}

// withRole returns base with credentials of role, assumed with base's
// own credentials, or base itself when role is nil.
func withRole(base aws.Config, r *config.AssumeRole, host Host) aws.Config {
	if r == nil {
		return base
	}
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), r.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
		o.RoleSessionName = r.Session(host.Lookup)
		o.Duration = time.Duration(r.Duration)
	})
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(early{provider, time.Now})
	return cfg
}

// refreshMargin is the longest before expiry that assumed credentials are
// refreshed; shorter lifetimes are refreshed at half their life.
const refreshMargin = 5 * time.Minute

// early makes credentials expire, for the cache, before they really do:
// min(refreshMargin, half their lifetime) early, measured on what STS
// granted rather than what was asked for, so that no request is signed
// with credentials about to lapse.
type early struct {
	aws.CredentialsProvider
	now func() time.Time
}

func (e early) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := e.CredentialsProvider.Retrieve(ctx)
	if err != nil || !c.CanExpire {
		return c, err
	}
	life := c.Expires.Sub(e.now())
	c.Expires = c.Expires.Add(-min(refreshMargin, life/2))
	return c, nil
}
