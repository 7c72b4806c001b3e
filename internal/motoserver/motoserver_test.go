package motoserver

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	sourceAccount = "111111111111"
	logsAccount   = "222222222222"
)

// TestAssumedRoleWritesToLogsAccount proves the mechanism corral relies on:
// base keys of the source account, an AssumeRole into the logs account, and
// the events land in the logs account only.
func TestAssumedRoleWritesToLogsAccount(t *testing.T) {
	t.Parallel()
	s := StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Base credentials: a user and access key in the source account.
	id, secret, err := s.CreateAccessKey(ctx, sourceAccount, "corral-agent")
	if err != nil {
		t.Fatal(err)
	}

	// corral's own clients: STS with the base keys, Logs with the assumed
	// role's keys, and no account header anywhere.
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport}
	stsClient := sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   httpClient,
	})
	role := stscreds.NewAssumeRoleProvider(stsClient, "arn:aws:iam::"+logsAccount+":role/x",
		func(o *stscreds.AssumeRoleOptions) {
			o.ExternalID = aws.String("corral-test-external-id")
			o.RoleSessionName = "corral-test"
		})
	logs := cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		Credentials:  aws.NewCredentialsCache(role),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   httpClient,
	})

	// Write one group, stream and two events as the assumed role.
	const group, stream = "/corral/test", "host-1"
	createStream(t, logs, group, stream)
	now := time.Now().UnixMilli()
	_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		LogEvents: []types.InputLogEvent{
			{Timestamp: aws.Int64(now), Message: aws.String("one")},
			{Timestamp: aws.Int64(now + 1), Message: aws.String("two")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	// The logs account holds the group and its events.
	inLogs := s.LogsClient(logsAccount)
	groups, err := ListGroups(ctx, inLogs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{group}, groups); diff != "" {
		t.Errorf("groups in %s (-want +got):\n%s", logsAccount, diff)
	}
	events, err := AllEvents(ctx, inLogs, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one", "two"}, events); diff != "" {
		t.Errorf("events in %s (-want +got):\n%s", logsAccount, diff)
	}

	// The source account, and moto's default account, hold nothing.
	for _, account := range []string{sourceAccount, "123456789012"} {
		groups, err := ListGroups(ctx, s.LogsClient(account))
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 0 {
			t.Errorf("groups in %s = %q, want none", account, groups)
		}
	}
}

// createStream creates a group and a stream in it, failing the test on error.
func createStream(t *testing.T, logs *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	ctx := context.Background()
	_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{
		LogGroupName: aws.String(group),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAllEventsFollowsTokens(t *testing.T) {
	t.Parallel()
	s := StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logs := s.LogsClient(logsAccount)

	const group, stream = "g", "s"
	createStream(t, logs, group, stream)

	// More events than one GetLogEvents page holds (10,000 in moto).
	var want []string
	now := time.Now().UnixMilli()
	for batch := range 3 {
		var evs []types.InputLogEvent
		for i := range 5000 {
			msg := "m" + strconv.Itoa(batch*5000+i)
			want = append(want, msg)
			evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(msg)})
		}
		_, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := AllEvents(ctx, logs, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("AllEvents returned %d events, want %d in order", len(got), len(want))
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s := StartT(t)
	ctx := context.Background()
	logs := s.LogsClient(logsAccount)
	createStream(t, logs, "g", "s")
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	groups, err := ListGroups(ctx, logs)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 0 {
		t.Errorf("groups after Reset = %q, want none", groups)
	}
}

func TestCloseEndsServer(t *testing.T) {
	t.Parallel()
	s := StartT(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	resp, err := http.Get(s.URL + "/moto-api/")
	if err == nil {
		resp.Body.Close()
		t.Errorf("GET after Close answered %s, want a refused connection", resp.Status)
	}
}

func TestStartWithoutBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Chdir(t.TempDir()) // no go.mod above, so no .venv either
	if _, err := Start(context.Background()); err != ErrNotInstalled {
		t.Errorf("Start without moto_server: err = %v, want ErrNotInstalled", err)
	}
}
