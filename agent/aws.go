package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/corral-logs/corral/agent/config"
)

// credentialsExpiryWindow is how long before assumed credentials expire
// that they are refreshed, so that no request is signed with credentials
// about to lapse.
const credentialsExpiryWindow = 2 * time.Minute

// loadAWS builds the AWS configuration: the standard credential chain of
// the host (instance profile, task role, web identity, environment), and
// on top of it the role in the logs account when one is configured.
func loadAWS(ctx context.Context, c config.AWS, host Host) (aws.Config, error) {
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
	if r := c.AssumeRole; r != nil {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), r.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if r.ExternalID != "" {
				o.ExternalID = aws.String(r.ExternalID)
			}
			o.RoleSessionName = sessionName(r.SessionTemplate.Expand(host.Lookup))
			o.Duration = time.Duration(r.Duration)
		})
		window := min(credentialsExpiryWindow, time.Duration(r.Duration)/4)
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = window
			o.ExpiryWindowJitterFrac = 0.5
		})
	}
	return cfg, nil
}

// maxSessionName is STS's limit on a role session name.
const maxSessionName = 64

// sessionName maps s to STS's rules for session names: 2 to 64 of
// [\w+=,.@-].
func sessionName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			return r
		}
		return '-'
	}, s)
	if len(s) > maxSessionName {
		s = s[:maxSessionName]
	}
	for len(s) < 2 {
		s += "-"
	}
	return s
}
