// Package systemd holds corral's systemd unit; its test checks the unit's
// hardening from the file.
package systemd

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// readUnit returns the unit's settings by section, each key with all its
// values.
func readUnit(t *testing.T) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open("corral.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("not a setting: %q", line)
			}
			unit[section][k] = append(unit[section][k], v)
		}
	}
	return unit
}

func TestUnitIsHardened(t *testing.T) {
	svc := readUnit(t)["Service"]
	want := map[string]string{
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"PrivateMounts":         "yes",
		"DynamicUser":           "yes",
		"StateDirectory":        "corral",
		"Restart":               "on-failure",
		"CapabilityBoundingSet": "",
		"SupplementaryGroups":   "adm systemd-journal",
		"KillSignal":            "SIGTERM",
	}
	for k, v := range want {
		got, ok := svc[k]
		if !ok || got[len(got)-1] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if reload := svc["ExecReload"]; len(reload) != 1 || reload[0] != "/bin/kill -HUP $MAINPID" {
		t.Errorf("ExecReload = %q, want a SIGHUP: corral reloads its config on it", reload)
	}
	if exec := svc["ExecStart"]; len(exec) != 1 || !strings.Contains(exec[0], "corral run --config /etc/corral/corral.yaml") {
		t.Errorf("ExecStart = %q", exec)
	}
}
