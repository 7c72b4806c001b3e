package agent

import (
	"context"
	"errors"
	"time"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline/process"
	"github.com/corral-logs/corral/sources/s3"
)

// newS3Source builds an s3 source. It reads the bucket and the queue with
// the credentials it delivers with: the role in the logs account, where
// CloudTrail and VPC Flow Logs deliver, when one is set.
func (a *Agent) newS3Source(ctx context.Context, sc config.Source, profile int, proc *process.Options) (Source, error) {
	if a.dryRun && sc.SQS != nil {
		return nil, errors.New("a dry run cannot read an SQS queue without consuming it; use poll to try an s3 source")
	}
	base, err := a.baseAWS(ctx)
	if err != nil {
		return nil, err
	}
	role := sc.AssumeRole
	if role == nil {
		role = a.cfg.AWS.AssumeRole
	}
	oversize := frame.Split
	if sc.Oversize == config.OversizeTruncate {
		oversize = frame.Truncate
	}
	opts := s3.Options{
		Name:           sc.Name,
		Format:         s3.Lines,
		Insights:       sc.Insights,
		MaxObjectBytes: int64(sc.MaxObjectBytes),
		AWS:            withRole(base, role, a.host),
		UsePathStyle:   a.cfg.AWS.EndpointURL != "", // emulators and S3-compatible stores
		Pipeline:       a.pipe,
		StateDir:       a.cfg.StateDir,
		MaxEventBytes:  a.cfg.CloudWatch.MaxEventBytes,
		Oversize:       oversize,
		NoMarkers:      !a.cfg.CloudWatch.OversizeMarker,
		Log:            a.log.Named("s3"),
		NewProcessor:   a.objectProcess(sc, profile, proc),
	}
	switch sc.Parser {
	case config.ParserCloudTrail:
		opts.Format = s3.CloudTrail
	case config.ParserVPCFlow:
		opts.Format = s3.VPCFlow
	}
	if q := sc.SQS; q != nil {
		opts.QueueURL = q.QueueURL
		opts.VisibilityTimeout = time.Duration(q.VisibilityTimeout)
		opts.Workers = q.Workers
	} else {
		opts.Poll = &s3.Poll{Bucket: sc.Poll.Bucket, Prefix: sc.Poll.Prefix,
			Interval: time.Duration(sc.Poll.Interval), Window: time.Duration(sc.Poll.Window)}
	}
	return s3.New(opts)
}

// objectProcess returns the processor factory of an s3 source: one
// processor per object, its templates filled in with the bucket and key.
func (a *Agent) objectProcess(sc config.Source, profile int, opts *process.Options) func(s3.Object) s3.Processor {
	return func(o s3.Object) s3.Processor {
		lookup := func(name string) string {
			switch name {
			case "bucket":
				return o.Bucket
			case "key":
				return o.Key
			}
			return a.host.Lookup(name)
		}
		var meta [][2]string
		if opts.JSON {
			meta = append(a.host.Fields(), [2]string{"bucket", o.Bucket}, [2]string{"key", o.Key})
		}
		return process.New(opts, a.input(sc, profile, lookup, meta))
	}
}
