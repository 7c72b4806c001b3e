package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// cmpTemplates compares templates by their text; the parsed parts follow
// from it.
var cmpTemplates = cmp.Comparer(func(a, b Template) bool { return a.String() == b.String() })

func tmpl(s string, allowed []string) Template { return mustParseTemplate(s, allowed) }

// minimal is the smallest valid config.
const minimal = `
sources:
  - type: file
    paths: [/var/log/syslog]
`

// withDefaults is minimal with every default filled in.
func withDefaults() *Config {
	return &Config{
		StateDir:        "/var/lib/corral",
		ShutdownTimeout: Duration(10 * time.Second),
		Log:             Log{Level: "info", Format: "json"},
		Buffer:          Buffer{MaxBytes: 32 * MiB},
		CloudWatch: CloudWatch{
			LogGroup:       "/corral/{hostname}",
			LogStream:      "{file_name}",
			FlushInterval:  Duration(time.Second),
			MaxEventBytes:  1_048_550,
			Oversize:       OversizeSplit,
			Concurrency:    8,
			Compression:    "gzip",
			LogGroupClass:  "STANDARD",
			OversizeMarker: true,
			GroupTemplate:  tmpl("/corral/{hostname}", FilePlaceholders),
			StreamTemplate: tmpl("{file_name}", FilePlaceholders),
		},
		Enrich: Enrich{EC2: true, ECS: true, Timeout: Duration(2 * time.Second), ECSAgentURL: "http://127.0.0.1:51678"},
		Server: Server{Listen: "127.0.0.1:9880", UnhealthyAfter: Duration(5 * time.Minute)},
		Sources: []Source{{
			Type:                   SourceFile,
			Name:                   "file-0",
			Paths:                  []string{"/var/log/syslog"},
			StartAt:                StartBeginning,
			LogGroup:               "/corral/{hostname}",
			LogStream:              "{file_name}",
			PartialLineTimeout:     Duration(5 * time.Second),
			Oversize:               OversizeSplit,
			MaxOpenFiles:           1024,
			ForgetAfter:            Duration(24 * time.Hour),
			Encoding:               "utf-8",
			LogGroupClass:          "STANDARD",
			Group:                  GroupSettings{LogGroupClass: "STANDARD"},
			GroupTemplate:          tmpl("/corral/{hostname}", FilePlaceholders),
			StreamTemplate:         tmpl("{file_name}", FilePlaceholders),
			Parser:                 "none",
			Format:                 "raw",
			FallbackGroup:          "/corral/unrouted",
			FallbackStream:         "unrouted",
			FallbackGroupTemplate:  tmpl("/corral/unrouted", nil),
			FallbackStreamTemplate: tmpl("unrouted", nil),
		}},
	}
}

