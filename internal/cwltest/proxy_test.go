package cwltest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/motoserver"
)

// motoAccount is the account of the key the proxy tests sign with. moto
// files each request under the account of its signing key, so events found
// there prove the Authorization header went upstream unchanged.
const motoAccount = "333333333333"

// TestProxyToMoto shares one moto between subtests, each on its own group.
func TestProxyToMoto(t *testing.T) {
	t.Parallel()
	moto := motoserver.StartT(t)
	ctx := context.Background()
	id, secret, err := moto.CreateAccessKey(ctx, motoAccount, "proxy-test")
	if err != nil {
		t.Fatal(err)
	}
	s := New(t, Options{Upstream: moto.URL, AllowInvalid: true})
	c := newKeyClient(t, s.URL(), id, secret)
	inMoto := func(t *testing.T, group string) []string {
		t.Helper()
		msgs, err := motoserver.AllEvents(ctx, moto.LogsClient(motoAccount), group, "s")
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	now := time.Now().UnixMilli()

	t.Run("valid lands, invalid never reaches moto", func(t *testing.T) {
		mustCreate(t, c, "valid", "s")
		if _, err := put(c, "valid", "s", event(now, "one"), event(now, "two")); err != nil {
			t.Fatal(err)
		}
		before := len(s.Violations())
		_, err := put(c, "valid", "s", event(now, "three"), event(now, ""))
		if errorCode(err) != errInvalidParameter {
			t.Errorf("empty message: %v, want %s", err, errInvalidParameter)
		}
		_, err = put(c, "valid", "s", event(now, "late"), event(now-1, "early"))
		if errorCode(err) != errInvalidParameter {
			t.Errorf("unordered: %v, want %s", err, errInvalidParameter)
		}
		if diff := cmp.Diff([]string{"one", "two"}, inMoto(t, "valid")); diff != "" {
			t.Errorf("events in moto (-want +got):\n%s", diff)
		}
		if v := s.Violations()[before:]; len(v) != 2 {
			t.Errorf("violations = %q, want 2", v)
		}
		if _, err := put(c, "valid", "none", event(now, "x")); errorCode(err) != errNotFound {
			t.Errorf("missing stream, as moto answers: %v, want %s", err, errNotFound)
		}
	})

	t.Run("gzip body", func(t *testing.T) {
		mustCreate(t, c, "zipped", "s")
		body := gzipped(`{"logGroupName":"zipped","logStreamName":"s","logEvents":[` +
			`{"timestamp":` + jsonInt(now) + `,"message":"zipped"}]}`)
		auth := "AWS4-HMAC-SHA256 Credential=" + id + "/20260320/us-east-1/logs/aws4_request, " +
			"SignedHeaders=host, Signature=00"
		header := map[string]string{"Content-Encoding": "gzip", "Authorization": auth}
		if status, answer := post(t, s.URL(), "PutLogEvents", body, header); status != 200 {
			t.Errorf("status %d: %s", status, answer)
		}
		if diff := cmp.Diff([]string{"zipped"}, inMoto(t, "zipped")); diff != "" {
			t.Errorf("events in moto (-want +got):\n%s", diff)
		}
	})

	// moto drops events outside the window, and the answer carries the
	// service's indices, not moto's (which would be 0 and 3).
	t.Run("rejected events", func(t *testing.T) {
		mustCreate(t, c, "window", "s")
		old := time.Now().Add(-15 * 24 * time.Hour).UnixMilli()
		ahead := time.Now().Add(3 * time.Hour).UnixMilli()
		out, err := put(c, "window", "s",
			event(old, "old"), event(now, "ok"), event(ahead, "new-1"), event(ahead, "new-2"))
		if err != nil {
			t.Fatal(err)
		}
		want := &types.RejectedLogEventsInfo{
			TooOldLogEventEndIndex: aws.Int32(1), TooNewLogEventStartIndex: aws.Int32(2),
		}
		if diff := cmp.Diff(want, out.RejectedLogEventsInfo, sameInfo); diff != "" {
			t.Errorf("rejectedLogEventsInfo (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"ok"}, inMoto(t, "window")); diff != "" {
			t.Errorf("events in moto (-want +got):\n%s", diff)
		}
		if n, _ := s.Count("window", "s"); n != 1 {
			t.Errorf("Count = %d, want 1", n)
		}
	})

	t.Run("DeleteGroup", func(t *testing.T) {
		mustCreate(t, c, "doomed", "s")
		s.DeleteGroup("doomed")
		groups, err := motoserver.ListGroups(ctx, moto.LogsClient(motoAccount))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if g == "doomed" {
				t.Errorf("groups in moto after DeleteGroup = %q", groups)
			}
		}
	})

	for _, r := range s.Requests() {
		if r.AccessKeyID != id {
			t.Errorf("request recorded access key %q, want %q", r.AccessKeyID, id)
		}
	}
}

// TestOtherServicesGoToMoto: with OtherServices, a request of another
// service (here STS) reaches moto, while CloudWatch Logs stays in the fake.
func TestOtherServicesGoToMoto(t *testing.T) {
	t.Parallel()
	moto := motoserver.StartT(t)
	s := New(t, Options{OtherServices: moto.URL, Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", event(clock.UnixMilli(), "kept here")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Event{{clock.UnixMilli(), "kept here"}}, s.Events("g", "s")); diff != "" {
		t.Errorf("events in the fake (-want +got):\n%s", diff)
	}
	if groups, err := motoserver.ListGroups(context.Background(), moto.LogsClient(motoAccount)); err != nil || len(groups) != 0 {
		t.Errorf("groups in moto: %q, %v; want none", groups, err)
	}

	stsClient := sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, "secret", ""),
		BaseEndpoint: aws.String(s.URL()),
	})
	out, err := stsClient.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("STS through the fake: %v", err)
	}
	if aws.ToString(out.Account) == "" {
		t.Error("moto's answer has no account")
	}
}
