package s3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/klauspost/compress/gzip"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/parsers/cloudtrail"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/vpcflow"
	"github.com/corral-logs/corral/pipeline"
)

// errObjectTooLarge marks an object whose decompressed size passed
// MaxObjectBytes.
var errObjectTooLarge = errors.New("decompressed object too large")

// end is the position a job's tracker reaches once every event of the job
// was delivered.
var end = pipeline.Position{Cursor: "end"}

// process reads the objects of one job. Once every event was delivered,
// the job is committed (its message deleted, its key remembered); if an
// object fails, the job is given up and its message left to return to the
// queue.
//
// Limitation: events read before an object fails (a gzip stream cut short
// after many records, say) are shipped, and shipped again if a retry of
// the message gets further; an object is streamed, so they cannot be held
// back until its end.
func (s *Source) process(ctx context.Context, j *job) {
	tr := pipeline.NewTracker(pipeline.Position{})
	tr.OnCommit(func(p pipeline.Position) {
		if p == end {
			s.committed(j)
		}
	})
	run := &objectRun{src: s, tracker: tr}
	for _, obj := range j.objects {
		if reason := s.skipReason(obj.Key); reason != "" {
			s.Stats.ObjectsSkipped.Add(1)
			s.log.Debug("key skipped: "+reason, zap.String("bucket", obj.Bucket), zap.String("key", obj.Key))
			continue
		}
		err := run.read(ctx, obj)
		s.Stats.Bytes.Add(run.bytes)
		if err != nil {
			if ctx.Err() != nil {
				return // stopping: the job stays in flight for Commit
			}
			s.Stats.ObjectsFailed.Add(1)
			s.fail(j, obj, err)
			return
		}
		s.Stats.ObjectsRead.Add(1)
		j.events += run.events
		s.log.Debug("object read", zap.String("bucket", obj.Bucket), zap.String("key", obj.Key),
			zap.Int64("events", run.events), zap.Int64("bytes", run.bytes))
	}
	tr.Advance(end)
}

// fail gives up a job whose object could not be read: its message returns
// to the queue when its visibility timeout ends, and the queue's redrive
// policy moves it to the dead-letter queue after enough tries.
func (s *Source) fail(j *job, obj Object, err error) {
	if s.firstTime("object " + obj.Bucket + "/" + obj.Key) {
		what := "object unreadable, leaving its message for the dead-letter queue"
		if s.poll != nil {
			what = "object unreadable"
		}
		s.log.Error(what, zap.String("bucket", obj.Bucket), zap.String("key", obj.Key), zap.Error(err))
	}
	if s.poll != nil {
		s.poll.markFailed(j.key, j.mod)
	}
	s.release(j)
}

// skipReason says why a key is not read, or "" to read it.
func (s *Source) skipReason(key string) string {
	if strings.HasSuffix(key, "/") {
		return "folder"
	}
	if s.opts.Format != CloudTrail {
		return ""
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "CloudTrail-Digest":
			return "CloudTrail digest"
		case seg == "CloudTrail-Insight" && !s.opts.Insights:
			return "CloudTrail Insights"
		}
	}
	if !strings.HasSuffix(key, ".json.gz") && !strings.HasSuffix(key, ".json") {
		return "not a CloudTrail log file"
	}
	return ""
}

// objectRun reads the objects of one job, one after the other, into
// groups tracked by the job's tracker.
type objectRun struct {
	src     *Source
	tracker *pipeline.Tracker
	pos     int64 // positions handed to the tracker so far
	group   pipeline.Group
	rec     record.Record
	clean   []byte // a message made valid UTF-8

	// Of the current object:
	proc      Processor
	readTime  int64
	events    int64
	bytes     int64
	submitErr error
}

// read reads one object to its end and submits its events.
func (r *objectRun) read(ctx context.Context, obj Object) error {
	s := r.src
	r.events, r.bytes, r.submitErr = 0, 0, nil
	if s.opts.Format == VPCFlow && strings.HasSuffix(obj.Key, ".parquet") {
		// Limitation: no Parquet reader is built in; such objects go to
		// the dead-letter queue with this reason.
		return errors.New("flow logs in Parquet are not supported; deliver them as plain text")
	}
	body, err := s.get(ctx, obj)
	if err != nil {
		return err
	}
	defer body.Close()

	// Gzip is told by its first bytes, not by the name: an object named
	// .gz may be plain text.
	br := bufio.NewReaderSize(body, 64<<10)
	var in io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read gzip header: %w", err)
		}
		defer gz.Close()
		in = gz
	} else if err != nil && err != io.EOF {
		return fmt.Errorf("read object: %w", err)
	}
	capped := &capReader{r: in, max: s.opts.MaxObjectBytes, n: &r.bytes}

	r.proc = s.opts.NewProcessor(obj)
	r.readTime = s.opts.Now().UnixMilli()
	switch s.opts.Format {
	case CloudTrail:
		err = r.cloudTrail(ctx, capped)
	case VPCFlow:
		err = r.vpcFlow(ctx, capped)
	default:
		err = r.lines(ctx, capped)
	}
	if err == nil {
		err = r.submitErr
	}
	if err != nil {
		return err
	}
	r.proc.Flush(r.readTime, &r.group)
	return r.submit(ctx)
}

