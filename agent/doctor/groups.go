package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/agent/identity"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/sinks/cloudwatch"
)

// checkGroups checks, for each source, the log group its template names
// when the template can be filled in without a file or an event: the
// group exists, or is created now with the source's group settings, as
// corral would at its first event.
func (r *run) checkGroups(ctx context.Context) {
	lookup := r.identityLookup(ctx)
	done := make(map[string]bool) // role key and group name
	for _, sc := range r.cfg.Sources {
		tmpl, note := sc.GroupTemplate, ""
		if later := runtimeNames(tmpl); len(later) > 0 {
			r.add(Result{Name: "log group", Status: Skip,
				Detail: fmt.Sprintf("%s (source %s): depends on %s: checked at run",
					tmpl, sc.Name, strings.Join(later, "/"))})
			if !tmpl.HasFields() || len(runtimeNames(sc.FallbackGroupTemplate)) > 0 {
				continue
			}
			// Events without the field go to the fallback group: check that.
			tmpl, note = sc.FallbackGroupTemplate, " (fallback_group of source "+sc.Name+")"
		}
		name := pipeline.SanitizeGroup(tmpl.Expand(lookup))
		key := roleKey(sc.AssumeRole) + "|" + name
		if sc.AssumeRole == nil {
			key = roleKey(r.cfg.AWS.AssumeRole) + "|" + name
		}
		if done[key] {
			continue
		}
		done[key] = true
		cfg, account, why := r.profile(sc)
		if why != "" {
			r.add(Result{Name: "log group", Status: Skip,
				Detail: fmt.Sprintf("%s: not checked: %s", name, why)})
			continue
		}
		res := r.checkGroup(ctx, cloudwatchlogs.NewFromConfig(cfg), name, sc.Group)
		res.Detail = fmt.Sprintf("%s%s in account %s: %s", name, note, account, res.Detail)
		r.add(res)
	}
}

// runtimeNames returns the placeholders of t that only a file or an
// event fills in, each in braces.
func runtimeNames(t config.Template) []string {
	var out []string
	for _, n := range t.Names() {
		if !slices.Contains(config.HostPlaceholders, n) &&
			!slices.Contains(config.IdentityPlaceholders, n) {
			out = append(out, "{"+n+"}")
		}
	}
	return out
}

// identityLookup returns the lookup of host placeholders for group names,
// asking the EC2 and ECS metadata endpoints only when a group template
// uses what they tell (and enrich allows it), as corral does at start.
func (r *run) identityLookup(ctx context.Context) func(string) string {
	uses := false
	for _, sc := range r.cfg.Sources {
		for _, t := range []config.Template{sc.GroupTemplate, sc.FallbackGroupTemplate} {
			uses = uses || slices.ContainsFunc(t.Names(), func(n string) bool {
				return slices.Contains(config.IdentityPlaceholders, n)
			})
		}
	}
	id := identity.Discover(ctx, identity.Options{
		Timeout: time.Duration(r.cfg.Enrich.Timeout),
		NoEC2:   !uses || !r.cfg.Enrich.EC2,
		NoECS:   !uses || !r.cfg.Enrich.ECS,
	})
	return func(name string) string {
		v, _ := id.Lookup(name)
		return v
	}
}

// maxDescribePages bounds the search for a group among those sharing its
// name as a prefix.
const maxDescribePages = 10

// checkGroup finds the group named name, or creates it with g. Its result
// has no name, and a detail to which the caller adds the group's.
func (r *run) checkGroup(
	ctx context.Context, logs *cloudwatchlogs.Client, name string, g config.GroupSettings,
) Result {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	found, err := describeGroup(ctx, logs, name)
	if found {
		return Result{Name: "log group", Status: OK, Detail: "found"}
	}
	describeDenied := isAccessDenied(err)
	if err != nil && !describeDenied {
		_, reason := apiReason(err, r.opts.Timeout)
		return Result{Name: "log group", Status: Fail, Detail: "cannot describe: " + reason,
			Advice: "check the network path to CloudWatch Logs " +
				"(proxy, VPC endpoint, aws.endpoint_url) and aws.region"}
	}

	// Missing, or hidden from us: create it as corral would.
	_, err = logs.CreateLogGroup(ctx, cloudwatch.CreateGroupInput(name, cloudwatch.GroupSettings{
		KMSKeyID: g.KMSKeyID, Tags: g.Tags, Class: g.LogGroupClass, DeletionProtection: g.DeletionProtection,
	}))
	var exists *types.ResourceAlreadyExistsException
	switch {
	case errors.As(err, &exists) && describeDenied:
		return Result{Name: "log group", Status: OK,
			Detail: "exists (logs:DescribeLogGroups is denied, which corral does not need)"}
	case errors.As(err, &exists):
		return Result{Name: "log group", Status: OK, Detail: "found"}
	case isAccessDenied(err) && describeDenied:
		return Result{Name: "log group", Status: Fail,
			Detail: "logs:DescribeLogGroups and logs:CreateLogGroup denied",
			Advice: "allow logs:CreateLogGroup on the group (corral creates missing groups), " +
				"or create the group and allow logs:DescribeLogGroups so doctor can see it"}
	case isAccessDenied(err):
		return Result{Name: "log group", Status: Fail,
			Detail: "not found, and logs:CreateLogGroup denied",
			Advice: "allow logs:CreateLogGroup on the group for corral's role, " +
				"or create the group in the logs account"}
	case err != nil:
		_, reason := apiReason(err, r.opts.Timeout)
		return Result{Name: "log group", Status: Fail, Detail: "cannot create: " + reason,
			Advice: "check the group settings (kms_key_id, tags, log_group_class) " +
				"and the role's permissions"}
	}
	if g.RetentionDays > 0 {
		_, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(name), RetentionInDays: aws.Int32(int32(g.RetentionDays)),
		})
		if err != nil {
			_, reason := apiReason(err, r.opts.Timeout)
			return Result{Name: "log group", Status: Fail,
				Detail: "created, but its retention was not set: " + reason,
				Advice: "allow logs:PutRetentionPolicy on the group for corral's role"}
		}
	}
	return Result{Name: "log group", Status: OK, Detail: "created"}
}

// describeGroup reports whether the group exists, looking through the
// groups whose names start with its name.
func describeGroup(ctx context.Context, logs *cloudwatchlogs.Client, name string) (bool, error) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)}
	for range maxDescribePages {
		out, err := logs.DescribeLogGroups(ctx, in)
		if err != nil {
			return false, err
		}
		for _, lg := range out.LogGroups {
			if aws.ToString(lg.LogGroupName) == name {
				return true, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return false, nil
		}
		in.NextToken = out.NextToken
	}
	return false, nil
}

// isAccessDenied reports whether err is the service refusing an action
// to the caller.
func isAccessDenied(err error) bool {
	if err == nil {
		return false
	}
	var denied *types.AccessDeniedException
	if errors.As(err, &denied) {
		return true
	}
	code, _ := apiReason(err, 0)
	return code == "AccessDeniedException" || code == "AccessDenied"
}
