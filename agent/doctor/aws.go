package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/corral-logs/corral/agent/config"
)

// awsState is what the AWS checks learnt, for the checks after them.
type awsState struct {
	base    aws.Config
	loaded  bool   // base is usable: the config loaded and has a region
	account string // the base identity's account, when it was found
	roles   map[string]*role
	clock   clockRecorder
}

// role is the outcome of assuming one configured role.
type role struct {
	cfg     aws.Config // with the assumed credentials, when ok
	ok      bool
	account string
}

// maxAttempts is the SDK's attempts per request: one retry covers a
// dropped connection; more would only stretch the time doctor waits.
const maxAttempts = 2

// checkAWS loads the host's AWS configuration as corral does, then
// checks the credentials, the roles and the log groups.
func (r *run) checkAWS(ctx context.Context) {
	r.aws.roles = make(map[string]*role)
	c := r.cfg.AWS
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(maxAttempts),
		// The SDK's own warnings (such as falling back to IMDSv1) would
		// interleave with the report, which says what matters.
		awsconfig.WithLogger(logging.Nop{}),
		awsconfig.WithAPIOptions([]func(*middleware.Stack) error{r.aws.clock.apiOptions(r.opts.Now)}),
	}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.EndpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.EndpointURL))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	switch {
	case err != nil:
		r.add(Result{Name: "credentials", Status: Fail,
			Detail: "load the AWS configuration: " + err.Error(),
			Advice: "fix the shared config (~/.aws/config, AWS_CONFIG_FILE) or the AWS_* variables"})
	case base.Region == "":
		r.add(Result{Name: "credentials", Status: Fail, Detail: "no AWS region",
			Advice: "set aws.region in the config, or AWS_REGION"})
	default:
		r.aws.base, r.aws.loaded = base, true
		r.checkCredentials(ctx)
	}
	r.checkRoles(ctx)
	r.checkGroups(ctx)
}

// checkCredentials finds the host's credentials and asks STS whose they
// are.
func (r *run) checkCredentials(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	creds, err := r.aws.base.Credentials.Retrieve(ctx)
	if err != nil {
		r.add(Result{Name: "credentials", Status: Fail, Detail: "none found: " + credentialsReason(err),
			Advice: "give corral an identity: an instance profile on EC2, a task role on ECS, " +
				"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
				"or AWS_PROFILE and ~/.aws of the user corral runs as"})
		return
	}
	out, err := sts.NewFromConfig(r.aws.base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		code, reason := apiReason(err, r.opts.Timeout)
		res := Result{Name: "credentials", Status: Fail,
			Detail: fmt.Sprintf("%s from %s refused by STS: %s", creds.AccessKeyID, creds.Source, reason)}
		switch {
		case code == "":
			res.Detail = "cannot reach STS: " + reason
			res.Advice = "check the network path to STS: proxy settings, a VPC endpoint, aws.endpoint_url"
		case code == "ExpiredToken" || code == "ExpiredTokenException":
			res.Advice = "the credentials expired: renew them, " +
				"or let the SDK chain refresh them (instance profile, task role)"
		case code == "SignatureDoesNotMatch":
			res.Advice = "the secret key does not match the access key id, or the clock is off: check both"
		default:
			res.Advice = "the access key is unknown or deactivated: create a new one, " +
				"or use an instance profile or task role"
		}
		r.add(res)
		return
	}
	r.aws.account = aws.ToString(out.Account)
	r.add(Result{Name: "credentials", Status: OK, Detail: fmt.Sprintf("%s (account %s, from %s)",
		aws.ToString(out.Arn), r.aws.account, creds.Source)})
}

// credentialsReason says why the default chain found no credentials.
// When its last provider, the EC2 instance profile, found none, every
// provider before it was empty too.
func credentialsReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no provider answered in time (the EC2 instance metadata service is the last one asked)"
	}
	msg := err.Error()
	if strings.Contains(msg, "no EC2 IMDS role found") {
		reason := "no keys in the environment or ~/.aws, no container credentials, " +
			"no EC2 instance profile"
		if strings.Contains(msg, "AWS_EC2_METADATA_DISABLED") {
			reason += " (IMDS disabled by AWS_EC2_METADATA_DISABLED)"
		}
		return reason
	}
	if _, rest, ok := strings.Cut(msg, "failed to refresh cached credentials, "); ok {
		msg = rest
	}
	return msg
}

// apiReason returns the service's error code and a short reason: the
// code and message of an API error, or the network error beneath the
// SDK's wrapping, with an empty code.
func apiReason(err error, timeout time.Duration) (code, reason string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
		if msg := ae.ErrorMessage(); msg != "" {
			return code, code + ": " + msg
		}
		return code, code
	}
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "", fmt.Sprintf("no answer within %v", timeout)
	case errors.As(err, &op):
		return "", op.Error()
	}
	return "", err.Error()
}

