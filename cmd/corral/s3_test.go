package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/motoserver"
)

// The tests of the s3 source run corral as an identity of the workload
// account that assumes the shipper role in the logs account, which holds
// the buckets, the queues and the log groups, as deploy/terraform sets
// them up. Buckets are those named in the generated notification bodies.
const (
	trailBucket = "corral-test-trail-111111111111"
	flowBucket  = "corral-test-flowlogs-111111111111"
	trailGroup  = "/cloudtrail/" + workloadAccount
	flowGroup   = "/vpc-flow-logs/" + workloadAccount
)

// TestS3CloudTrailThroughQueue replays the sample CloudTrail files as the
// logs account's queue announces them (direct, EventBridge and
// CloudTrail's own SNS notice, with a digest, a test event, an empty file
// and a body that is not JSON): every record arrives once, in one stream
// per region, as its JSON at its eventTime; the queue ends empty and only
// the bad body sits in the dead-letter queue.
func TestS3CloudTrailThroughQueue(t *testing.T) {
	t.Parallel()
	data := freshTestdata(t)
	moto := motoserver.StartT(t)
	proxy := validatingProxy(t, moto)
	acct := newS3Account(t, moto, logsAccount)
	acct.bucket(trailBucket)
	queue, dlq := acct.queue("corral-cloudtrail", 1)
	expected := expectedOf(t, data)

	// Every trail file but the digest: fetching it would fail its message
	// into the dead-letter queue, so it must be skipped by its key.
	trail := filepath.Join(data, "cloudtrail")
	want := map[stream][]cwEvent{}
	var large, empty string // the 197,026-byte record; the file of none
	for _, key := range objectKeys(t, trail) {
		if strings.Contains(key, "/CloudTrail-Digest/") {
			continue
		}
		gz := readFileT(t, filepath.Join(trail, key))
		acct.put(trailBucket, key, gz)
		if !strings.Contains(key, "/CloudTrail/") {
			continue // Insights: off by default, and nothing announces them
		}
		recs, exp := trailRecords(t, gz), expected["cloudtrail/"+key]
		if len(recs) != exp.Events {
			t.Fatalf("%s holds %d records, expected.json says %d", key, len(recs), exp.Events)
		}
		if len(recs) == 0 {
			empty = key
		}
		regions := map[string]int{}
		for i, ev := range trailEvents(t, recs) {
			s := stream{"/cloudtrail/" + recs[i].account, recs[i].region}
			want[s] = append(want[s], ev)
			regions[recs[i].region]++
			if len(recs[i].raw) == 197026 {
				large = recs[i].raw
			}
		}
		if exp.RecordsByRegion != nil && !maps.Equal(regions, exp.RecordsByRegion) {
			t.Fatalf("%s: records by region %v, expected.json says %v",
				key, regions, exp.RecordsByRegion)
		}
	}
	if large == "" || empty == "" {
		t.Fatal("generated data lacks the 197,026-byte record or the empty file")
	}
	bodies := filepath.Join(data, "s3-notifications")
	for _, name := range []string{
		"sqs-s3-objectcreated-cloudtrail.json", // 5 records
		"eventbridge-s3-objectcreated.json",    // 2,000 records
		"sns-cloudtrail-delivery.json",         // 3 records, one of 197,026 bytes
		"sqs-s3-objectcreated-digest.json",     // skipped by key
		"sqs-s3-testevent.json",
		"sqs-not-json.txt",
	} {
		acct.send(queue, string(readFileT(t, filepath.Join(bodies, name))))
	}
	acct.notify(queue, trailBucket, empty)

	start := time.Now()
	p := runS3(t, moto, proxy.URL(), "", fmt.Sprintf(`
  - type: s3
    name: trail
    parser: cloudtrail
    sqs:
      queue_url: %s
      visibility_timeout: 5s
`, queue))
	cw := moto.LogsClient(logsAccount)
	ctx := context.Background()
	awaitQueues(t, acct, queue, dlq, 1, cw, want)
	t.Logf("2,008 records delivered, the bad body in the dead-letter queue after %v",
		time.Since(start).Round(time.Millisecond))
	stopAll(t, p)
	if c := stoppedCounts(t, p.output()); c.Read != 2008 || c.Delivered != 2008 {
		t.Errorf("stop line: read %d, delivered %d; want 2,008 both", c.Read, c.Delivered)
	}

	// Exactly the records, once each; the large one whole, as it was.
	got := checkAccount(t, cw, trailGroup, want)
	var counts []string
	for s, evs := range got {
		counts = append(counts, fmt.Sprintf("%s %d", s.name, len(evs)))
	}
	slices.Sort(counts)
	t.Logf("events per stream of %s: %s", trailGroup, strings.Join(counts, ", "))
	whole := func(e cwEvent) bool { return e.msg == large }
	if !slices.ContainsFunc(got[stream{trailGroup, "us-west-2"}], whole) {
		t.Error("the 197,026-byte record did not arrive as one identical event")
	}
	groups, err := motoserver.ListGroups(ctx, moto.LogsClient(workloadAccount))
	if err != nil || len(groups) != 0 {
		t.Errorf("workload account holds groups %v (err %v), want none", groups, err)
	}

	// Only the bad body failed: the digest, which does not exist, was
	// skipped without a fetch.
	notJSON := string(readFileT(t, filepath.Join(bodies, "sqs-not-json.txt")))
	if dead := acct.bodies(dlq); !slices.Equal(dead, []string{notJSON}) {
		t.Errorf("dead-letter queue holds %q, want only the body that is not JSON", dead)
	}
	if errs := logEntries(p.output(), logUnreadable); len(errs) != 0 {
		t.Errorf("objects failed: %+v", errs)
	}
	if n := len(logEntries(p.output(), logTestEvent)); n != 1 {
		t.Errorf("%d test event lines, want 1", n)
	}
	if v := refusals(proxy); len(v) != 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
}

