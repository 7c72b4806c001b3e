package cloudwatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
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
	_, err = s.sdk.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(dest.Group)})
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create log group %s: %w", dest.Group, err)
	}
	if err == nil {
		s.log.Info("created log group", zap.String("log_group", dest.Group))
	}
	return s.createStream(ctx, dest)
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