func TestParseFillsDefaults(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(*Config)
	}{
		{"minimal", minimal, func(*Config) {}},
		{"null values keep defaults", `
state_dir:
log: ~
cloudwatch:
  concurrency: null
aws:
  assume_role:
sources:
  - type: file
    paths: [/var/log/syslog]
    exclude:
`, func(*Config) {}},
		{"assume role defaults", `
aws:
  assume_role:
    role_arn: arn:aws:iam::123456789012:role/shipper
sources: [{type: file, paths: [/var/log/syslog]}]
`, func(c *Config) {
			c.AWS.AssumeRole = &AssumeRole{
				RoleARN:         "arn:aws:iam::123456789012:role/shipper",
				SessionName:     "corral-{hostname}",
				Duration:        Duration(time.Hour),
				SessionTemplate: tmpl("corral-{hostname}", HostPlaceholders),
			}
		}},
		{"sources inherit cloudwatch", `
cloudwatch:
  log_group: /logs/{hostname}
  log_stream: "{file_path}"
  oversize: truncate
sources:
  - type: file
    paths: [/var/log/syslog]
`, func(c *Config) {
			c.CloudWatch.LogGroup = "/logs/{hostname}"
			c.CloudWatch.GroupTemplate = tmpl("/logs/{hostname}", FilePlaceholders)
			c.CloudWatch.LogStream = "{file_path}"
			c.CloudWatch.StreamTemplate = tmpl("{file_path}", FilePlaceholders)
			c.CloudWatch.Oversize = OversizeTruncate
			s := &c.Sources[0]
			s.LogGroup, s.GroupTemplate = c.CloudWatch.LogGroup, c.CloudWatch.GroupTemplate
			s.LogStream, s.StreamTemplate = c.CloudWatch.LogStream, c.CloudWatch.StreamTemplate
			s.Oversize = OversizeTruncate
		}},
		{"default names count sources", `
sources:
  - {type: file, paths: [/file-0]}
  - {type: file, paths: [/mine], name: mine}
  - {type: file, paths: [/file-2]}
`, func(c *Config) {
			src := c.Sources[0]
			c.Sources = nil
			for _, name := range []string{"file-0", "mine", "file-2"} {
				src.Name, src.Paths = name, []string{"/" + name}
				c.Sources = append(c.Sources, src)
			}
		}},
		{"sizes and integers in other spellings", `
buffer: {max_bytes: 4194304}
cloudwatch: {max_event_bytes: 0x40000, concurrency: 1_6}
sources: [{type: file, paths: [/var/log/syslog]}]
`, func(c *Config) {
			c.Buffer.MaxBytes = 4 * MiB
			c.CloudWatch.MaxEventBytes = 262144
			c.CloudWatch.Concurrency = 16
		}},
		{"aliases", `
cloudwatch:
  log_group: &group /shared
sources:
  - type: file
    paths: &paths [/var/log/syslog]
    log_group: *group
  - type: file
    paths: *paths
`, func(c *Config) {
			c.CloudWatch.LogGroup = "/shared"
			c.CloudWatch.GroupTemplate = tmpl("/shared", FilePlaceholders)
			c.Sources[0].LogGroup = "/shared"
			c.Sources[0].GroupTemplate = c.CloudWatch.GroupTemplate
			second := c.Sources[0]
			second.Name = "file-1"
			c.Sources = append(c.Sources, second)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("corral.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := withDefaults()
			tt.want(want)
			if diff := cmp.Diff(want, got, cmpTemplates); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestS3Defaults checks the names an s3 source takes by its format: as
// the services' own deliveries do, CloudTrail to a group per account and
// a stream per region, flow logs to a stream per network interface.
func TestS3Defaults(t *testing.T) {
	cfg, err := Parse("corral.yaml", []byte(`sources:
  - {type: s3, parser: cloudtrail, sqs: {queue_url: "https://sqs.us-east-1.amazonaws.com/222222222222/ct"}}
  - {type: s3, parser: vpcflow, poll: {bucket: flows, prefix: AWSLogs/}}
  - {type: s3, poll: {bucket: apps}}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"/cloudtrail/{field.recipientAccountId}", "{field.awsRegion}"},
		{"/vpc-flow-logs/{field.account-id}", "{field.interface-id}"},
		{"/s3/{bucket}", "{key}"},
	}
	for i, w := range want {
		s := cfg.Sources[i]
		if got := [2]string{s.LogGroup, s.LogStream}; got != w {
			t.Errorf("source %d names %v, want %v", i, got, w)
		}
	}
	if s := cfg.Sources[0].SQS; s.VisibilityTimeout != Duration(time.Minute) || s.Workers != 3 {
		t.Errorf("sqs defaults %+v, want 1m and 3 workers", *s)
	}
	if p := cfg.Sources[1].Poll; p.Interval != Duration(time.Minute) || p.Window != Duration(24*time.Hour) {
		t.Errorf("poll defaults %+v, want 1m and 24h", *p)
	}
	if got := cfg.Sources[0].MaxObjectBytes; got != GiB {
		t.Errorf("max_object_bytes default %v, want 1GiB", got)
	}
	if cfg.Sources[2].Parser != ParserLines || cfg.Sources[2].Name != "s3-2" {
		t.Errorf("third source parser %q name %q, want lines and s3-2", cfg.Sources[2].Parser, cfg.Sources[2].Name)
	}
}

func TestLoadFull(t *testing.T) {
	got, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		StateDir:        "/var/lib/corral",
		ShutdownTimeout: Duration(10 * time.Second),
		Log:             Log{Level: "info", Format: "json"},
		AWS: AWS{
			Region:      "us-east-1",
			EndpointURL: "http://127.0.0.1:5000",
			AssumeRole: &AssumeRole{
				RoleARN:         "arn:aws:iam::222222222222:role/corral-shipper",
				ExternalID:      "example-external-id",
				SessionName:     "corral-{hostname}",
				Duration:        Duration(time.Hour),
				SessionTemplate: tmpl("corral-{hostname}", HostPlaceholders),
			},
		},
		Buffer: Buffer{MaxBytes: 32 * MiB},
		CloudWatch: CloudWatch{
			LogGroup:       "/corral/{hostname}",
			LogStream:      "{file_name}",
			FlushInterval:  Duration(time.Second),
			MaxEventBytes:  1_048_550,
			Oversize:       OversizeSplit,
			Concurrency:    8,
			Compression:    "gzip",
			LogGroupClass:  "STANDARD",
			OversizeMarker: true,
			GroupTemplate:  tmpl("/corral/{hostname}", FilePlaceholders),
			StreamTemplate: tmpl("{file_name}", FilePlaceholders),
		},
		Sources: []Source{{
			Type:               SourceFile,
			Name:               "app",
			Paths:              []string{"/var/log/*.log", "/var/log/apt/**/*.log"},
			Exclude:            []string{"*.gz", "*.[0-9]"},
			StartAt:            StartBeginning,
			LogGroup:           "/corral/system",
			LogStream:          "{hostname}/{file_name}",
			PartialLineTimeout: Duration(5 * time.Second),
			Oversize:           OversizeSplit,
			MaxOpenFiles:       1024,
			ForgetAfter:        Duration(24 * time.Hour),
			Encoding:           "utf-8",
			LogGroupClass:      "STANDARD",
			Group:              GroupSettings{LogGroupClass: "STANDARD"},
			GroupTemplate:      tmpl("/corral/system", FilePlaceholders),
			StreamTemplate:     tmpl("{hostname}/{file_name}", FilePlaceholders),
			Parser:             "json",
			Format:             "json",
			Timestamp:          &Timestamp{Field: "ts", Format: "rfc3339", Timezone: "UTC"},
			IncludeLines:       []string{`"level"`},
			ExcludeLines:       []string{"healthcheck"},
			Labels:             map[string]string{"service": "checkout"},
			MergedLabels:       map[string]string{"service": "checkout", "team": "payments"},
			FallbackGroup:      "/corral/unrouted",
			FallbackStream:     "unrouted",

			FallbackGroupTemplate:  tmpl("/corral/unrouted", nil),
			FallbackStreamTemplate: tmpl("unrouted", nil),
		}},
		Enrich: Enrich{EC2: true, ECS: true, Timeout: Duration(2 * time.Second), ECSAgentURL: "http://127.0.0.1:51678"},
		Server: Server{Listen: "127.0.0.1:9880", UnhealthyAfter: Duration(5 * time.Minute)},
		Redact: Redact{Disable: []string{"jwt"},
			Rules: []RedactRule{{Name: "ticket", Pattern: "TICKET-[0-9]+", Replacement: "[ticket]"}}},
		Labels: map[string]string{"team": "payments"},
	}
	if diff := cmp.Diff(want, got, cmpTemplates); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

// TestMarshalRoundTrip checks that a parsed config, marshalled back to
// YAML, parses to the same config: what `corral validate` could print is
// itself a valid config.
func TestMarshalRoundTrip(t *testing.T) {
	full, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defaults, err := Parse("minimal.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for name, cfg := range map[string]*Config{"full": full, "defaults": defaults} {
		t.Run(name, func(t *testing.T) {
			out, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := Parse("out.yaml", out)
			if err != nil {
				t.Fatalf("Parse of marshalled config: %v\n%s", err, out)
			}
			if diff := cmp.Diff(cfg, got, cmpTemplates); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "corral.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: got %v, want fs.ErrNotExist", err)
	}
	var problems Errors
	if errors.As(err, &problems) {
		t.Errorf("Load of a missing file returned Errors %v, want a read error", problems)
	}
}

func TestLoadNamesFileAsGiven(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad.yaml"))
	want := filepath.Join("testdata", "bad.yaml") + ":2: cloudwatch: unknown key \"flush_intervall\", did you mean \"flush_interval\"?"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load error:\ngot  %v\nwant prefix %s", err, want)
	}
}

// problems parses src and returns its problems formatted, one per line.
func problems(t *testing.T, src string) []string {
	t.Helper()
	cfg, err := Parse("corral.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded, want problems; got %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config with its problems")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error %T %v, want Errors", err, err)
	}
	return strings.Split(errs.Error(), "\n")
}

func TestMultipleProblemsAtOnce(t *testing.T) {
	src := `state_dir: /var/lib/corral
cloudwatch:
  flush_intervall: 1s
  concurrency: many
sources:
  - type: file
    paths: []
`
	want := []string{
		`corral.yaml:3: cloudwatch: unknown key "flush_intervall", did you mean "flush_interval"?`,
		`corral.yaml:4: cloudwatch.concurrency: want an integer, got "many"`,
		`corral.yaml:7: sources[0].paths: must not be empty`,
	}
	if diff := cmp.Diff(want, problems(t, src)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestJournaldSourceDefaults(t *testing.T) {
	cfg, err := Parse("corral.yaml", []byte("sources:\n  - type: journald\n    units: [ssh.service]\n    priority: warning\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.Name != "journald-0" || s.LogGroup != "/corral/{hostname}" || s.LogStream != "{unit}" {
		t.Errorf("journald defaults: name %q, group %q, stream %q; want journald-0, /corral/{hostname}, {unit}",
			s.Name, s.LogGroup, s.LogStream)
	}
	got := s.StreamTemplate.Expand(func(n string) string { return map[string]string{"unit": "ssh.service"}[n] })
	if got != "ssh.service" {
		t.Errorf("stream = %q, want ssh.service", got)
	}
}

func TestMultilineDefaults(t *testing.T) {
	cfg, err := Parse("corral.yaml", []byte("sources:\n  - type: file\n    paths: [/x]\n    multiline:\n      preset: java\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Sources[0].Multiline
	want := &Multiline{Preset: "java", Timeout: Duration(time.Second), MaxLines: 500, MaxBytes: 1_048_550}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("multiline (-want +got):\n%s", diff)
	}
}

func TestBooleansAndTheirErrors(t *testing.T) {
	cfg, err := Parse("corral.yaml", []byte("sources:\n  - type: journald\n    include_kernel: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Sources[0].IncludeKernel {
		t.Error("include_kernel: true decoded as false")
	}
	_, err = Parse("corral.yaml", []byte("sources:\n  - type: journald\n    include_kernel: maybe\n"))
	if err == nil || !strings.Contains(err.Error(), `corral.yaml:3: sources[0].include_kernel: want true or false, got "maybe"`) {
		t.Errorf("error = %v", err)
	}
}

func TestGroupSettingsInheritAndOverride(t *testing.T) {
	cfg, err := Parse("corral.yaml", []byte(`cloudwatch:
  retention_days: 30
  tags: {team: platform}
  deletion_protection: true
  manage_retention: true
sources:
  - paths: [/a]
  - paths: [/b]
    retention_days: 365
    log_group_class: INFREQUENT_ACCESS
    deletion_protection: false
    kms_key_id: arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupSettings{
		{RetentionDays: 30, Tags: map[string]string{"team": "platform"}, LogGroupClass: "STANDARD",
			DeletionProtection: true, ManageRetention: true},
		{RetentionDays: 365, Tags: map[string]string{"team": "platform"}, LogGroupClass: "INFREQUENT_ACCESS",
			KMSKeyID: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab", ManageRetention: true},
	}
	for i, w := range want {
		if diff := cmp.Diff(w, cfg.Sources[i].Group); diff != "" {
			t.Errorf("source %d group settings (-want +got):\n%s", i, diff)
		}
	}
}