// get fetches an object, trying its decoded key when the key as the
// notification gave it does not exist.
func (s *Source) get(ctx context.Context, obj Object) (io.ReadCloser, error) {
	out, err := s.s3.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)})
	var missing *s3types.NoSuchKey
	if errors.As(err, &missing) && obj.altKey != "" {
		out, err = s.s3.GetObject(ctx, &awss3.GetObjectInput{
			Bucket: aws.String(obj.Bucket), Key: aws.String(obj.altKey),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	return out.Body, nil
}

// cloudTrail reads a CloudTrail log file record by record.
func (r *objectRun) cloudTrail(ctx context.Context, in io.Reader) error {
	rd := cloudtrail.NewReader(in)
	rd.SetMaxRecordBytes(r.src.opts.MaxEventBytes)
	for {
		msg, err := rd.Next(&r.rec)
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, cloudtrail.ErrTooLarge):
			r.src.Stats.Oversize.Add(1)
			continue
		case err != nil:
			return fmt.Errorf("read CloudTrail file: %w", err)
		}
		if err := r.record(ctx, msg); err != nil {
			return err
		}
	}
}

// vpcFlow reads a flow log file line by line.
func (r *objectRun) vpcFlow(ctx context.Context, in io.Reader) error {
	rd := vpcflow.NewReader(in)
	rd.SetMaxLineBytes(r.src.opts.MaxEventBytes)
	for {
		line, res, err := rd.Next(&r.rec)
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, vpcflow.ErrTooLarge):
			r.src.Stats.Oversize.Add(1)
			continue
		case err != nil:
			return fmt.Errorf("read flow log file: %w", err)
		}
		if res == record.Failed {
			r.src.Stats.ParseFailed.Add(1)
		}
		if err := r.record(ctx, line); err != nil {
			return err
		}
	}
}

// lines reads an object as lines, framed as files are.
func (r *objectRun) lines(ctx context.Context, in io.Reader) error {
	o := &r.src.opts
	l := frame.NewLines(0, o.MaxEventBytes, o.Oversize)
	l.SetMarkers(!o.NoMarkers)
	emit := func(msg []byte, _ int64) {
		if r.submitErr != nil {
			return
		}
		r.proc.Line(msg, r.readTime, &r.group)
		r.events++
		r.submitErr = r.maybeSubmit(ctx)
	}
	skip := func(int64) {}
	defer func() {
		st := &r.src.Stats
		st.Empty.Add(l.Counts.Empty)
		st.Split.Add(l.Counts.Split)
		st.Truncated.Add(l.Counts.Truncated)
		st.Replaced.Add(l.Counts.Replaced)
		st.Records.Add(r.events)
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := in.Read(buf)
		l.Feed(buf[:n], emit, skip)
		if r.submitErr != nil {
			return r.submitErr
		}
		if err == io.EOF {
			l.Flush(emit, skip)
			return r.submitErr
		}
		if err != nil {
			return fmt.Errorf("read object: %w", err)
		}
	}
}

// record hands a parsed record, msg its text, to processing.
func (r *objectRun) record(ctx context.Context, msg []byte) error {
	if !utf8.Valid(msg) || bytes.IndexByte(msg, 0) >= 0 {
		r.clean = appendClean(r.clean[:0], msg)
		msg = r.clean
		r.src.Stats.Replaced.Add(1)
	}
	r.proc.Record(&r.rec, msg, r.readTime, &r.group)
	r.events++
	r.src.Stats.Records.Add(1)
	return r.maybeSubmit(ctx)
}

// maybeSubmit submits the group once it holds enough.
func (r *objectRun) maybeSubmit(ctx context.Context) error {
	if r.group.Bytes() < r.src.opts.GroupBytes && r.group.Len() < groupEvents {
		return nil
	}
	return r.submit(ctx)
}

// submit tracks the group's blocks and hands them to the pipeline.
func (r *objectRun) submit(ctx context.Context) error {
	if r.group.Len() == 0 {
		return nil
	}
	from := pipeline.Position{Offset: r.pos}
	r.pos++
	r.group.Track(r.tracker, from, pipeline.Position{Offset: r.pos})
	blocks := r.group.Blocks()
	defer r.group.Reset()
	for _, b := range blocks {
		if err := r.src.opts.Pipeline.Submit(ctx, b); err != nil {
			return fmt.Errorf("submit: %w", err)
		}
	}
	return nil
}

// appendClean appends msg with invalid UTF-8 and NUL bytes replaced by
// U+FFFD.
func appendClean(dst, msg []byte) []byte {
	for len(msg) > 0 {
		c, n := utf8.DecodeRune(msg)
		if c == 0 || (c == utf8.RuneError && n == 1) {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, msg[:n]...)
		}
		msg = msg[n:]
	}
	return dst
}

// capReader fails once more than max bytes were read through it, and
// counts them in n.
type capReader struct {
	r   io.Reader
	max int64
	n   *int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	if *c.n > c.max {
		return 0, fmt.Errorf("%w: over %d bytes", errObjectTooLarge, c.max)
	}
	return n, err
}
