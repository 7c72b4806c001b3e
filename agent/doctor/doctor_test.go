package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/corral-logs/corral/agent/config"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestConfig tells a config that cannot be read, whose advice is about its
// path, from one with problems, whose error lists them.
func TestConfig(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sources: []\n"), 0o600)
	for _, tc := range []struct {
		path, detail, advice string
		problems             bool
	}{
		{missing, missing + ": read config: open " + missing + ": no such file or directory",
			"check the path given with --config (default /etc/corral/corral.yaml)", false},
		{dir, dir + ": read config: read " + dir + ": is a directory", "check the path given with --config", false},
		{bad, bad + ": 1 problem", "fix the config (corral validate prints the same problems)", true},
	} {
		cfg, res, err := Config(tc.path)
		var problems config.Errors
		if cfg != nil || res.Status != Fail || res.Detail != tc.detail ||
			!strings.Contains(res.Advice, tc.advice) || errors.As(err, &problems) != tc.problems {
			t.Errorf("Config(%s) = %v, %v %q — %q, %v\nwant nil, fail %q — containing %q, problems %v",
				tc.path, cfg, res.Status, res.Detail, res.Advice, err, tc.detail, tc.advice, tc.problems)
		}
	}
}

func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Name: "clock", Status: OK, Detail: "within 1s of AWS"}, "ok    clock: within 1s of AWS"},
		{Result{Name: "role", Status: Fail, Detail: "cannot assume x: AccessDenied", Advice: "allow it"},
			"FAIL  role: cannot assume x: AccessDenied — allow it"},
		{Result{Name: "path", Status: Warn, Detail: "/x/*.log: no file matches", Advice: "check"},
			"warn  path: /x/*.log: no file matches — check"},
		{Result{Name: "imds", Status: Skip, Detail: "not on EC2"}, "skip  imds: not on EC2"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestClockResult(t *testing.T) {
	for _, tc := range []struct {
		off  time.Duration
		want Status
		text string
	}{
		{400 * time.Millisecond, OK, "within 1s of AWS (Date header of STS)"},
		{-30 * time.Second, OK, "30s ahead of AWS (Date header of STS)"},
		{61 * time.Second, Warn, "1m1s behind AWS (Date header of STS)"},
		{-5 * time.Minute, Warn, "5m0s ahead of AWS (Date header of STS)"},
		{5*time.Minute + 2*time.Second, Fail, "5m2s behind AWS (Date header of STS)"},
		{-2 * time.Hour, Fail, "2h0m0s ahead of AWS (Date header of STS)"},
	} {
		got := clockResult(tc.off, "STS")
		if got.Status != tc.want || got.Detail != tc.text {
			t.Errorf("clockResult(%v) = %v %q, want %v %q", tc.off, got.Status, got.Detail, tc.want, tc.text)
		}
		if (got.Status == OK) != (got.Advice == "") {
			t.Errorf("clockResult(%v): status %v with advice %q", tc.off, got.Status, got.Advice)
		}
	}
}

func TestClockRecorderCentresTheSecond(t *testing.T) {
	var c clockRecorder
	at := time.Date(2026, 1, 2, 3, 4, 5, 700_000_000, time.UTC)
	c.record("Fri, 02 Jan 2026 03:04:05 GMT", at, "STS") // the same second: in step
	off, service, ok := c.offset()
	if !ok || service != "STS" || off != -200*time.Millisecond {
		t.Errorf("offset() = %v, %q, %v; want -200ms, STS, true", off, service, ok)
	}
	c.record("not a date", at, "Logs")
	if _, service, _ := c.offset(); service != "STS" {
		t.Errorf("a bad Date header replaced a good one")
	}
}

// fakeLogs answers DescribeLogGroups and CreateLogGroup as told, and
// records the actions asked.
type fakeLogs struct {
	describe string // "found", "missing" or an error type
	create   string // "" (created) or an error type
	mu       sync.Mutex
	actions  []string       // guarded by mu
	created  map[string]any // guarded by mu: the CreateLogGroup request
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	var in map[string]any
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	f.actions = append(f.actions, action)
	if action == "CreateLogGroup" {
		f.created = in
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	answer := func(errType string, ok any) {
		if errType != "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": errType, "message": "refused"})
			return
		}
		json.NewEncoder(w).Encode(ok)
	}
	switch action {
	case "DescribeLogGroups":
		switch f.describe {
		case "found":
			answer("", map[string]any{"logGroups": []any{
				map[string]string{"logGroupName": "/corral/a-longer-name"},
				map[string]string{"logGroupName": "/corral/a"},
			}})
		case "missing":
			answer("", map[string]any{"logGroups": []any{map[string]string{"logGroupName": "/corral/a-longer-name"}}})
		default:
			answer(f.describe, nil)
		}
	case "CreateLogGroup", "PutRetentionPolicy":
		answer(f.create, map[string]any{})
	default:
		answer("UnknownOperationException", nil)
	}
}

