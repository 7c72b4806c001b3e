package cloudwatch

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap/zaptest"

	"github.com/corral-logs/corral/internal/motoserver"
	"github.com/corral-logs/corral/pipeline"
)

// motoAccount is the account moto serves requests signed with an access
// key it does not know.
const motoAccount = "123456789012"

func motoSink(t *testing.T, moto *motoserver.Server, g GroupSettings) *Sink {
	t.Helper()
	s, err := New(context.Background(), Options{
		AWS: aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		},
		Endpoint: moto.URL,
		Group:    g,
		Log:      zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func describeGroup(t *testing.T, moto *motoserver.Server, name string) (retention int32, kms, class string, tags map[string]string) {
	t.Helper()
	ctx := context.Background()
	logs := moto.LogsClient(motoAccount)
	out, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("describe %s: %v (%d groups)", name, err, len(out.LogGroups))
	}
	g := out.LogGroups[0]
	tagsOut, err := logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{
		ResourceArn: aws.String(*g.LogGroupArn)})
	if err == nil {
		tags = tagsOut.Tags
	}
	return aws.ToInt32(g.RetentionInDays), aws.ToString(g.KmsKeyId), string(g.LogGroupClass), tags
}

func TestCreatedGroupsGetTheirSettings(t *testing.T) {
	moto := motoserver.StartT(t)
	key := "arn:aws:kms:us-east-1:" + motoAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s := motoSink(t, moto, GroupSettings{RetentionDays: 30, KMSKeyID: key, Class: "INFREQUENT_ACCESS",
		Tags: map[string]string{"team": "platform"}})
	d := pipeline.Dest{Group: "/corral/settings", Stream: "s"}
	r := request(time.Now().UnixMilli(), "hello")
	r.Dest = d
	r.Parts[0].Block.Dest = d
	send(t, s, r)

	// moto 5.2.1 keeps no log group class; TestCreateGroupInput checks it.
	retention, kms, _, tags := describeGroup(t, moto, d.Group)
	if retention != 30 || kms != key || tags["team"] != "platform" {
		t.Errorf("group settings = retention %d, kms %q, tags %v; want 30, %q, team=platform",
			retention, kms, tags, key)
	}
}

func TestCreateGroupInput(t *testing.T) {
	in := CreateGroupInput("/g", GroupSettings{Class: "INFREQUENT_ACCESS", DeletionProtection: true})
	if in.LogGroupClass != "INFREQUENT_ACCESS" || !aws.ToBool(in.DeletionProtectionEnabled) || in.KmsKeyId != nil {
		t.Errorf("input = class %q, deletion protection %v, kms %v", in.LogGroupClass,
			in.DeletionProtectionEnabled, in.KmsKeyId)
	}
	if in := CreateGroupInput("/g", GroupSettings{}); in.DeletionProtectionEnabled != nil || in.LogGroupClass != "" {
		t.Errorf("defaults set fields: %+v", in)
	}
}

func TestManageRetentionOfExistingGroups(t *testing.T) {
	moto := motoserver.StartT(t)
	ctx := context.Background()
	logs := moto.LogsClient(motoAccount)
	for _, g := range []string{"/corral/kept", "/corral/managed"} {
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		group  string
		manage bool
		want   int32
	}{{"/corral/kept", false, 0}, {"/corral/managed", true, 14}} {
		s := motoSink(t, moto, GroupSettings{RetentionDays: 14, ManageRetention: tc.manage})
		d := pipeline.Dest{Group: tc.group, Stream: "s"}
		r := request(time.Now().UnixMilli(), "x")
		r.Dest = d
		r.Parts[0].Block.Dest = d
		send(t, s, r)
		if got, _, _, _ := describeGroup(t, moto, tc.group); got != tc.want {
			t.Errorf("%s: retention = %d, want %d", tc.group, got, tc.want)
		}
	}
}
