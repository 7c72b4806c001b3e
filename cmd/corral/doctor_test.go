package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/motoserver"
)

// doctorConfig is a config for doctor against endpoint: the role in the
// logs account with externalID, group as the log group, and glob.
func doctorConfig(dir, endpoint, externalID, group, glob string) string {
	return fmt.Sprintf(`state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: %s
    external_id: %s
    session_name: corral-doctor
cloudwatch:
  log_group: %s
sources:
  - type: file
    paths: [%q]
`, filepath.Join(dir, "state"), endpoint, shipperRole, externalID, group, glob)
}

// runDoctor runs corral doctor with env, as uid when uid is not 0, and
// returns its exit code, its standard output, and both streams together.
func runDoctor(t *testing.T, uid uint32, env []string, cfg string) (code int, stdout, all string) {
	t.Helper()
	var p *process
	if uid != 0 {
		p = startCorralAs(t, uid, env, "doctor", "--config", cfg)
	} else {
		p = startCorral(t, env, "doctor", "--config", cfg)
	}
	code = p.wait(60 * time.Second)
	return code, p.printed(), p.output()
}

// wantLines fails the test for each line of want missing from out.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("doctor did not print\n\t%s\nin:\n%s", w, out)
		}
	}
}

// doctorEnv gives doctor the access key of the workload account.
func doctorEnv(t *testing.T, moto *motoserver.Server) []string {
	t.Helper()
	keyID, secret, err := moto.CreateAccessKey(context.Background(), workloadAccount, "corral-host")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret}
}

// TestDoctorPassesAgainstMoto runs doctor on a working setup: a key of the
// workload account that assumes the role in the logs account. Every check
// passes (inotify and IMDS may warn, as the machine dictates); the log
// group is created in the logs account by the first run and found by the
// second.
func TestDoctorPassesAgainstMoto(t *testing.T) {
	moto := motoserver.StartT(t)
	env := doctorEnv(t, moto)
	dir := t.TempDir()
	for _, name := range []string{"app.log", "other.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("a line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	glob := filepath.Join(dir, "*.log")
	cfg := writeConfig(t, doctorConfig(dir, moto.URL, "corral-doctor", "/corral/doctor", glob))

	code, out, all := runDoctor(t, 0, env, cfg)
	t.Logf("corral doctor:\n%s", out)
	if code != 0 {
		t.Errorf("exit code = %d, want 0; output:\n%s", code, all)
	}
	wantLines(t, out,
		"ok    config: "+cfg+": valid, 1 source",
		"ok    credentials: arn:aws:iam::111111111111:user/corral-host (account 111111111111, from EnvConfigCredentials)",
		"ok    role: arn:aws:sts::222222222222:assumed-role/corral-shipper/corral-doctor (account 222222222222)",
		"ok    log group: /corral/doctor in account 222222222222: created",
		"ok    path: "+glob+": 2 files readable",
		"ok    imds: disabled (AWS_EC2_METADATA_DISABLED=true)",
	)
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		status, rest, _ := strings.Cut(line, "  ")
		name, _, _ := strings.Cut(strings.TrimSpace(rest), ":")
		names = append(names, name)
		if status != "ok" && !(status == "warn" && (name == "inotify" || name == "imds")) {
			t.Errorf("not ok: %s", line)
		}
	}
	want := []string{"config", "credentials", "role", "log group", "path", "inotify", "clock", "imds"}
	if !slices.Equal(names, want) {
		t.Errorf("checks %q, want %q in this order", names, want)
	}

	// The group is in the logs account only.
	ctx := context.Background()
	if groups, err := motoserver.ListGroups(ctx, moto.LogsClient(logsAccount)); err != nil || !slices.Contains(groups, "/corral/doctor") {
		t.Errorf("logs account holds groups %v (err %v), want /corral/doctor", groups, err)
	}
	if groups, err := motoserver.ListGroups(ctx, moto.LogsClient(workloadAccount)); err != nil || len(groups) != 0 {
		t.Errorf("workload account holds groups %v (err %v), want none", groups, err)
	}

	code, out, all = runDoctor(t, 0, env, cfg)
	if code != 0 {
		t.Errorf("second run: exit code = %d, want 0; output:\n%s", code, all)
	}
	wantLines(t, out, "ok    log group: /corral/doctor in account 222222222222: found")
}

