package motoserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// installHint says how to get moto_server where it is missing.
const installHint = "moto_server not found: `make test` installs moto[server] into .venv, " +
	"or run `pip install 'moto[server]'`"

// StartT starts a server for a test and closes it in t.Cleanup. Without moto
// installed it fails the test when the environment has CI=true, and skips it
// otherwise.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background())
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatal(installHint)
		}
		t.Skip(installHint)
	}
	if err != nil {
		t.Fatalf("start moto: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close moto: %v", err)
		}
	})
	return s
}

// dummyCredentials are accepted by moto, which checks no signature; an access
// key unknown to moto's IAM leaves the account to the account header.
var dummyCredentials = credentials.NewStaticCredentialsProvider(
	"AKIAMOTOSERVERTEST", "dummy-secret", "")

// CreateAccessKey creates IAM user user in account and an access key for it,
// and returns the key. Only this setup request names the account (with the
// x-moto-account-id header); moto later maps the key itself to the account.
// An existing user gets one more key.
func (s *Server) CreateAccessKey(
	ctx context.Context, account, user string,
) (id, secret string, err error) {
	client := iam.New(iam.Options{
		Region:       region,
		Credentials:  dummyCredentials,
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.client,
		APIOptions:   []func(*middleware.Stack) error{addHeader(accountHeader, account)},
	})
	_, err = client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return "", "", fmt.Errorf("create user %s in %s: %w", user, account, err)
	}
	out, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return "", "", fmt.Errorf("create access key for %s in %s: %w", user, account, err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey), nil
}

// LogsClient returns a CloudWatch Logs client for the server that reads and
// writes as account: every request carries x-moto-account-id, which moto
// prefers to any access key. Use it to inspect an account, never as corral's
// own client.
func (s *Server) LogsClient(account string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       region,
		Credentials:  dummyCredentials,
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.client,
		APIOptions:   []func(*middleware.Stack) error{addHeader(accountHeader, account)},
	})
}

// addHeader returns an SDK stack option that sets header name on every
// request before it is signed.
func addHeader(name, value string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("motoserver."+name,
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
				middleware.BuildOutput, middleware.Metadata, error,
			) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set(name, value)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}

// AllEvents returns the messages of every event in a stream, oldest first,
// reading from the head and following nextForwardToken until it repeats.
func AllEvents(
	ctx context.Context, client *cloudwatchlogs.Client, group, stream string,
) ([]string, error) {
	var (
		msgs  []string
		token *string
	)
	for {
		out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(stream),
			StartFromHead: aws.Bool(true),
			NextToken:     token,
		})
		if err != nil {
			return nil, fmt.Errorf("get log events of %s/%s: %w", group, stream, err)
		}
		for _, ev := range out.Events {
			msgs = append(msgs, aws.ToString(ev.Message))
		}
		next := out.NextForwardToken
		if next == nil || (token != nil && *next == *token) {
			return msgs, nil
		}
		token = next
	}
}

// ListGroups returns the names of every log group the client's account holds.
func ListGroups(ctx context.Context, client *cloudwatchlogs.Client) ([]string, error) {
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe log groups: %w", err)
		}
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	return names, nil
}
