package journald

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeEntry(t *testing.T) {
	// none is the Meta of an entry without any of its fields.
	none := Meta{Unit: "unknown", Priority: "unknown", Identifier: "unknown"}
	tests := []struct {
		name string
		line string
		want Entry
	}{
		{
			name: "string message",
			line: `{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456",` +
				`"MESSAGE":"hello \"you\"\n\u00e9","PRIORITY":"4","SYSLOG_IDENTIFIER":"sshd",` +
				`"_SYSTEMD_UNIT":"ssh.service","_HOSTNAME":"web1"}`,
			want: Entry{Cursor: "s=1;i=2", Time: 1700000000123, Message: []byte("hello \"you\"\né"),
				Meta: Meta{Unit: "ssh.service", Priority: "warning", Identifier: "sshd", Hostname: "web1"}},
		},
		{
			name: "byte array message with invalid UTF-8",
			line: `{"MESSAGE":[98,97,100,32,255,254,10,120],"_TRANSPORT":"kernel","PRIORITY":"3",` +
				`"SYSLOG_IDENTIFIER":"kernel"}`,
			want: Entry{Message: []byte("bad \xff\xfe\nx"),
				Meta: Meta{Unit: "kernel", Priority: "err", Identifier: "kernel"}},
		},
		{
			name: "message set twice, one binary",
			line: `{"MESSAGE":["one",[116,119,111],null,""]}`,
			want: Entry{Message: []byte("one\ntwo\n\n"), Meta: none},
		},
		{
			name: "missing fields",
			line: `{"__CURSOR":"s=1;i=3"}`,
			want: Entry{Cursor: "s=1;i=3", Meta: none},
		},
		{
			name: "null message, bad timestamp and priority, identifier from _COMM",
			line: `{"MESSAGE":null,"__REALTIME_TIMESTAMP":"soon","PRIORITY":"9","_COMM":"cron"}`,
			want: Entry{Meta: Meta{Unit: "cron", Priority: "unknown", Identifier: "cron"}},
		},
		{
			name: "empty byte array",
			line: `{"MESSAGE":[ ]}`,
			want: Entry{Message: []byte{}, Meta: none},
		},
		{
			name: "systemd about a unit",
			line: `{"MESSAGE":"Started x.","_PID":"1","UNIT":"x.service","_SYSTEMD_UNIT":"init.scope",` +
				`"SYSLOG_IDENTIFIER":"systemd"}`,
			want: Entry{Message: []byte("Started x."),
				Meta: Meta{Unit: "x.service", Priority: "unknown", Identifier: "systemd"}},
		},
		{
			name: "core dump of a unit",
			line: `{"MESSAGE":"dumped","_UID":"0","MESSAGE_ID":"fc2e22bc6ee647b6b90729ab34a250b1",` +
				`"COREDUMP_UNIT":"x.service","_SYSTEMD_UNIT":"systemd-coredump@0.service"}`,
			want: Entry{Message: []byte("dumped"), Meta: Meta{Unit: "x.service", Priority: "unknown",
				Identifier: "unknown"}},
		},
		{
			name: "UNIT from a process other than PID 1 is not trusted",
			line: `{"MESSAGE":"m","_PID":"42","UNIT":"x.service","_SYSTEMD_UNIT":"y.service"}`,
			want: Entry{Message: []byte("m"), Meta: Meta{Unit: "y.service", Priority: "unknown",
				Identifier: "unknown"}},
		},
	}
	for _, tt := range tests {
		got, err := decodeEntry([]byte(tt.line))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: entry differs (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	for _, line := range []string{
		``, `-- No entries --`, `null`, `[1,2]`, `"MESSAGE"`, `{"MESSAGE":"unterminated}`,
		`{"MESSAGE":[256]}`, `{"MESSAGE":[-1]}`, `{"MESSAGE":[1.5]}`, `{"MESSAGE":[1,"a"]}`,
		`{"MESSAGE":["a",1]}`, `{"MESSAGE":[["a"]]}`, `{"MESSAGE":true}`, `{"MESSAGE":{"a":1}}`,
		`{"MESSAGE":"a"} trailing`,
	} {
		if e, err := decodeEntry([]byte(line)); err == nil {
			t.Errorf("decodeEntry(%q) = %+v, want an error", line, e)
		}
	}
}

func FuzzEntry(f *testing.F) {
	for _, seed := range []string{
		`{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456","MESSAGE":"hi","PRIORITY":"6"}`,
		`{"MESSAGE":[98,97,100,255],"_TRANSPORT":"kernel"}`,
		`{"MESSAGE":["a",[98],null],"_PID":"1","UNIT":"x.service"}`,
		`{"MESSAGE":"\u0000\ud800x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := decodeEntry(line)
		if err != nil {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("decoded invalid JSON %q", line)
		}
		if e.Meta.Unit == "" || e.Meta.Priority == "" || e.Meta.Identifier == "" {
			t.Fatalf("empty placeholder in %+v", e.Meta)
		}
		if e.Time < 0 {
			t.Fatalf("negative time %d", e.Time)
		}
		// A plain string MESSAGE decodes to what encoding/json makes of it.
		var plain struct {
			MESSAGE *string
		}
		if utf8.Valid(line) && json.Unmarshal(line, &plain) == nil && plain.MESSAGE != nil {
			if string(e.Message) != *plain.MESSAGE {
				t.Fatalf("MESSAGE %q decoded as %q", *plain.MESSAGE, e.Message)
			}
		}
	})
}
