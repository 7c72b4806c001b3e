package doctor

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Clock offsets against AWS. SigV4 refuses a request signed more than
// 5 minutes away from the service's time (Signature Version 4 signing
// reference: "the request time ... within 5 minutes").
const (
	maxClockOffset  = 5 * time.Minute
	warnClockOffset = time.Minute
)

// clockRecorder keeps the Date header of the last AWS response, and the
// local time it arrived.
type clockRecorder struct {
	mu      sync.Mutex // guards the fields below
	date    time.Time
	at      time.Time
	service string
}

// apiOptions returns the SDK stack option that records the Date header
// of every response, error responses included, with now as the local
// clock.
func (c *clockRecorder) apiOptions(now func() time.Time) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		// Added last in the deserialize step, it sees the raw response of
		// each attempt before the operation decodes it.
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("corralDoctorDate",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
				middleware.DeserializeOutput, middleware.Metadata, error,
			) {
				out, md, err := next.HandleDeserialize(ctx, in)
				// Only the services' answers: the credential chain's
				// calls to instance metadata share this stack.
				service := awsmiddleware.GetServiceID(ctx)
				resp, ok := out.RawResponse.(*smithyhttp.Response)
				if ok && (service == sts.ServiceID || service == cloudwatchlogs.ServiceID) {
					c.record(resp.Header.Get("Date"), now(), service)
				}
				return out, md, err
			}), middleware.After)
	}
}

func (c *clockRecorder) record(header string, at time.Time, service string) {
	date, err := http.ParseTime(header)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.date, c.at, c.service = date, at, service
}

// offset returns how far AWS's clock is ahead of ours, and the service
// that told; ok is false before any response. The Date header counts
// whole seconds, so the offset is centred in its second.
func (c *clockRecorder) offset() (off time.Duration, service string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.date.IsZero() {
		return 0, "", false
	}
	return c.date.Add(500 * time.Millisecond).Sub(c.at), c.service, true
}

// checkClock compares the local clock with the Date header of an AWS
// response: one the earlier checks got, or else that of an unsigned
// request to STS, which every endpoint answers, if only to refuse it.
func (r *run) checkClock(ctx context.Context) {
	if _, _, ok := r.aws.clock.offset(); !ok && r.aws.loaded {
		ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
		_, _ = sts.NewFromConfig(r.aws.base, func(o *sts.Options) {
			o.Credentials = aws.AnonymousCredentials{}
		}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	off, service, ok := r.aws.clock.offset()
	if !ok {
		r.add(Result{Name: "clock", Status: Skip,
			Detail: "not checked: no answer from AWS to compare with"})
		return
	}
	r.add(clockResult(off, service))
}

// clockResult judges an offset of AWS's clock against ours.
func clockResult(off time.Duration, service string) Result {
	abs := off.Abs().Round(time.Second)
	var detail string
	switch {
	case abs == 0:
		detail = "within 1s of AWS"
	case off > 0:
		detail = fmt.Sprintf("%v behind AWS", abs)
	default:
		detail = fmt.Sprintf("%v ahead of AWS", abs)
	}
	detail += fmt.Sprintf(" (Date header of %s)", service)
	const sync = "sync the clock with NTP (chrony or systemd-timesyncd; " +
		"on EC2 the Amazon Time Sync Service, 169.254.169.123)"
	switch {
	case abs > maxClockOffset:
		return Result{Name: "clock", Status: Fail, Detail: detail,
			Advice: "AWS refuses requests signed more than 5 minutes off: " + sync}
	case abs > warnClockOffset:
		return Result{Name: "clock", Status: Warn, Detail: detail,
			Advice: sync + " before it drifts past 5 minutes, where AWS refuses requests"}
	}
	return Result{Name: "clock", Status: OK, Detail: detail}
}