// TestS3VPCFlowByPolling lists the flow log bucket every second: every
// record of every file lands in one stream per network interface, at its
// start time, NODATA and SKIPDATA included. A file delivered late, whose
// key sorts before the keys already read, is read once.
func TestS3VPCFlowByPolling(t *testing.T) {
	t.Parallel()
	data := freshTestdata(t)
	moto := motoserver.StartT(t)
	proxy := validatingProxy(t, moto)
	acct := newS3Account(t, moto, logsAccount)
	acct.bucket(flowBucket)
	expected := expectedOf(t, data)

	flow := filepath.Join(data, "vpcflow")
	keys := objectKeys(t, flow)
	want := map[stream][]cwEvent{}
	for _, key := range keys {
		gz := readFileT(t, filepath.Join(flow, key))
		acct.put(flowBucket, key, gz)
		status := addFlowRecords(t, want, gunzip(t, gz))
		if exp := expected["vpcflow/"+key].ByLogStatus; !maps.Equal(status, exp) {
			t.Fatalf("%s: records by log-status %v, expected.json says %v", key, status, exp)
		}
	}
	if len(keys) != 4 {
		t.Fatalf("%d flow log files, want 4", len(keys))
	}

	start := time.Now()
	p := runS3(t, moto, proxy.URL(), "", fmt.Sprintf(`
  - type: s3
    name: flow
    parser: vpcflow
    poll:
      bucket: %s
      prefix: AWSLogs/
      interval: 1s
`, flowBucket))
	cw := moto.LogsClient(logsAccount)
	ctx := context.Background()
	got := map[stream][]cwEvent{}
	await := func(want map[stream][]cwEvent) {
		t.Helper()
		waitUntil(t, 30*time.Second, func() bool { return arrived(ctx, cw, want, got) },
			func() string { return eventCounts(want, got) })
	}
	await(want)
	t.Logf("87 flow records delivered after %v", time.Since(start).Round(time.Millisecond))

	// A file for an earlier day arrives late: its key sorts before every
	// key listed so far. Then one more file, whose arrival proves a
	// listing after the late file was read.
	now := time.Now().UTC()
	flowKey := func(day time.Time, id string) string {
		return "AWSLogs/111111111111/vpcflowlogs/us-east-1/" + day.Format("2006/01/02") +
			"/111111111111_vpcflowlogs_us-east-1_fl-" + id + "_" +
			day.Format("20060102T1504Z") + "_" + id[:8] + ".log.gz"
	}
	late := flowKey(now.Add(-48*time.Hour), "0a7e0a7e0a7e0a7e0")
	if late >= keys[0] {
		t.Fatalf("late key %s does not sort before %s", late, keys[0])
	}
	lateWant := map[stream][]cwEvent{}
	acct.put(flowBucket, late, flowFile(t, lateWant, "eni-0a7e0a7e0a7e0a7e0", now, "OK", "NODATA"))
	await(lateWant)
	next := flowKey(now, "0e0e0e0e0e0e0e0e0")
	nextWant := map[stream][]cwEvent{}
	acct.put(flowBucket, next, flowFile(t, nextWant, "eni-0e0e0e0e0e0e0e0e0", now, "OK"))
	await(nextWant)
	maps.Copy(want, lateWant)
	maps.Copy(want, nextWant)

	stopAll(t, p)
	if c := stoppedCounts(t, p.output()); c.Read != 90 || c.Delivered != 90 || c.Unparsed != 0 {
		t.Errorf("stop line: read %d, delivered %d, unparsed %d; want 90, 90, 0",
			c.Read, c.Delivered, c.Unparsed)
	}
	checkAccount(t, cw, flowGroup, want)
	reads := objectsRead(p.output())
	for _, key := range append(keys, late, next) {
		if reads[key] != 1 {
			t.Errorf("%s read %d times, want once", key, reads[key])
		}
	}
	if len(reads) != len(keys)+2 {
		t.Errorf("objects read %v, want the %d files", reads, len(keys)+2)
	}
	if v := refusals(proxy); len(v) != 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
}

