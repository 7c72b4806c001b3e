package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/cwltest"
	"github.com/corral-logs/corral/internal/motoserver"
	"github.com/corral-logs/corral/parsers/redact"
)

// Accounts of the cross-account tests: corral's own identity lives in the
// workload account and assumes a role in the logs account.
const (
	workloadAccount = "111111111111"
	logsAccount     = "222222222222"
	shipperRole     = "arn:aws:iam::" + logsAccount + ":role/corral-shipper"
)

// expectedEvents is what corral must deliver for a file's content: one
// event per line, without the newline and a trailing '\r'; empty lines
// skipped; every invalid UTF-8 byte and NUL replaced by U+FFFD; lines
// longer than max bytes split on rune boundaries, each piece but the last
// ending with the split marker. It is written without corral's framer so
// that the two can disagree.
func expectedEvents(data []byte, max int) []string {
	var out []string
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		var b strings.Builder
		for _, r := range line { // an invalid byte comes out as RuneError
			if r == 0 {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
		msg := b.String()
		const marker = "...[continued]"
		for len(msg) > max {
			cut := max - len(marker)
			for !utf8.RuneStart(msg[cut]) {
				cut--
			}
			out = append(out, msg[:cut]+marker)
			msg = msg[cut:]
		}
		out = append(out, msg)
	}
	return out
}

// redacted applies the default redaction rules to expected events:
// corral redacts secrets before anything leaves the host, and the sample
// logs hold some on purpose.
func redacted(t *testing.T, evs []string) []string {
	t.Helper()
	r, err := redact.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		msg, _ := r.Redact(nil, []byte(e))
		out[i] = string(msg)
	}
	return out
}

// stream names one CloudWatch Logs stream.
type stream struct{ group, name string }

// TestShipsRealFilesToTheLogsAccount ships the sample host logs and the
// machine's own /var/log through the validating proxy into moto, as an
// identity of the workload account that assumes a role in the logs
// account, and compares every stream line by line.
func TestShipsRealFilesToTheLogsAccount(t *testing.T) {
	shared := sharedDir(t)
	moto := motoserver.StartT(t)
	proxy := cwltest.New(t, cwltest.Options{Upstream: moto.URL})
	ctx := context.Background()
	keyID, secret, err := moto.CreateAccessKey(ctx, workloadAccount, "corral-host")
	if err != nil {
		t.Fatal(err)
	}

	// What must arrive: every sample file, and /var/log as it is now.
	const maxEvent = 1_048_550
	want := make(map[stream][]string)
	hostlogs := filepath.Join(shared, "testdata", "hostlogs")
	samples, _ := filepath.Glob(filepath.Join(hostlogs, "*.log"))
	for _, path := range samples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want[stream{"/corral/hostlogs", filepath.Base(path)}] = redacted(t, expectedEvents(data, maxEvent))
	}
	if len(samples) < 14 {
		t.Fatalf("found %d sample host logs, want 14", len(samples))
	}
	systemGlobs := []string{"/var/log/*.log", "/var/log/apt/**/*.log"}
	for _, g := range systemGlobs {
		matches, _ := doublestar.FilepathGlob(g, doublestar.WithFilesOnly())
		for _, path := range matches {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Logf("skipping unreadable %s: %v", path, err)
				continue
			}
			if evs := expectedEvents(data, maxEvent); len(evs) > 0 {
				want[stream{"/corral/system", path}] = redacted(t, evs)
			}
		}
	}

	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: %s
    external_id: corral-e2e
cloudwatch:
  flush_interval: 200ms
sources:
  - type: file
    name: hostlogs
    paths: ["%s/*.log"]
    log_group: /corral/hostlogs
    log_stream: "{file_name}"
    partial_line_timeout: 1s
  - type: file
    name: system
    paths: [%q, %q]
    exclude: ["*.gz", "*.xz", "*.[0-9]"]
    log_group: /corral/system
    log_stream: "{file_path}"
