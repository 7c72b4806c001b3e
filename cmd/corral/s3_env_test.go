package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/corral-logs/corral/internal/cwltest"
	"github.com/corral-logs/corral/internal/motoserver"
)

// s3Account is the logs account's S3 and SQS in moto, as the test sets
// them up: the account that holds the trail and flow log buckets and the
// queues, as deploy/terraform makes them.
type s3Account struct {
	t    *testing.T
	moto *motoserver.Server
	s3   *awss3.Client
	sqs  *sqs.Client
}

// newS3Account makes clients that act as account through an access key of
// an IAM user there: moto maps the key to its account, as it maps the keys
// of the role corral assumes.
func newS3Account(t *testing.T, moto *motoserver.Server, account string) *s3Account {
	t.Helper()
	id, secret, err := moto.CreateAccessKey(context.Background(), account, "s3-test-setup")
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{Proxy: nil} // loopback only, whatever HTTP_PROXY says
	t.Cleanup(transport.CloseIdleConnections)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(moto.URL),
		HTTPClient:   &http.Client{Transport: transport},
	}
	return &s3Account{
		t: t, moto: moto,
		s3: awss3.NewFromConfig(cfg, func(o *awss3.Options) {
			o.UsePathStyle = true
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
		sqs: sqs.NewFromConfig(cfg),
	}
}

func (a *s3Account) bucket(name string) {
	a.t.Helper()
	_, err := a.s3.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		a.t.Fatalf("create bucket %s: %v", name, err)
	}
}

func (a *s3Account) put(bucket, key string, data []byte) {
	a.t.Helper()
	_, err := a.s3.PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		a.t.Fatalf("put %s: %v", key, err)
	}
}

// queue makes a queue whose messages move to a dead-letter queue after
// maxReceive receives, and returns both URLs.
func (a *s3Account) queue(name string, maxReceive int) (queue, dlq string) {
	a.t.Helper()
	ctx := context.Background()
	d, err := a.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		a.t.Fatal(err)
	}
	attrs, err := a.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       d.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		a.t.Fatal(err)
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
		attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], maxReceive)
	q, err := a.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameRedrivePolicy): policy},
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl), aws.ToString(d.QueueUrl)
}

func (a *s3Account) send(queue, body string) {
	a.t.Helper()
	_, err := a.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(queue), MessageBody: aws.String(body),
	})
	if err != nil {
		a.t.Fatalf("send: %v", err)
	}
}

// notify sends a direct S3 notification of an object created under key;
// the keys of these tests need no encoding.
func (a *s3Account) notify(queue, bucket, key string) {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": key, "size": 1},
		},
	}}})
	if err != nil {
		a.t.Fatal(err)
	}
	a.send(queue, string(body))
}

// depth returns the visible and in-flight messages of a queue.
func (a *s3Account) depth(queue string) (visible, inFlight int) {
	a.t.Helper()
	out, err := a.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		a.t.Fatal(err)
	}
	count := func(name sqstypes.QueueAttributeName) int {
		n, _ := strconv.Atoi(out.Attributes[string(name)])
		return n
	}
	return count(sqstypes.QueueAttributeNameApproximateNumberOfMessages),
		count(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
}

// settled reports whether a queue is empty and its dead-letter queue
// holds dead messages, and describes both.
func (a *s3Account) settled(queue, dlq string, dead int) (bool, string) {
	v, n := a.depth(queue)
	d, _ := a.depth(dlq)
	desc := fmt.Sprintf("queue %d visible, %d in flight; dead-letter queue %d", v, n, d)
	return v+n == 0 && d == dead, desc
}

// awaitQueues waits until a queue is empty and its dead-letter queue
// holds dead messages. corral deletes a message only once CloudWatch
// accepted every event of its objects, so by then every stream of want
// must be complete: one read checks it. Only the queues are polled:
// reading thousands of events every 50 ms loads moto enough to delay
// corral's extensions of a 5 s visibility timeout.
func awaitQueues(
	t *testing.T, a *s3Account, queue, dlq string, dead int, cw *cloudwatchlogs.Client, want map[stream][]cwEvent,
) {
	t.Helper()
	var desc string
	waitUntil(t, 60*time.Second, func() bool {
		var ok bool
		ok, desc = a.settled(queue, dlq, dead)
		return ok
	}, func() string {
		got := map[stream][]cwEvent{}
		arrived(context.Background(), cw, want, got)
		return desc + "; " + eventCounts(want, got)
	})
	got := map[stream][]cwEvent{}
	if !arrived(context.Background(), cw, want, got) {
		t.Errorf("messages deleted before every event arrived: %s", eventCounts(want, got))
	}
}