// TestS3ScaleOutThreeWorkers runs three corral processes with one config
// (each its own state dir) on a queue announcing twelve 2,000-record
// CloudTrail files, with a visibility timeout of 5 s and the smallest byte
// budget, so that reading waits for delivery and a process holds messages
// for seconds: every record of every file arrives exactly once, each file
// is read once by one process, the work is shared and the queue ends
// empty.
func TestS3ScaleOutThreeWorkers(t *testing.T) {
	t.Parallel()
	data := freshTestdata(t)
	moto := motoserver.StartT(t)
	proxy := validatingProxy(t, moto)
	acct := newS3Account(t, moto, logsAccount)
	acct.bucket(trailBucket)
	queue, dlq := acct.queue("corral-cloudtrail", 3)

	// Twelve copies of the 2,000-record file under their own keys, each
	// shipped to its own stream so that its records can be counted.
	trail := filepath.Join(data, "cloudtrail")
	keys := objectKeys(t, trail)
	orgTrail := func(k string) bool { return strings.Contains(k, "/o-a1b2c3d4e5/") }
	source := keys[slices.IndexFunc(keys, orgTrail)]
	gz := readFileT(t, filepath.Join(trail, source))
	records := trailEvents(t, trailRecords(t, gz))
	if len(records) != 2000 {
		t.Fatalf("%s holds %d records, want 2,000", source, len(records))
	}
	const objects = 12
	want := map[stream][]cwEvent{}
	for i := range objects {
		key := strings.Replace(source, ".json.gz", fmt.Sprintf("%02d.json.gz", i), 1)
		acct.put(trailBucket, key, gz)
		want[stream{trailGroup, key}] = records
	}
	cfg := func() string {
		return s3Config(t, proxy.URL(), "buffer:\n  max_bytes: 2MiB\n", fmt.Sprintf(`
  - type: s3
    name: trail
    parser: cloudtrail
    log_stream: "{key}"
    sqs:
      queue_url: %s
      visibility_timeout: 5s
`, queue))
	}
	env := workloadEnv(t, moto)
	var workers []*process
	for range 3 {
		workers = append(workers, startCorral(t, env, "run", "--config", cfg()))
	}
	for _, w := range workers {
		awaitStarted(t, w)
	}

	start := time.Now()
	for s := range want {
		acct.notify(queue, trailBucket, s.name)
	}
	cw := moto.LogsClient(logsAccount)
	awaitQueues(t, acct, queue, dlq, 0, cw, want)
	t.Logf("%d objects of 2,000 records delivered by three workers after %v",
		objects, time.Since(start).Round(time.Millisecond))
	stopAll(t, workers...)

	// Each object read once, by one worker; at least two of them worked.
	reads := map[string][]string{}
	var perWorker []int64
	busy, total := 0, int64(0)
	for i, w := range workers {
		c := stoppedCounts(t, w.output())
		if c.Delivered != c.Read {
			t.Errorf("worker %d read %d events and delivered %d", i, c.Read, c.Delivered)
		}
		perWorker = append(perWorker, c.Read)
		total += c.Read
		if c.Read > 0 {
			busy++
		}
		for _, e := range logEntries(w.output(), "object read") {
			reads[e.Key] = append(reads[e.Key], fmt.Sprintf("worker %d at %s", i, e.Time))
		}
	}
	t.Logf("events read per worker: %v", perWorker)
	if busy < 2 {
		t.Errorf("events read per worker %v: the work was not shared", perWorker)
	}
	if total != objects*2000 {
		t.Errorf("workers read %d events in all, want %d", total, objects*2000)
	}
	for s := range want {
		if len(reads[s.name]) != 1 {
			t.Errorf("%s read %d times (%v), want once", s.name, len(reads[s.name]), reads[s.name])
		}
	}
	checkAccount(t, cw, trailGroup, want)
	if v := refusals(proxy); len(v) != 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
}