func TestCheckGroup(t *testing.T) {
	const denied, exists = "AccessDeniedException", "ResourceAlreadyExistsException"
	for _, tc := range []struct {
		name             string
		describe, create string
		want             Status
		detail           string
		actions          []string
	}{
		{"found", "found", "", OK, "found", []string{"DescribeLogGroups"}},
		{"created", "missing", "", OK, "created", []string{"DescribeLogGroups", "CreateLogGroup", "PutRetentionPolicy"}},
		{"create denied", "missing", denied, Fail, "not found, and logs:CreateLogGroup denied",
			[]string{"DescribeLogGroups", "CreateLogGroup"}},
		{"describe denied, exists", denied, exists, OK,
			"exists (logs:DescribeLogGroups is denied, which corral does not need)",
			[]string{"DescribeLogGroups", "CreateLogGroup"}},
		{"both denied", denied, denied, Fail, "logs:DescribeLogGroups and logs:CreateLogGroup denied",
			[]string{"DescribeLogGroups", "CreateLogGroup"}},
		{"describe fails", "ServiceUnavailableException", "", Fail, "cannot describe: ServiceUnavailableException: refused",
			[]string{"DescribeLogGroups"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeLogs{describe: tc.describe, create: tc.create}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			logs := cloudwatchlogs.New(cloudwatchlogs.Options{
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
				BaseEndpoint:     aws.String(srv.URL),
				RetryMaxAttempts: 1,
				HTTPClient:       srv.Client(),
			})
			r := &run{}
			r.opts.defaults()
			g := config.GroupSettings{RetentionDays: 7, Tags: map[string]string{"team": "platform"}, LogGroupClass: "STANDARD"}
			got := r.checkGroup(context.Background(), logs, "/corral/a", g)
			if got.Status != tc.want || got.Detail != tc.detail {
				t.Errorf("checkGroup = %v %q, want %v %q", got.Status, got.Detail, tc.want, tc.detail)
			}
			if got.Status == Fail && !strings.Contains(got.Advice, "logs:") && tc.name != "describe fails" {
				t.Errorf("advice %q names no action", got.Advice)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if diff := cmp.Diff(tc.actions, fake.actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if fake.created != nil {
				want := map[string]any{"logGroupName": "/corral/a", "tags": map[string]any{"team": "platform"},
					"logGroupClass": "STANDARD"}
				if diff := cmp.Diff(want, fake.created); diff != "" {
					t.Errorf("CreateLogGroup request (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRuntimeNames(t *testing.T) {
	tmpl, err := config.ParseTemplate("/corral/{hostname}/{instance_id}/{file_name}/{field.app}", config.FilePlaceholders)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"{file_name}", "{field.app}"}, runtimeNames(tmpl)); diff != "" {
		t.Errorf("runtimeNames (-want +got):\n%s", diff)
	}
}

func TestCheckPattern(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.log", "b.log", "c.log.gz", "sub/d.log"} {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &run{}
	dirs := make(map[string]bool)
	for _, tc := range []struct {
		pattern string
		exclude []string
		want    Result
	}{
		{dir + "/*.log", nil, Result{Name: "path", Status: OK, Detail: dir + "/*.log: 2 files readable"}},
		{dir + "/**/*.log*", []string{"*.gz"}, Result{Name: "path", Status: OK, Detail: dir + "/**/*.log*: 3 files readable"}},
		{dir + "/*.txt", nil, Result{Name: "path", Status: Warn, Detail: dir + "/*.txt: no file matches",
			Advice: "check the pattern; corral picks files up when they appear"}},
		{dir + "/nope/*.log", nil, Result{Name: "path", Status: Warn,
			Detail: dir + "/nope/*.log: no file matches (" + dir + "/nope does not exist)",
			Advice: "check the pattern; corral picks files up when they appear"}},
	} {
		if diff := cmp.Diff(tc.want, r.checkPattern(tc.pattern, tc.exclude, dirs)); diff != "" {
			t.Errorf("checkPattern(%q) (-want +got):\n%s", tc.pattern, diff)
		}
	}
	want := map[string]bool{dir: true, dir + "/sub": true, dir + "/nope": true}
	if diff := cmp.Diff(want, dirs); diff != "" {
		t.Errorf("directories to watch (-want +got):\n%s", diff)
	}
}

// fakeRoot makes a root with inotify limits and one process of ours
// holding an inotify instance with watches.
func fakeRoot(t *testing.T, maxWatches, maxInstances, held int) string {
	t.Helper()
	root := t.TempDir()
	sys := filepath.Join(root, "proc", "sys", "fs", "inotify")
	os.MkdirAll(sys, 0o755)
	os.WriteFile(filepath.Join(sys, "max_user_watches"), []byte(fmt.Sprintln(maxWatches)), 0o644)
	os.WriteFile(filepath.Join(sys, "max_user_instances"), []byte(fmt.Sprintln(maxInstances)), 0o644)
	pid := filepath.Join(root, "proc", "4242")
	os.MkdirAll(filepath.Join(pid, "fd"), 0o755)
	os.MkdirAll(filepath.Join(pid, "fdinfo"), 0o755)
	if err := os.Symlink("anon_inode:inotify", filepath.Join(pid, "fd", "5")); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/null", filepath.Join(pid, "fd", "0"))
	var info strings.Builder
	info.WriteString("pos:\t0\nflags:\t02004000\n")
	for i := range held {
		fmt.Fprintf(&info, "inotify wd:%x ino:1 sdev:0 mask:3cc ignored_mask:0\n", i+1)
	}
	os.WriteFile(filepath.Join(pid, "fdinfo", "5"), []byte(info.String()), 0o644)
	return root
}

func TestCheckInotify(t *testing.T) {
	uid := os.Geteuid()
	for _, tc := range []struct {
		name                 string
		maxWatches, maxInsts int
		held                 int
		want                 Result
	}{
		{"plenty", 8192, 128, 10, Result{Name: "inotify", Status: OK,
			Detail: fmt.Sprintf("3 directories to watch in 2 instances; uid %d already holds 10 watches in 1 instance; "+
				"limits per user: 8192 watches, 128 instances", uid)}},
		{"watches close", 20, 128, 14, Result{Name: "inotify", Status: Warn,
			Detail: fmt.Sprintf("3 directories to watch in 2 instances; uid %d already holds 14 watches in 1 instance; "+
				"limits per user: 20 watches, 128 instances", uid),
			Advice: "close to or over the limit, corral polls directories instead: raise it with " +
				"sysctl -w fs.inotify.max_user_watches=40, and keep it in /etc/sysctl.d/"}},
		{"both over", 2, 2, 0, Result{Name: "inotify", Status: Warn,
			Detail: fmt.Sprintf("3 directories to watch in 2 instances; uid %d already holds 0 watches in 1 instance; "+
				"limits per user: 2 watches, 2 instances", uid),
			Advice: "close to or over the limit, corral polls directories instead: raise it with " +
				"sysctl -w fs.inotify.max_user_watches=6 fs.inotify.max_user_instances=6, and keep it in /etc/sysctl.d/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &run{opts: Options{Root: fakeRoot(t, tc.maxWatches, tc.maxInsts, tc.held)}}
			r.files = fileState{watches: 3, sources: 2}
			r.checkInotify()
			if diff := cmp.Diff([]Result{tc.want}, r.results); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckIMDS(t *testing.T) {
	token := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/latest/api/token" ||
			r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "TOKEN")
	}))
	defer token.Close()
	// silent accepts the connection but never answers, as IMDS does for a
	// container behind a hop limit of 1.
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(release)

	container := t.TempDir()
	os.WriteFile(filepath.Join(container, ".dockerenv"), nil, 0o644)
	onEC2 := func() string {
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "sys/devices/virtual/dmi/id"), 0o755)
		os.WriteFile(filepath.Join(root, "sys/devices/virtual/dmi/id/sys_vendor"), []byte("Amazon EC2\n"), 0o644)
		return root
	}
	ec2 := onEC2()
	both := onEC2() // a container on EC2
	os.WriteFile(filepath.Join(both, ".dockerenv"), nil, 0o644)
	bare := t.TempDir()
	cgroup := t.TempDir()
	os.MkdirAll(filepath.Join(cgroup, "proc/1"), 0o755)
	os.WriteFile(filepath.Join(cgroup, "proc/1/cgroup"), []byte("0::/kubepods/besteffort/pod1/abc\n"), 0o644)

	for _, tc := range []struct {
		name   string
		root   string
		env    map[string]string
		status Status
		detail string
		advice string
	}{
		{"disabled", container, map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, OK,
			"disabled (AWS_EC2_METADATA_DISABLED=true)", ""},
		{"elsewhere", bare, nil, Skip, "not on EC2 or in a container", ""},
		{"fargate", container, map[string]string{"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
			"ECS_CONTAINER_METADATA_URI_V4": "http://127.0.0.1:1/v4", "AWS_EC2_METADATA_SERVICE_ENDPOINT": silent.URL},
			Skip, "on Fargate (AWS_EXECUTION_ENV=AWS_ECS_FARGATE), which has none", ""},
		{"container answered", container, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": token.URL}, OK,
			"IMDSv2 token from " + token.URL, ""},
		{"container hop limit", container, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": silent.URL}, Warn,
			"no IMDSv2 token from " + silent.URL + " within 200ms in a container", "the IMDS hop limit is probably 1"},
		{"kubernetes hop limit", cgroup, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": silent.URL}, Warn,
			"no IMDSv2 token from " + silent.URL + " within 200ms in a container", "raise HttpPutResponseHopLimit to 2"},
		{"ecs", bare, map[string]string{"ECS_CONTAINER_METADATA_URI_V4": "http://127.0.0.1:1/v4",
			"AWS_EC2_METADATA_SERVICE_ENDPOINT": token.URL + "/"}, OK, "IMDSv2 token from " + token.URL, ""},
		{"ec2 off", ec2, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": silent.URL}, Warn,
			"no IMDSv2 token from " + silent.URL + " within 200ms", "--http-endpoint enabled"},
		{"refused", ec2, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": token.URL + "/nope"}, Warn,
			token.URL + "/nope answered PUT /latest/api/token with 400 Bad Request", "metadata options"},
		{"refused in a container off EC2", container,
			map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": token.URL + "/nope"}, Warn,
			token.URL + "/nope answered PUT /latest/api/token with 400 Bad Request",
			"if there is none, this is not IMDS and AWS_EC2_METADATA_DISABLED=true"},
		{"refused in a container on EC2", both,
			map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": token.URL + "/nope"}, Warn,
			token.URL + "/nope answered PUT /latest/api/token with 400 Bad Request",
			"check the instance's metadata options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &run{opts: Options{Root: tc.root, IMDSTimeout: 200 * time.Millisecond,
				Getenv: func(k string) string { return tc.env[k] }}}
			r.opts.defaults()
			r.checkIMDS(context.Background())
			got := r.results[0]
			if got.Status != tc.status || got.Detail != tc.detail || !strings.Contains(got.Advice, tc.advice) {
				t.Errorf("got %v %q — %q\nwant %v %q — containing %q", got.Status, got.Detail, got.Advice,
					tc.status, tc.detail, tc.advice)
			}
		})
	}
}

// fakeJournalctl writes a journalctl that prints version and, for any
// other call, says stderr and exits with code.
func fakeJournalctl(t *testing.T, version int, stderr string, code int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journalctl")
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = --version ]; then echo "systemd %d (%d)"; echo "+PAM"; exit 0; fi
printf '%%s' '%s' >&2
exit %d
`, version, version, stderr, code)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckJournal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		journalctl string
		status     Status
		detail     string
		advice     string
	}{
		{"readable", fakeJournalctl(t, 252, "", 0), OK, "source j: journalctl reads the system journal (systemd 252)", ""},
		{"no group", fakeJournalctl(t, 252, "Hint: You are currently not seeing messages from other users and the system.\n"+
			"      Users in groups 'adm', 'systemd-journal' can see all messages.\n", 0), Fail,
			fmt.Sprintf("source j: cannot read the system journal as uid %d: Hint: You are currently not seeing "+
				"messages from other users and the system.", os.Geteuid()), "group systemd-journal"},
		{"no permission", fakeJournalctl(t, 252, "No journal files were opened due to insufficient permissions.\n", 1), Fail,
			fmt.Sprintf("source j: cannot read the system journal as uid %d: No journal files were opened due to "+
				"insufficient permissions.", os.Geteuid()), "SupplementaryGroups=systemd-journal"},
		{"no files", fakeJournalctl(t, 252, "No journal files were found.\n", 0), Warn,
			"source j: no journal files in the system journal", "systemd-journald"},
		{"too old", fakeJournalctl(t, 235, "", 0), Fail, "source j: systemd 235 is too old", "236 or later"},
		{"failing", fakeJournalctl(t, 252, "Failed to open journal: bad\n", 1), Fail,
			"source j: journalctl failed on the system journal: exit status 1: Failed to open journal: bad", "journalctl -n 0"},
		{"missing", filepath.Join(t.TempDir(), "journalctl"), Fail, "source j: journalctl not found on the PATH", "install"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &run{opts: Options{Journalctl: tc.journalctl}}
			r.opts.defaults()
			got := r.checkJournal(context.Background(), config.Source{Name: "j", Type: config.SourceJournald})
			if got.Status != tc.status || got.Detail != tc.detail || !strings.Contains(got.Advice, tc.advice) {
				t.Errorf("got %v %q — %q\nwant %v %q — containing %q", got.Status, got.Detail, got.Advice,
					tc.status, tc.detail, tc.advice)
			}
		})
	}
}
