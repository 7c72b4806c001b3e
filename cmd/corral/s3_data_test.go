package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/corral-logs/corral/internal/motoserver"
)

// freshTestdata generates a copy of the shared sample data whose
// CloudTrail and VPC Flow Logs times sit just before now, since CloudWatch
// and moto refuse events older than 14 days, and returns its folder. The
// counts are those of the committed data; names, keys and times are not.
func freshTestdata(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("go", "run", ".", "-base", "now", "-big=false", "-out", out)
	cmd.Dir = filepath.Join(sharedDir(t), "testdata", "gen")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate test data: %v\n%s", err, b)
	}
	return out
}

// expectedFile is what expected.json says of one file.
type expectedFile struct {
	Events          int            `json:"events"`
	RecordsByRegion map[string]int `json:"records_by_awsRegion"`
	ByLogStatus     map[string]int `json:"by_log_status"`
}

// expectedOf reads the expected.json of generated data, by path below it.
func expectedOf(t *testing.T, dir string) map[string]expectedFile {
	t.Helper()
	var all map[string]expectedFile
	if err := json.Unmarshal(readFileT(t, filepath.Join(dir, "expected.json")), &all); err != nil {
		t.Fatal(err)
	}
	return all
}

// objectKeys returns the S3 keys of the files under folder/AWSLogs, which
// are their paths below folder, sorted.
func objectKeys(t *testing.T, folder string) []string {
	t.Helper()
	var keys []string
	walk := func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(folder, path)
		keys = append(keys, filepath.ToSlash(rel))
		return nil
	}
	if err := filepath.WalkDir(filepath.Join(folder, "AWSLogs"), walk); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// gunzip decodes with the standard library, not with corral's decoder.
func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// trailRecord is one record of a CloudTrail file.
type trailRecord struct {
	raw     string // its JSON, byte for byte as in the file
	account string // recipientAccountId
	region  string // awsRegion
	time    int64  // eventTime, Unix milliseconds
}