// TestS3GzipByContent is case B41 through the binary: an empty object, a
// plain-text object under a .gz name and a gzip one are read and their
// messages deleted; a corrupt gzip is logged once with its key and its
// message ends in the dead-letter queue; nothing else is lost.
func TestS3GzipByContent(t *testing.T) {
	t.Parallel()
	dir := sharedCase(t, "B41")
	moto := motoserver.StartT(t)
	proxy := validatingProxy(t, moto)
	acct := newS3Account(t, moto, logsAccount)
	const bucket = "corral-b41"
	acct.bucket(bucket)
	queue, dlq := acct.queue("corral-b41", 1)
	for _, name := range []string{"empty", "plain", "valid", "corrupt"} {
		key := "logs/" + name + ".log.gz"
		acct.put(bucket, key, readFileT(t, filepath.Join(dir, name+".log.gz")))
		acct.notify(queue, bucket, key)
	}
	group := "/s3/" + bucket // the default for lines: /s3/{bucket}, stream {key}
	want := map[string][]string{
		"logs/plain.log.gz": {"plain-1", "plain-2"},
		"logs/valid.log.gz": {"gz-1", "gz-2"},
	}

	start := time.Now()
	p := runS3(t, moto, proxy.URL(), "", fmt.Sprintf(`
  - type: s3
    parser: lines
    sqs:
      queue_url: %s
      visibility_timeout: 5s # the least corral takes
`, queue))
	cw := moto.LogsClient(logsAccount)
	ctx := context.Background()
	got := map[string][]string{}
	var queues string
	waitUntil(t, 45*time.Second, func() bool {
		n := 0
		for key := range want {
			got[key], _ = motoserver.AllEvents(ctx, cw, group, key)
			n += len(got[key])
		}
		settled, desc := acct.settled(queue, dlq, 1)
		queues = desc
		return n >= 4 && settled
	}, func() string { return fmt.Sprintf("events %q; %s", got, queues) })
	t.Logf("plain and gzip read, corrupt in the dead-letter queue after %v",
		time.Since(start).Round(time.Millisecond))
	stopAll(t, p)
	if c := stoppedCounts(t, p.output()); c.Read != 4 || c.Delivered != 4 {
		t.Errorf("stop line: read %d, delivered %d; want 4 both", c.Read, c.Delivered)
	}

	// Stamped with the time they were read: only messages compare.
	checkNames(t, cw, group, slices.Sorted(maps.Keys(want)))
	for key, msgs := range want {
		all, err := motoserver.AllEvents(ctx, cw, group, key)
		if err != nil || !slices.Equal(all, msgs) {
			t.Errorf("stream %s holds %q (err %v), want %q", key, all, err, msgs)
		}
	}
	errs := logEntries(p.output(), logUnreadable)
	if len(errs) != 1 || errs[0].Key != "logs/corrupt.log.gz" || errs[0].Level != "error" {
		t.Errorf("error lines %+v, want one naming logs/corrupt.log.gz", errs)
	}
	var corrupt struct {
		Records []struct {
			S3 struct{ Object struct{ Key string } }
		}
	}
	dead := acct.bodies(dlq)
	if len(dead) != 1 || json.Unmarshal([]byte(dead[0]), &corrupt) != nil ||
		corrupt.Records[0].S3.Object.Key != "logs/corrupt.log.gz" {
		t.Errorf("dead-letter queue holds %q, want the corrupt object's notification", dead)
	}
	if v := refusals(proxy); len(v) != 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
}
