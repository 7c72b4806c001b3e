// Package container holds corral's container image; its test checks the
// Dockerfile's promises from the file: a static binary on a minimal base,
// run as a numeric non-root user with only the state directory writable.
package container

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/corral-logs/corral/agent/config"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int    // where it starts, 1-based
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string // the rest, as written
}

// stage is one FROM and the instructions under it.
type stage struct {
	base, name string
	body       []instruction
}

// readDockerfile splits the Dockerfile into stages. It knows the little of
// the syntax this Dockerfile uses: comments, blank lines, backslash
// continuations and "FROM [--platform=...] image [AS name]".
func readDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		stages []stage
		cur    *instruction
		n      int
	)
	add := func(in instruction) {
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
			st := stage{base: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
			}
			return
		}
		s := &stages[len(stages)-1]
		s.body = append(s.body, in)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &instruction{line: n, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		} else {
			cur.args += " " + line
		}
		if !cont {
			add(*cur)
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("Dockerfile:%d: continuation at the end of the file", cur.line)
	}
	if len(stages) == 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	return stages
}

// the returns the stage's instructions named cmd.
func (s stage) the(cmd string) []instruction {
	var out []instruction
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// minimalBases are the final images allowed: no shell, no package manager.
var minimalBases = regexp.MustCompile(`^(scratch|gcr\.io/distroless/static(-debian[0-9]+)?` +
	`(:[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?)$`)

const (
	entrypoint = `["/corral", "run", "--config", "/etc/corral/corral.yaml"]`
	stateDir   = "/var/lib/corral"
	configPath = "/etc/corral/corral.yaml"
)

func TestFinalStageIsMinimalAndNonRoot(t *testing.T) {
	stages := readDockerfile(t)
	final := stages[len(stages)-1]

	if !minimalBases.MatchString(final.base) {
		t.Errorf("final base %q is not distroless/static or scratch", final.base)
	}
	if final.base == "scratch" {
		// scratch has nothing: the image must bring CA certificates and a
		// passwd file naming its user.
		copied := ""
		for _, in := range final.the("COPY") {
			copied += in.args + "\n"
		}
		for _, want := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/passwd"} {
			if !strings.Contains(copied, want) {
				t.Errorf("scratch image without %s", want)
			}
		}
	}
	if runs := final.the("RUN"); len(runs) > 0 {
		t.Errorf("Dockerfile:%d: RUN in the final stage, which has no shell", runs[0].line)
	}

	users := final.the("USER")
	if len(users) == 0 {
		t.Fatal("final stage has no USER: it would run as root")
	}
	user := users[len(users)-1].args
	uid, gid, hasGID := strings.Cut(user, ":")
	ids := []string{uid}
	if hasGID {
		ids = append(ids, gid)
	}
	for _, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil {
			t.Errorf("USER %s: %q is not numeric, so runAsNonRoot checks cannot verify it", user, id)
		} else if n == 0 {
			t.Errorf("USER %s: runs as root", user)
		}
	}

	eps := final.the("ENTRYPOINT")
	if len(eps) != 1 {
		t.Fatalf("final stage has %d ENTRYPOINTs, want 1", len(eps))
	}
	var got, want []string
	if err := json.Unmarshal([]byte(eps[0].args), &got); err != nil {
		t.Fatalf("ENTRYPOINT %s is not in exec form: %v", eps[0].args, err)
	}
	if err := json.Unmarshal([]byte(entrypoint), &want); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ENTRYPOINT %q, want %q", got, want)
	}

	// The root file system is meant to be read-only: the state directory
	// must be a volume, or corral has nowhere to write.
	volumes := ""
	for _, in := range final.the("VOLUME") {
		volumes += " " + in.args
	}
	unquote := strings.NewReplacer("[", " ", "]", " ", `"`, " ", ",", " ")
	if !slices.Contains(strings.Fields(unquote.Replace(volumes)), stateDir) {
		t.Errorf("no VOLUME %s: with --read-only corral could not write its state", stateDir)
	}
}

func TestBinaryIsStatic(t *testing.T) {
	var build *instruction
	stages := readDockerfile(t)
	for _, s := range stages {
		for _, in := range s.the("RUN") {
			if strings.Contains(in.args, "go build") {
				build = &in
			}
		}
	}
	if build == nil {
		t.Fatal("no RUN with go build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "./cmd/corral"} {
		if !strings.Contains(build.args, want) {
			t.Errorf("Dockerfile:%d: go build without %s", build.line, want)
		}
	}
	final := stages[len(stages)-1]
	copied := false
	for _, in := range final.the("COPY") {
		if strings.Contains(in.args, "--from=") && strings.HasSuffix(in.args, " /corral") {
			copied = true
		}
	}
	if !copied {
		t.Error("the final stage does not copy the built binary to /corral")
	}
}

func TestNoRemoteSources(t *testing.T) {
	for _, s := range readDockerfile(t) {
		for _, in := range s.body {
			if in.cmd == "ADD" && regexp.MustCompile(`(?i)(https?|git|ssh)://|git@`).MatchString(in.args) {
				t.Errorf("Dockerfile:%d: ADD of a remote source, unverified at build time: %s",
					in.line, in.args)
			}
		}
		pinned := strings.ContainsAny(s.base, ":@") && !strings.HasSuffix(s.base, ":latest")
		if !pinned && s.base != "scratch" {
			t.Errorf("base %q has no tag or digest: builds would not repeat", s.base)
		}
	}
}

// TestSampleConfig checks that the config the image carries parses with
// corral's own parser and keeps its state in the image's volume.
func TestSampleConfig(t *testing.T) {
	stages := readDockerfile(t)
	final := stages[len(stages)-1]
	found := false
	for _, in := range final.the("COPY") {
		if in.args == "deploy/container/corral.yaml "+configPath {
			found = true
		}
	}
	if !found {
		t.Errorf("the final stage does not COPY deploy/container/corral.yaml to %s", configPath)
	}
	data, err := os.ReadFile("corral.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("corral.yaml", data)
	if err != nil {
		t.Fatalf("sample config: %v", err)
	}
	if cfg.StateDir != stateDir {
		t.Errorf("state_dir %s, want the volume %s", cfg.StateDir, stateDir)
	}
}
