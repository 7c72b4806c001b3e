package cloudwatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/pipeline"
)

// create makes dest's stream, and its group when that is missing too. An
// existing group or stream is not an error: another agent may have won
// the race.
func (s *Sink) create(ctx context.Context, dest pipeline.Dest) error {
	err := s.createStream(ctx, dest)
	var missing *types.ResourceNotFoundException
	if !errors.As(err, &missing) {
		return err
	}
	g := s.opts.Group
	_, err = s.sdk.CreateLogGroup(ctx, CreateGroupInput(dest.Group, g))
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create log group %s: %w", dest.Group, err)
	}
	if err == nil {
		s.log.Info("created log group", zap.String("log_group", dest.Group))
		if g.RetentionDays > 0 {
			// Set now, or, if that fails, before a later request: the
			// group exists, so creating it again will not come round.
			s.unsetRetention.Store(dest.Group, struct{}{})
			s.manageRetention(ctx, dest.Group)
		}
	}
	return s.createStream(ctx, dest)
}

// CreateGroupInput is the CreateLogGroup request the sink makes for a
// group with g; its retention is set after, with PutRetentionPolicy.
// corral doctor makes the same request.
func CreateGroupInput(group string, g GroupSettings) *cloudwatchlogs.CreateLogGroupInput {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: g.Tags}
	if g.KMSKeyID != "" {
		in.KmsKeyId = aws.String(g.KMSKeyID)
	}
	if g.Class != "" {
		in.LogGroupClass = types.LogGroupClass(g.Class)
	}
	if g.DeletionProtection {
		in.DeletionProtectionEnabled = aws.Bool(true)
	}
	return in
}

// GroupSettings are what a sink sets on a log group it creates.
type GroupSettings struct {
	RetentionDays      int // 0: never expire
	KMSKeyID           string
	Tags               map[string]string
	Class              string // STANDARD or INFREQUENT_ACCESS
	DeletionProtection bool
	// ManageRetention sets RetentionDays on existing groups too, once per
	// group and run.
	ManageRetention bool
}

// manageRetention sets the configured retention on an existing group the
// first time the sink writes to it, when asked to manage retention. A
// failure is logged and tried again at the next request.
func (s *Sink) manageRetention(ctx context.Context, group string) {
	g := s.opts.Group
	_, unset := s.unsetRetention.Load(group)
	if g.RetentionDays <= 0 || !g.ManageRetention && !unset {
		return
	}
	if _, done := s.managed.Load(group); done {
		return
	}
	err := s.putRetention(ctx, group)
	var missing *types.ResourceNotFoundException
	switch {
	case err == nil || errors.As(err, &missing): // a missing group gets it when created
	case classifySDK(err) == classAuth:
		// Not allowed: say so once for the group and stop asking.
		s.log.Error("not allowed to set the retention of a log group", zap.String("log_group", group), zap.Error(err))
	default:
		s.log.Warn("set retention, will try again", zap.String("log_group", group), zap.Error(err))
		return
	}
	s.unsetRetention.Delete(group)
	s.managed.Store(group, struct{}{})
}

// classifySDK classifies an error of an SDK call like an answer of ours.
func classifySDK(err error) class {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return classRetry
	}
	return classify(&APIError{Code: ae.ErrorCode()})
}

func (s *Sink) putRetention(ctx context.Context, group string) error {
	_, err := s.sdk.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName:    aws.String(group),
		RetentionInDays: aws.Int32(int32(s.opts.Group.RetentionDays)),
	})
	if err != nil {
		return fmt.Errorf("set retention of %s: %w", group, err)
	}
	return nil
}

func (s *Sink) createStream(ctx context.Context, dest pipeline.Dest) error {
	_, err := s.sdk.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName:  aws.String(dest.Group),
		LogStreamName: aws.String(dest.Stream),
	})
	var exists *types.ResourceAlreadyExistsException
	if err == nil || errors.As(err, &exists) {
		return nil
	}
	return fmt.Errorf("create log stream %s in %s: %w", dest.Stream, dest.Group, err)
}