// roleCheck is one configured role, and the name of its result.
type roleCheck struct {
	name string
	role *config.AssumeRole
}

// checkRoles assumes each configured role once: the one under aws, then
// those of sources that name their own.
func (r *run) checkRoles(ctx context.Context) {
	var checks []roleCheck
	if rc := r.cfg.AWS.AssumeRole; rc != nil {
		checks = append(checks, roleCheck{"role", rc})
	}
	for _, sc := range r.cfg.Sources {
		if sc.AssumeRole != nil {
			checks = append(checks, roleCheck{"role of source " + sc.Name, sc.AssumeRole})
		}
	}
	for _, c := range checks {
		key := roleKey(c.role)
		if _, done := r.aws.roles[key]; done {
			continue
		}
		res, ro := r.assume(ctx, c.role)
		res.Name = c.name
		r.aws.roles[key] = ro
		r.add(res)
	}
}

// roleKey identifies a role with everything corral asks STS for it.
func roleKey(rc *config.AssumeRole) string {
	if rc == nil {
		return ""
	}
	return fmt.Sprintf("%s|%s|%s|%v", rc.RoleARN, rc.ExternalID, rc.SessionName, rc.Duration)
}

// assume asks STS for the role as corral does: with the external id, the
// session name expanded for this host and the configured duration.
func (r *run) assume(ctx context.Context, rc *config.AssumeRole) (Result, *role) {
	ro := &role{}
	if r.aws.account == "" {
		return Result{Status: Skip,
			Detail: rc.RoleARN + ": not checked: no working credentials to assume it with"}, ro
	}
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(rc.RoleARN),
		RoleSessionName: aws.String(rc.Session(hostLookup)),
		DurationSeconds: aws.Int32(int32(time.Duration(rc.Duration) / time.Second)),
	}
	if rc.ExternalID != "" {
		in.ExternalId = aws.String(rc.ExternalID)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	out, err := sts.NewFromConfig(r.aws.base).AssumeRole(ctx, in)
	if err != nil {
		return roleFailure(rc, err, r.opts.Timeout), ro
	}
	assumed := aws.ToString(out.AssumedRoleUser.Arn)
	if a, err := arn.Parse(assumed); err == nil {
		ro.account = a.AccountID
	}
	c := out.Credentials
	ro.cfg = r.aws.base.Copy()
	ro.cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	ro.ok = true
	return Result{Status: OK, Detail: fmt.Sprintf("%s (account %s)", assumed, ro.account)}, ro
}

// roleFailure says why STS refused a role, and what to change.
func roleFailure(rc *config.AssumeRole, err error, timeout time.Duration) Result {
	code, reason := apiReason(err, timeout)
	res := Result{Status: Fail, Detail: fmt.Sprintf("cannot assume %s: %s", rc.RoleARN, reason)}
	switch code {
	case "":
		res.Advice = "check the network path to STS: proxy settings, a VPC endpoint, aws.endpoint_url"
	case "AccessDenied":
		// The message repeats the identity and the role; the code says it.
		res.Detail = fmt.Sprintf("cannot assume %s: %s", rc.RoleARN, code)
		res.Advice = "allow sts:AssumeRole for this identity in the role's trust policy, " +
			"and check external_id"
	case "ValidationError":
		res.Advice = "check assume_role: duration must not exceed the role's maximum session duration"
	case "RegionDisabledException":
		res.Advice = "activate STS in this region (IAM account settings), or use another aws.region"
	default:
		res.Advice = "check assume_role.role_arn and the role's trust policy in the logs account"
	}
	return res
}

// hostLookup fills the placeholders of a session name: the host's name.
func hostLookup(name string) string {
	if name == "hostname" {
		h, _ := os.Hostname()
		return h
	}
	return ""
}

// profile returns the AWS configuration a source delivers with, the
// account it writes to, and whether it works; why not, when not.
func (r *run) profile(sc config.Source) (aws.Config, string, string) {
	rc := sc.AssumeRole
	if rc == nil {
		rc = r.cfg.AWS.AssumeRole
	}
	if rc == nil {
		if r.aws.account == "" {
			return aws.Config{}, "", "no working credentials"
		}
		return r.aws.base, r.aws.account, ""
	}
	ro := r.aws.roles[roleKey(rc)]
	if ro == nil || !ro.ok {
		return aws.Config{}, "", "the role " + rc.RoleARN + " was not assumed"
	}
	return ro.cfg, ro.account, ""
}
