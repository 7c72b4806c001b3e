package journald

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArgs(t *testing.T) {
	base := []string{"--output=json", "--output-fields=" + strings.Join(outputFields, ","),
		"--all", "--no-pager"}
	follow := []string{"--follow", "--no-tail"}
	unit := func(u string) []string {
		return []string{"_SYSTEMD_UNIT=" + u, "+", "_PID=1", "UNIT=" + u, "+",
			"MESSAGE_ID=" + coredumpMessageID, "_UID=0", "COREDUMP_UNIT=" + u, "+",
			"_UID=0", "OBJECT_SYSTEMD_UNIT=" + u}
	}
	tests := []struct {
		name   string
		opts   Options
		cursor string
		follow bool
		want   []string
	}{
		{name: "everything, first start", follow: true,
			want: concat(base, follow, []string{"--boot"})},
		{name: "catching up from a cursor", cursor: "s=1;i=2",
			want: concat(base, []string{"--cursor=s=1;i=2"})},
		{name: "directory, priority, units and kernel", follow: true, cursor: "s=1;i=2",
			opts: Options{Directory: "/j", Priority: "warning", Units: []string{"a", "b.socket"},
				IncludeKernel: true},
			want: concat(base, follow,
				[]string{"--directory=/j", "--cursor=s=1;i=2", "--priority=warning"},
				unit("a.service"), []string{"+"}, unit("b.socket"), []string{"+", "_TRANSPORT=kernel"})},
		{name: "kernel without units adds nothing", follow: true,
			opts: Options{IncludeKernel: true},
			want: concat(base, follow, []string{"--boot"})},
	}
	for _, tt := range tests {
		tt.opts.StateDir = t.TempDir()
		s, err := New(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, s.args(tt.cursor, tt.follow)); diff != "" {
			t.Errorf("%s: arguments differ (-want +got):\n%s", tt.name, diff)
		}
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestUnitName(t *testing.T) {
	for in, want := range map[string]string{
		"ssh":                         "ssh.service",
		"ssh.service":                 "ssh.service",
		"getty@tty1":                  "getty@tty1.service",
		"dev-sda1.device":             "dev-sda1.device",
		"my.app":                      "my.app.service",
		"system.slice":                "system.slice",
		`dev-disk-by\x2dlabel.device`: `dev-disk-by\x2dlabel.device`,
		".service":                    ".service.service",
	} {
		got, err := unitName(in)
		if err != nil || got != want {
			t.Errorf("unitName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "nginx*", "a b", "x?.service", "[ab].service", "a/b"} {
		if got, err := unitName(bad); err == nil {
			t.Errorf("unitName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestValidCursor(t *testing.T) {
	const real = "s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a26343b29e964691ff25d04c;" +
		"m=4fc72436e;t=4c508a72423d9;x=d3e5610681098c10"
	for _, c := range []string{real, "s=a;i=1", "b=a;m=1", "t=5"} {
		if !validCursor(c) {
			t.Errorf("validCursor(%q) = false, want true", c)
		}
	}
	for _, c := range []string{"", "garbage", "s=a", "i=1;m=2", "s=a;;i=1", "t=", "t=1\n"} {
		if validCursor(c) {
			t.Errorf("validCursor(%q) = true, want false", c)
		}
	}
}

func TestLastBytes(t *testing.T) {
	l := &lastBytes{max: 5}
	for _, w := range []string{"ab", "cdef", "gh"} {
		l.Write([]byte(w))
	}
	if got := l.String(); got != "defgh" {
		t.Errorf("kept %q, want defgh", got)
	}
}