`, t.TempDir(), proxy.URL(), shipperRole, hostlogs, systemGlobs[0], systemGlobs[1]))
	p := startCorral(t, []string{
		"AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret,
	}, "run", "--config", cfg)

	// Wait until every stream holds at least what it must.
	logs := moto.LogsClient(logsAccount)
	got := make(map[stream][]string)
	missing := func() []stream {
		var out []stream
		for s, evs := range want {
			if len(got[s]) >= len(evs) {
				continue
			}
			all, err := motoserver.AllEvents(ctx, logs, s.group, s.name)
			if err == nil {
				got[s] = all
			}
			if len(got[s]) < len(evs) {
				out = append(out, s)
			}
		}
		return out
	}
	waitUntil(t, 60*time.Second, func() bool { return len(missing()) == 0 },
		func() string { return fmt.Sprintf("streams still incomplete: %v", missing()) })

	if code := p.stop(15 * time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if c := stoppedCounts(t, p.output()); c.Empty == 0 {
		t.Errorf("no empty line counted, though crlf.log holds one: %+v", c)
	}

	for s, evs := range want {
		all := got[s]
		if s.group == "/corral/system" && len(all) > len(evs) {
			all = all[:len(evs)] // the machine may have written more since
		}
		if diff := cmp.Diff(evs, all); diff != "" {
			t.Errorf("stream %s %s (-want +got):\n%s", s.group, s.name, diff)
		}
	}

	// corral's own log is JSON lines and holds no shipped line.
	for _, line := range strings.Split(strings.TrimSpace(p.output()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("agent log line is not JSON: %q", line)
		}
	}
	for s, evs := range want {
		for _, e := range evs {
			if len(e) >= 24 && strings.Contains(p.output(), e) {
				t.Errorf("agent log contains a line of %s: %q", s.name, e)
				break
			}
		}
	}

	// Nothing landed in corral's own account, and nothing was invalid.
	if groups, err := motoserver.ListGroups(ctx, moto.LogsClient(workloadAccount)); err != nil || len(groups) != 0 {
		t.Errorf("workload account holds groups %v (err %v), want none", groups, err)
	}
	if v := proxy.Violations(); len(v) != 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
	for _, r := range proxy.Requests() {
		if r.AccessKeyID == keyID {
			t.Errorf("a PutLogEvents request was signed with the workload account's own key")
			break
		}
	}
}

// TestSourceRolesShipToTheirAccounts gives one source a role of its own
// in another account: each source's lines land in its own account only.
func TestSourceRolesShipToTheirAccounts(t *testing.T) {
	moto := motoserver.StartT(t)
	proxy := cwltest.New(t, cwltest.Options{Upstream: moto.URL})
	ctx := context.Background()
	keyID, secret, err := moto.CreateAccessKey(ctx, workloadAccount, "corral-host")
	if err != nil {
		t.Fatal(err)
	}
	const auditAccount = "333333333333"
	dir := t.TempDir()
	for name, content := range map[string]string{"app.log": "to the logs account\n", "audit.log": "to the audit account\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: %s
cloudwatch:
  log_group: /corral/test
  flush_interval: 200ms
sources:
  - paths: [%q]
  - paths: [%q]
    assume_role:
      role_arn: arn:aws:iam::%s:role/corral-audit
`, t.TempDir(), proxy.URL(), shipperRole, filepath.Join(dir, "app.log"), filepath.Join(dir, "audit.log"), auditAccount))
	p := startCorral(t, []string{"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret}, "run", "--config", cfg)

	want := map[string]map[string][]string{
		logsAccount:  {"app.log": {"to the logs account"}},
		auditAccount: {"audit.log": {"to the audit account"}},
	}
	for account, streams := range want {
		logs := moto.LogsClient(account)
		for stream, msgs := range streams {
			var got []string
			waitUntil(t, 30*time.Second, func() bool {
				got, _ = motoserver.AllEvents(ctx, logs, "/corral/test", stream)
				return len(got) >= len(msgs)
			}, func() string { return fmt.Sprintf("account %s stream %s holds %q", account, stream, got) })
			if diff := cmp.Diff(msgs, got); diff != "" {
				t.Errorf("account %s stream %s (-want +got):\n%s", account, stream, diff)
			}
		}
		// And not the other source's stream.
		for other, streams := range want {
			if other == account {
				continue
			}
			for stream := range streams {
				if got, _ := motoserver.AllEvents(ctx, logs, "/corral/test", stream); len(got) != 0 {
					t.Errorf("account %s also holds stream %s", account, stream)
				}
			}
		}
	}
	p.stop(10 * time.Second)
}