// TestDoctorUnreadablePath makes one of two matching files, and a
// directory of another pattern, unreadable to doctor: each path line fails
// naming what it cannot read, why, and what to do.
func TestDoctorUnreadablePath(t *testing.T) {
	moto := motoserver.StartT(t)
	env := doctorEnv(t, moto)
	dir := openTempDir(t)
	secret, locked := filepath.Join(dir, "secret.log"), filepath.Join(dir, "locked")
	if err := os.WriteFile(filepath.Join(dir, "app.log"), []byte("a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("hidden\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	glob, lockedGlob := filepath.Join(dir, "*.log"), filepath.Join(locked, "*.log")
	yaml := doctorConfig(dir, moto.URL, "corral-doctor", "/corral/doctor-path", glob) +
		fmt.Sprintf("  - paths: [%q]\n", lockedGlob)

	var uid uint32
	cfg := writeConfig(t, yaml)
	if os.Geteuid() == 0 {
		// root reads everything: run doctor as nobody, with a config it can read.
		uid = 65534
		cfg = filepath.Join(dir, "corral.yaml")
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.Chmod(secret, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
	}
	// The advice names the group owning what cannot be read, unless it is
	// root's, as it is for the files root made.
	advice := func(mode string) string {
		gid := os.Getegid()
		if gid == 0 {
			return "make them readable to the user corral runs as: chgrp them to a group it is in (such as adm) and chmod " + mode
		}
		group := strconv.Itoa(gid)
		if g, err := user.LookupGroupId(group); err == nil {
			group = g.Name
		}
		return fmt.Sprintf("add the user corral runs as to group %s (SupplementaryGroups=%s in its systemd unit), "+
			"or make them readable to it", group, group)
	}

	code, out, all := runDoctor(t, uid, env, cfg)
	if code != 1 {
		t.Errorf("exit code = %d, want 1; output:\n%s", code, all)
	}
	wantLines(t, out,
		fmt.Sprintf("FAIL  path: %s: 1 of 2 files unreadable: %s (permission denied) — %s", glob, secret, advice("g+r")),
		fmt.Sprintf("FAIL  path: %s: cannot list %s: permission denied — %s", lockedGlob, locked, advice("g+rx")),
	)
	if n := strings.Count(out, "FAIL"); n != 2 {
		t.Errorf("%d failed checks, want only the two paths:\n%s", n, out)
	}
}

// refusingSTS stands in front of moto and refuses AssumeRole with
// AccessDenied unless the external id is the one the role's trust policy
// would demand, which moto does not check. It passes everything else on.
type refusingSTS struct {
	want  string
	moto  *httputil.ReverseProxy
	mu    sync.Mutex
	asked []url.Values // guarded by mu: the AssumeRole requests
}

func newRefusingSTS(t *testing.T, moto *motoserver.Server, externalID string) (*refusingSTS, string) {
	target, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &refusingSTS{want: externalID, moto: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *refusingSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	if r.Header.Get("X-Amz-Target") != "" || form.Get("Action") != "AssumeRole" {
		f.moto.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.asked = append(f.asked, form)
	f.mu.Unlock()
	if form.Get("ExternalId") == f.want {
		f.moto.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`+
		`<Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/corral-host is not authorized `+
		`to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
		form.Get("RoleArn"))
}

// TestDoctorWrongRole asks for the role with an external id its trust
// policy does not accept: the role line fails with the error code and
// what to change, and the log group is not checked.
func TestDoctorWrongRole(t *testing.T) {
	moto := motoserver.StartT(t)
	env := doctorEnv(t, moto)
	sts, endpoint := newRefusingSTS(t, moto, "the-right-id")
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.log")
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("a line\n"), 0o644)
	cfg := writeConfig(t, doctorConfig(dir, endpoint, "a-wrong-id", "/corral/doctor-role", glob))

	code, out, all := runDoctor(t, 0, env, cfg)
	if code != 1 {
		t.Errorf("exit code = %d, want 1; output:\n%s", code, all)
	}
	wantLines(t, out,
		"ok    credentials: arn:aws:iam::111111111111:user/corral-host (account 111111111111, from EnvConfigCredentials)",
		"FAIL  role: cannot assume "+shipperRole+": AccessDenied — allow sts:AssumeRole for this identity "+
			"in the role's trust policy, and check external_id",
		"skip  log group: /corral/doctor-role: not checked: the role "+shipperRole+" was not assumed",
	)
	sts.mu.Lock()
	defer sts.mu.Unlock()
	if len(sts.asked) != 1 {
		t.Fatalf("AssumeRole asked %d times, want once", len(sts.asked))
	}
	if got := sts.asked[0]; got.Get("ExternalId") != "a-wrong-id" || got.Get("RoleSessionName") != "corral-doctor" ||
		got.Get("DurationSeconds") != "3600" {
		t.Errorf("AssumeRole asked with %v, want external id a-wrong-id, session corral-doctor, 3600 s", got)
	}
}

// TestDoctorNoCredentials runs doctor with no credentials anywhere: the
// credentials line fails saying where corral looked, and the checks that
// need credentials are skipped.
func TestDoctorNoCredentials(t *testing.T) {
	moto := motoserver.StartT(t)
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.log")
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("a line\n"), 0o644)
	cfg := writeConfig(t, doctorConfig(dir, moto.URL, "corral-doctor", "/corral/doctor-nocreds", glob))

	code, out, all := runDoctor(t, 0, nil, cfg)
	if code != 1 {
		t.Errorf("exit code = %d, want 1; output:\n%s", code, all)
	}
	wantLines(t, out,
		"FAIL  credentials: none found: no keys in the environment or ~/.aws, no container credentials, "+
			"no EC2 instance profile (IMDS disabled by AWS_EC2_METADATA_DISABLED) — give corral an identity: "+
			"an instance profile on EC2, a task role on ECS, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
			"or AWS_PROFILE and ~/.aws of the user corral runs as",
		"skip  role: "+shipperRole+": not checked: no working credentials to assume it with",
		"skip  log group: /corral/doctor-nocreds: not checked: the role "+shipperRole+" was not assumed",
	)
	// The clock is still compared, through an unsigned request.
	if !strings.Contains(out, "\nok    clock: ") {
		t.Errorf("no clock check without credentials:\n%s", out)
	}
}

// TestDoctorInvalidConfig exits 2 on a bad config, printing its problems
// as corral validate does, and checks nothing else.
func TestDoctorInvalidConfig(t *testing.T) {
	cfg := writeConfig(t, "cloudwatch:\n  flush_intervall: 1s\nsources:\n  - paths: [\"var/log/*.log\"]\n")
	code, out, all := runDoctor(t, 0, nil, cfg)
	if code != exitUsage {
		t.Errorf("exit code = %d, want %d", code, exitUsage)
	}
	if want := "FAIL  config: " + cfg + ": 2 problems — fix the config (corral validate prints the same problems)\n"; out != want {
		t.Errorf("doctor printed %q, want only %q", out, want)
	}
	for _, want := range []string{
		`corral.yaml:2: cloudwatch: unknown key "flush_intervall"`,
		`corral.yaml:4: sources[0].paths[0]:`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, all)
		}
	}
}

// TestDoctorMissingConfig exits 2 when the config cannot be read, saying
// so once (the FAIL line, not the error again on standard error) and what
// to check.
func TestDoctorMissingConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "corral.yaml")
	code, out, all := runDoctor(t, 0, nil, cfg)
	if code != exitUsage {
		t.Errorf("exit code = %d, want %d", code, exitUsage)
	}
	want := "FAIL  config: " + cfg + ": read config: open " + cfg + ": no such file or directory" +
		" — check the path given with --config (default /etc/corral/corral.yaml)," +
		" and that this user can read it\n"
	if out != want {
		t.Errorf("doctor printed %q, want only %q", out, want)
	}
	if n := strings.Count(all, "no such file or directory"); n != 1 {
		t.Errorf("doctor said the file is missing %d times, want once:\n%s", n, all)
	}
}
