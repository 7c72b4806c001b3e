package cwltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testKeyID is the access key id of every test client.
const testKeyID = "AKIDCWLTESTCLIENT"

// clock is the service clock of tests that need a fixed one.
var clock = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return clock }

// newClient returns an SDK client for url with retries off, signing with
// testKeyID.
func newClient(t testing.TB, url string) *cloudwatchlogs.Client {
	t.Helper()
	return newKeyClient(t, url, testKeyID, "secret")
}

// newKeyClient returns an SDK client for url with retries off, signing with
// the given key.
func newKeyClient(t testing.TB, url, id, secret string) *cloudwatchlogs.Client {
	t.Helper()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   &http.Client{Transport: transport},
		Retryer:      aws.NopRetryer{},
	})
}

// mustCreate creates a group and a stream in it, failing the test on error.
func mustCreate(t testing.TB, c *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	if err := createGroup(c, group); err != nil {
		t.Fatalf("create group %q: %v", group, err)
	}
	if err := createStream(c, group, stream); err != nil {
		t.Fatalf("create stream %q: %v", stream, err)
	}
}

func createGroup(c *cloudwatchlogs.Client, group string) error {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}
	_, err := c.CreateLogGroup(context.Background(), in)
	return err
}

func createStream(c *cloudwatchlogs.Client, group, stream string) error {
	_, err := c.CreateLogStream(context.Background(), &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
	})
	return err
}

func put(c *cloudwatchlogs.Client, group, stream string, evs ...types.InputLogEvent) (
	*cloudwatchlogs.PutLogEventsOutput, error,
) {
	return c.PutLogEvents(context.Background(), putInput(group, stream, evs))
}

func putInput(group, stream string, evs []types.InputLogEvent) *cloudwatchlogs.PutLogEventsInput {
	return &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs,
	}
}

// event returns an input event at ms with message msg.
func event(ms int64, msg string) types.InputLogEvent {
	return types.InputLogEvent{Timestamp: aws.Int64(ms), Message: aws.String(msg)}
}

// events returns n events at ms, each with a message of size bytes of s
// repeated (s is one character).
func events(n int, ms int64, s string, size int) []types.InputLogEvent {
	msg := strings.Repeat(s, size/len(s))
	evs := make([]types.InputLogEvent, n)
	for i := range evs {
		evs[i] = event(ms, msg)
	}
	return evs
}

// errorCode returns the API error code of err, "" for nil, or "not an API
// error" for a transport failure.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return "not an API error"
}

// httpStatus returns the HTTP status carried by err, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// sameInfo compares rejectedLogEventsInfo values.
var sameInfo = cmp.AllowUnexported(types.RejectedLogEventsInfo{})

// gzipped returns s compressed.
func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// post sends a raw request for op to url and returns the status and body.
func post(t testing.TB, url, op string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKeyID+
		"/20260320/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=00")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// errorRecorder is a testing.TB that collects Errorf calls instead of
// failing, for tests of the fake's own failure reports.
type errorRecorder struct {
	testing.TB

	mu   sync.Mutex // guards errs
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}