// bodies receives the visible messages of a queue (at most 10) and
// returns their bodies.
func (a *s3Account) bodies(queue string) []string {
	a.t.Helper()
	out, err := a.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, VisibilityTimeout: 30,
	})
	if err != nil {
		a.t.Fatal(err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	return bodies
}

// s3Config is corral's configuration for one s3 source, assuming the
// shipper role in the logs account through endpoint.
func s3Config(t *testing.T, endpoint, extra, source string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`state_dir: %s
log:
  level: debug
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: %s
    external_id: corral-e2e
cloudwatch:
  flush_interval: 200ms
%ssources:
%s`, t.TempDir(), endpoint, shipperRole, extra, source))
}

// runS3 starts corral with one s3 source, as an identity of the workload
// account.
func runS3(t *testing.T, moto *motoserver.Server, endpoint, extra, source string) *process {
	t.Helper()
	return startCorral(t, workloadEnv(t, moto), "run", "--config", s3Config(t, endpoint, extra, source))
}

// workloadEnv returns the environment of a corral whose own identity is
// an IAM user of the workload account.
func workloadEnv(t *testing.T, moto *motoserver.Server) []string {
	t.Helper()
	id, secret, err := moto.CreateAccessKey(context.Background(), workloadAccount, "corral-host")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret}
}

// validatingProxy puts the validating fake in front of moto: it checks
// every CloudWatch Logs request and passes the other services through. It
// records rather than fails, because a Server from cwltest.New fails the
// test when a client hangs up on a request it passes through, as corral
// does to its SQS long poll when it stops; refusals shows the rest.
func validatingProxy(t *testing.T, moto *motoserver.Server) *cwltest.Server {
	t.Helper()
	proxy, err := cwltest.Start(cwltest.Options{Upstream: moto.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	return proxy
}

// refusals returns what the fake would refuse or could not forward, but a
// request of another service whose client hung up.
func refusals(proxy *cwltest.Server) []string {
	var out []string
	for _, v := range proxy.Violations() {
		if strings.HasPrefix(v, "cwltest: forward  to ") && strings.HasSuffix(v, "context canceled") {
			continue
		}
		out = append(out, v)
	}
	return out
}

// logEntry is one line of corral's JSON log.
type logEntry struct {
	Time   string `json:"time"`
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Key    string `json:"key"`
	Events int64  `json:"events"`
}

// logEntries returns the lines of corral's log with message msg.
func logEntries(output, msg string) []logEntry {
	var out []logEntry
	for line := range strings.SplitSeq(output, "\n") {
		var e logEntry
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == msg {
			out = append(out, e)
		}
	}
	return out
}

// objectsRead counts the "object read" debug lines of corral's log by key.
func objectsRead(output string) map[string]int {
	reads := map[string]int{}
	for _, e := range logEntries(output, "object read") {
		reads[e.Key]++
	}
	return reads
}

// awaitStarted waits until corral's s3 source logged its start.
func awaitStarted(t *testing.T, p *process) {
	t.Helper()
	started := func() bool { return len(logEntries(p.output(), "s3 source started")) > 0 }
	waitUntil(t, 20*time.Second, started, func() string { return "no \"s3 source started\" line" })
}

// stopAll sends SIGTERM to every process at once, then waits for each and
// fails the test unless it exits with 0.
func stopAll(t *testing.T, procs ...*process) {
	t.Helper()
	for _, p := range procs {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		if code := p.wait(15 * time.Second); code != 0 {
			t.Errorf("corral %d: exit code after SIGTERM = %d, want 0", i, code)
		}
	}
}

// Messages of corral's log that the tests look for.
const (
	logUnreadable = "object unreadable, leaving its message for the dead-letter queue"
	logTestEvent  = "s3 test event received; the queue is connected"
)