// trailRecords decodes a gzipped CloudTrail file with encoding/json.
func trailRecords(t *testing.T, gz []byte) []trailRecord {
	t.Helper()
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(gunzip(t, gz), &file); err != nil {
		t.Fatal(err)
	}
	var out []trailRecord
	for _, raw := range file.Records {
		var r struct {
			RecipientAccountID string    `json:"recipientAccountId"`
			AWSRegion          string    `json:"awsRegion"`
			EventTime          time.Time `json:"eventTime"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		ms := r.EventTime.UnixMilli()
		out = append(out, trailRecord{string(raw), r.RecipientAccountID, r.AWSRegion, ms})
	}
	return out
}

// trailEvents returns the events corral must make of records: each
// record's JSON, redacted as every event is (AssumeRole records carry a
// session token), at its eventTime.
func trailEvents(t *testing.T, recs []trailRecord) []cwEvent {
	t.Helper()
	raws := make([]string, len(recs))
	for i, r := range recs {
		raws[i] = r.raw
	}
	evs := make([]cwEvent, len(recs))
	for i, msg := range redacted(t, raws) {
		evs[i] = cwEvent{recs[i].time, msg}
	}
	return evs
}

// addFlowRecords adds the records of a flow log file to want, by account
// and interface, at start × 1000, and returns their count by log-status.
// The columns come from the file's header line.
func addFlowRecords(t *testing.T, want map[stream][]cwEvent, content []byte) map[string]int {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
	col := map[string]int{}
	for i, name := range strings.Fields(lines[0]) {
		col[name] = i
	}
	status := map[string]int{}
	for _, line := range lines[1:] {
		f := strings.Split(line, " ")
		start, err := strconv.ParseInt(f[col["start"]], 10, 64)
		if err != nil {
			t.Fatalf("start of %q: %v", line, err)
		}
		s := stream{"/vpc-flow-logs/" + f[col["account-id"]], f[col["interface-id"]]}
		want[s] = append(want[s], cwEvent{start * 1000, line})
		status[f[col["log-status"]]]++
	}
	return status
}

// flowFile returns a gzipped default-format flow log file of one
// interface, a record per status starting minutes before now, and adds
// its records to want.
func flowFile(
	t *testing.T, want map[stream][]cwEvent, iface string, now time.Time, statuses ...string,
) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol " +
		"packets bytes start end action log-status\n")
	for i, st := range statuses {
		start := now.Add(-time.Duration(10-i) * time.Minute).Unix()
		line := fmt.Sprintf("2 111111111111 %s 10.0.1.%d 198.51.100.%d 443 %d 6 %d %d %d %d %s",
			iface, i, i, 50000+i, 5+i, 900+i, start, start+60, "ACCEPT OK")
		if st != "OK" {
			line = fmt.Sprintf("2 111111111111 %s - - - - - - - %d %d - %s",
				iface, start, start+60, st)
		}
		b.WriteString(line + "\n")
		s := stream{"/vpc-flow-logs/111111111111", iface}
		want[s] = append(want[s], cwEvent{start * 1000, line})
	}
	return gzipped(t, b.Bytes())
}

// cwEvent is one event as CloudWatch Logs stores it.
type cwEvent struct {
	ts  int64
	msg string
}

// storedEvents returns every event of a stream with its timestamp.
func storedEvents(
	ctx context.Context, client *cloudwatchlogs.Client, group, stream string,
) ([]cwEvent, error) {
	var (
		evs   []cwEvent
		token *string
	)
	for {
		out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("get log events of %s/%s: %w", group, stream, err)
		}
		for _, ev := range out.Events {
			evs = append(evs, cwEvent{aws.ToInt64(ev.Timestamp), aws.ToString(ev.Message)})
		}
		next := out.NextForwardToken
		if next == nil || (token != nil && *next == *token) {
			return evs, nil
		}
		token = next
	}
}

// arrived reports whether every stream of want holds as many events as it
// should, fetching into got those that did not yet.
func arrived(ctx context.Context, cw *cloudwatchlogs.Client, want, got map[stream][]cwEvent) bool {
	for s, evs := range want {
		if len(got[s]) < len(evs) {
			got[s], _ = storedEvents(ctx, cw, s.group, s.name)
			if len(got[s]) < len(evs) {
				return false
			}
		}
	}
	return true
}

// eventCounts describes how many events of each stream arrived so far.
func eventCounts(want, got map[stream][]cwEvent) string {
	var parts []string
	for s, evs := range want {
		parts = append(parts, fmt.Sprintf("%s %s: %d of %d",
			s.group, s.name, len(got[s]), len(evs)))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// checkAccount fails the test unless the account holds exactly the
// streams of want, all in group, each with exactly its events, and
// returns what the streams hold.
func checkAccount(
	t *testing.T, cw *cloudwatchlogs.Client, group string, want map[stream][]cwEvent,
) map[stream][]cwEvent {
	t.Helper()
	var names []string
	for s := range want {
		names = append(names, s.name)
	}
	slices.Sort(names)
	checkNames(t, cw, group, names)
	got := map[stream][]cwEvent{}
	for s, evs := range want {
		all, err := storedEvents(context.Background(), cw, s.group, s.name)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameEvents(evs, all); d != "" {
			t.Errorf("stream %s %s: %s", s.group, s.name, d)
		}
		got[s] = all
	}
	return got
}

// checkNames fails the test unless the account holds only group, and the
// group only the streams names (sorted).
func checkNames(t *testing.T, cw *cloudwatchlogs.Client, group string, names []string) {
	t.Helper()
	ctx := context.Background()
	groups, err := motoserver.ListGroups(ctx, cw)
	if err != nil || !slices.Equal(groups, []string{group}) {
		t.Errorf("groups %v (err %v), want only %s", groups, err, group)
	}
	if got, err := streamNames(ctx, cw, group); err != nil || !slices.Equal(got, names) {
		t.Errorf("streams of %s: %v (err %v), want %v", group, got, err, names)
	}
}

// streamNames returns the names of every stream of a group, sorted.
func streamNames(ctx context.Context, client *cloudwatchlogs.Client, group string) ([]string, error) {
	var names []string
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)}
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe log streams of %s: %w", group, err)
		}
		for _, s := range out.LogStreams {
			names = append(names, aws.ToString(s.LogStreamName))
		}
	}
	slices.Sort(names)
	return names, nil
}

// sameEvents compares two sets of events regardless of order, and
// describes the difference briefly: a message can be 200 KB long.
func sameEvents(want, got []cwEvent) string {
	key := func(e cwEvent) string { return strconv.FormatInt(e.ts, 10) + " " + e.msg }
	count := make(map[string]int, len(want))
	for _, e := range want {
		count[key(e)]++
	}
	var missing, extra []string
	for _, e := range got {
		k := key(e)
		if count[k] == 0 {
			extra = append(extra, k)
			continue
		}
		count[k]--
	}
	for k, n := range count {
		for range n {
			missing = append(missing, k)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	first := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return fmt.Sprintf("%.160q", slices.Min(s))
	}
	return fmt.Sprintf("%d events, want %d: %d missing (first %s), %d unexpected (first %s)",
		len(got), len(want), len(missing), first(missing), len(extra), first(extra))
}
