package s3

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/internal/retry"
)

// message is an SQS message received and not yet deleted or given up.
type message struct {
	id      string
	receipt string
}

// sqsBatch is the most entries of one SQS batch request.
const sqsBatch = 10

// receive receives messages while there is room in flight and hands their
// jobs to the workers, until ctx ends.
func (s *Source) receive(ctx context.Context, work chan<- *job) error {
	backoff := retry.NewBackoff(retry.Policy{Max: 30 * time.Second})
	failing := false
	for {
		// Wait for room, then take as much more as a receive may bring,
		// but no more than the workers can start on soon: other agents on
		// the queue get the rest.
		if err := s.slots.Acquire(ctx, 1); err != nil {
			return nil
		}
		n := 1
		for n < min(sqsBatch, 2*s.opts.Workers) && s.slots.TryAcquire(1) {
			n++
		}
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(s.opts.QueueURL),
			MaxNumberOfMessages: int32(n),
			WaitTimeSeconds:     int32(s.opts.WaitTime / time.Second),
			VisibilityTimeout:   int32(s.opts.VisibilityTimeout / time.Second),
		})
		if err != nil {
			s.slots.Release(int64(n))
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				s.log.Warn("receive from queue failed, retrying", zap.Error(err))
				failing = true
			}
			if !sleep(ctx, backoff.Next(err)) {
				return nil
			}
			continue
		}
		if failing {
			s.log.Info("receiving from queue again")
			failing = false
		}
		backoff.Reset()
		s.slots.Release(int64(n - len(out.Messages)))

		// Accept the whole batch before handing it out: a message waiting
		// for a worker must be in flight already, so that its visibility
		// is extended and no other agent receives it meanwhile.
		jobs := make([]*job, 0, len(out.Messages))
		for _, m := range out.Messages {
			if j := s.accept(ctx, m); j != nil {
				jobs = append(jobs, j)
			}
		}
		for _, j := range jobs {
			select {
			case work <- j:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// accept reads one message. It returns the job of a message that names
// objects, and settles any other message at once: deletes a test event or
// one that creates nothing, and leaves a bad one for the queue's redrive
// policy.
func (s *Source) accept(ctx context.Context, m sqstypes.Message) *job {
	s.Stats.MessagesReceived.Add(1)
	msg := &message{id: aws.ToString(m.MessageId), receipt: aws.ToString(m.ReceiptHandle)}
	n, err := parseNotice([]byte(aws.ToString(m.Body)))
	switch {
	case err != nil:
		s.Stats.MessagesBad.Add(1)
		if s.firstTime("message " + msg.id) {
			s.log.Warn("message is not an S3 event notification, leaving it for the dead-letter queue",
				zap.Int("bytes", len(aws.ToString(m.Body))), zap.Error(err))
		}
		s.slots.Release(1)
		return nil

	case n.test || len(n.objects) == 0:
		s.Stats.MessagesIgnored.Add(1)
		if n.test {
			s.log.Info("s3 test event received; the queue is connected")
		} else {
			s.log.Debug("message creates no object", zap.Int("events", n.ignored))
		}
		s.deleteMessages(ctx, []*message{msg})
		s.slots.Release(1)
		return nil
	}
	j := &job{objects: n.objects, msg: msg}
	s.mu.Lock()
	s.inFlight[msg.receipt] = j
	s.mu.Unlock()
	return j
}

// extendLoop keeps the messages in work invisible to other consumers: a
// third of the visibility timeout before it runs out, every message in
// flight gets a full timeout again.
func (s *Source) extendLoop(ctx context.Context) error {
	tick := time.NewTicker(s.opts.VisibilityTimeout / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		s.mu.Lock()
		msgs := make([]*message, 0, len(s.inFlight))
		for _, j := range s.inFlight {
			msgs = append(msgs, j.msg)
		}
		s.mu.Unlock()
		if err := s.changeVisibility(ctx, msgs, s.opts.VisibilityTimeout); err != nil && ctx.Err() == nil {
			s.log.Warn("extend visibility of messages in work", zap.Error(err))
		}
	}
}

// changeVisibility sets the visibility timeout of msgs. It returns the
// first error; entries that failed on their own are logged at debug
// level (a message deleted meanwhile, say).
func (s *Source) changeVisibility(ctx context.Context, msgs []*message, timeout time.Duration) error {
	for len(msgs) > 0 {
		batch := msgs[:min(sqsBatch, len(msgs))]
		msgs = msgs[len(batch):]
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(batch))
		for i, m := range batch {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(i)),
				ReceiptHandle:     aws.String(m.receipt),
				VisibilityTimeout: int32(timeout / time.Second),
			}
		}
		out, err := s.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(s.opts.QueueURL),
			Entries:  entries,
		})
		if err != nil {
			return err
		}
		for _, f := range out.Failed {
			s.log.Debug("change visibility refused", zap.String("error", aws.ToString(f.Message)))
		}
	}
	return nil
}

// deleteMessages deletes msgs and reports which were deleted. Failures
// are logged; such messages return to the queue and are read again.
func (s *Source) deleteMessages(ctx context.Context, msgs []*message) map[*message]bool {
	deleted := make(map[*message]bool, len(msgs))
	for len(msgs) > 0 {
		batch := msgs[:min(sqsBatch, len(msgs))]
		msgs = msgs[len(batch):]
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(batch))
		for i, m := range batch {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.receipt),
			}
		}
		out, err := s.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(s.opts.QueueURL),
			Entries:  entries,
		})
		if err != nil {
			s.log.Warn("delete messages failed; they will be read again", zap.Error(err))
			continue
		}
		for _, ok := range out.Successful {
			i, err := strconv.Atoi(aws.ToString(ok.Id))
			if err == nil && i >= 0 && i < len(batch) && !deleted[batch[i]] {
				deleted[batch[i]] = true
				s.Stats.MessagesDeleted.Add(1)
			}
		}
		for _, f := range out.Failed {
			s.log.Warn("delete message refused; it will be read again", zap.String("error", aws.ToString(f.Message)))
		}
	}
	return deleted
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
