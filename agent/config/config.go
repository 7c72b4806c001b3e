// Package config loads corral's YAML configuration.
//
// Parse is strict: it reports every problem in a file at once, each with
// the file, the line, the key path and a reason, so an operator fixes a bad
// config in one round. A key that is absent, or null, takes its default; a
// value that is written is validated, so an explicit zero where zero makes
// no sense is an error rather than a silent default. After Parse every
// default is filled in and every name template is parsed: callers never
// check for zero values and never parse templates again.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/corral-logs/corral/parsers/redact"
)

// Config is corral's configuration.
type Config struct {
	// StateDir holds checkpoints. Default /var/lib/corral.
	StateDir string `yaml:"state_dir"`
	// ShutdownTimeout bounds the drain on shutdown. Default 10s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`

	Log        Log        `yaml:"log"`
	AWS        AWS        `yaml:"aws"`
	Buffer     Buffer     `yaml:"buffer"`
	CloudWatch CloudWatch `yaml:"cloudwatch"`
	Enrich     Enrich     `yaml:"enrich"`
	Server     Server     `yaml:"server"`
	Redact     Redact     `yaml:"redact"`
	// Labels are static key-value pairs added to every JSON envelope;
	// a source's labels add to and override them. Optional.
	Labels  map[string]string `yaml:"labels,omitempty"`
	Sources []Source          `yaml:"sources"`
}

// DefaultPath is where the commands look for the config file when they
// are given none.
const DefaultPath = "/etc/corral/corral.yaml"

// ServerOff as server.listen turns the endpoints off.
const ServerOff = "off"

// Server configures the metrics and health endpoints.
type Server struct {
	// Listen is the address of /metrics, /healthz and /readyz, or "off".
	// Default 127.0.0.1:9880: loopback only.
	Listen string `yaml:"listen"`
	// UnhealthyAfter is how long nothing may be delivered while events
	// wait before /healthz fails. Default 5m.
	UnhealthyAfter Duration `yaml:"unhealthy_after"`
}

// Enrich configures what corral learns about where it runs.
type Enrich struct {
	// EC2 reads the instance identity through IMDSv2. Default true.
	EC2 bool `yaml:"ec2"`
	// ECS reads the task metadata endpoint v4 when corral runs in a task,
	// and the ECS agent's introspection API for Docker log files of other
	// containers. Default true.
	ECS bool `yaml:"ecs"`
	// Timeout bounds the whole discovery at start. Default 2s, at most 10s.
	Timeout Duration `yaml:"timeout"`
	// ECSAgentURL is the ECS agent's introspection API, which names the
	// task of each container whose Docker log file corral reads. Default
	// http://127.0.0.1:51678.
	ECSAgentURL string `yaml:"ecs_agent_url"`
}

// Redact configures the redaction of secrets in events, which is on by
// default.
type Redact struct {
	// Disable names built-in rules to turn off. Optional.
	Disable []string `yaml:"disable,omitempty"`
	// Rules are the user's own rules, applied after the built-in ones.
	Rules []RedactRule `yaml:"rules,omitempty"`
}

// RedactRule is a user redaction rule.
type RedactRule struct {
	// Name names the rule in [REDACTED:<name>] and in metrics. Required,
	// unique, letters, digits and _.
	Name string `yaml:"name"`
	// Pattern is a regular expression (RE2). Required.
	Pattern string `yaml:"pattern"`
	// Replacement replaces each match; $1 or ${name} refer to groups.
	// Default [REDACTED:<name>].
	Replacement string `yaml:"replacement,omitempty"`
}

// Log configures the agent's own logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is json or console. Default json.
	Format string `yaml:"format"`
}

// AWS configures how corral reaches AWS.
type AWS struct {
	// Region is the AWS region. Default empty: the SDK's chain decides
	// (AWS_REGION, the shared config, instance metadata).
	Region string `yaml:"region,omitempty"`
	// EndpointURL overrides the service endpoints, for an emulator.
	// Optional; an absolute http or https URL.
	EndpointURL string `yaml:"endpoint_url,omitempty"`
	// AssumeRole, when set, is the role in the logs account to assume.
	AssumeRole *AssumeRole `yaml:"assume_role,omitempty"`
}

// AssumeRole configures the role corral assumes in the logs account.
type AssumeRole struct {
	// RoleARN is the role to assume. Required.
	RoleARN string `yaml:"role_arn"`
	// ExternalID is passed to STS. Optional.
	ExternalID string `yaml:"external_id,omitempty"`
	// SessionName is a template over HostPlaceholders. Default
	// corral-{hostname}.
	SessionName string `yaml:"session_name"`
	// Duration is how long assumed credentials last. Default 1h, 15m to 12h.
	Duration Duration `yaml:"duration"`

	// SessionTemplate is SessionName parsed.
	SessionTemplate Template `yaml:"-"`
}

// maxSessionName is STS's limit on RoleSessionName (AssumeRole API
// reference: 2 to 64 of [\w+=,.@-]).
const maxSessionName = 64

// Session returns the role session name, its template expanded with
// lookup and fitted to STS's rules: other characters become '-', it is cut
// to 64 and padded to 2. corral and doctor ask with the same name.
func (r *AssumeRole) Session(lookup func(string) string) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_+=,.@-", r)) {
			return r
		}
		return '-'
	}, r.SessionTemplate.Expand(lookup))
	s = s[:min(len(s), maxSessionName)]
	for len(s) < 2 {
		s += "-"
	}
	return s
}

// Buffer configures the byte budget between reading and acknowledgement.
type Buffer struct {
	// MaxBytes is the budget. Default 32MiB, at least 2MiB.
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// CloudWatch configures delivery to CloudWatch Logs and the defaults that
// sources inherit.
type CloudWatch struct {
	// LogGroup is a template over FilePlaceholders. Default
	// /corral/{hostname}.
	LogGroup string `yaml:"log_group"`
	// LogStream is a template over FilePlaceholders. Default {file_name}.
	LogStream string `yaml:"log_stream"`
	// FlushInterval is the longest an event waits in a batch. Default 1s,
	// 100ms to 1m.
	FlushInterval Duration `yaml:"flush_interval"`
	// MaxEventBytes is the largest event message sent. Default 1,048,550,
	// 16 to 1,048,550; lower it for services that accept less.
	MaxEventBytes int `yaml:"max_event_bytes"`
	// Oversize says what happens to a longer message. Default split.
	Oversize Oversize `yaml:"oversize"`
	// OversizeMarker ends each piece of a split message but the last with
	// "...[continued]", and a truncated one with "...[truncated]". Turn it
	// off for pieces that keep the exact bytes. Default true.
	OversizeMarker bool `yaml:"oversize_marker"`
	// Concurrency is the number of requests in flight. Default 8, 1 to 64.
	Concurrency int `yaml:"concurrency"`
	// Compression is how request bodies go on the wire: gzip (sent
	// compressed when that makes them smaller) or none. Default gzip.
	Compression string `yaml:"compression"`

	// Settings of the log groups corral creates; a source may override
	// each. Existing groups are left as they are, except their retention
	// with ManageRetention.
	//
	// RetentionDays is the retention of created groups, one of the values
	// the service accepts. Default 0: never expire.
	RetentionDays int `yaml:"retention_days"`
	// KMSKeyID is the ARN of a KMS key to encrypt created groups. Optional.
	KMSKeyID string `yaml:"kms_key_id,omitempty"`
	// Tags are set on created groups. Optional.
	Tags map[string]string `yaml:"tags,omitempty"`
	// LogGroupClass is STANDARD or INFREQUENT_ACCESS. Default STANDARD.
	LogGroupClass string `yaml:"log_group_class"`
	// DeletionProtection protects created groups from deletion. Default
	// false.
	DeletionProtection bool `yaml:"deletion_protection"`
	// ManageRetention sets the retention of existing groups to
	// RetentionDays too. Default false.
	ManageRetention bool `yaml:"manage_retention"`

	// GroupTemplate is LogGroup parsed.
	GroupTemplate Template `yaml:"-"`
	// StreamTemplate is LogStream parsed.
	StreamTemplate Template `yaml:"-"`
}

// Oversize is what happens to an event longer than MaxEventBytes.
type Oversize string

// Oversize values.
const (
	// OversizeSplit sends the event as several events.
	OversizeSplit Oversize = "split"
	// OversizeTruncate sends the start of the event and drops the rest.
	OversizeTruncate Oversize = "truncate"
)

// SourceType is the kind of a source.
type SourceType string

// Source types.
const (
	// SourceFile tails files matched by glob patterns.
	SourceFile SourceType = "file"
	// SourceJournald reads the systemd journal.
	SourceJournald SourceType = "journald"
	// SourceS3 reads objects from S3, announced through SQS or listed.
	SourceS3 SourceType = "s3"
)

// Parser names.
const (
	ParserNone   = "none"
	ParserJSON   = "json"
	ParserLogfmt = "logfmt"
	ParserRegex  = "regex"
	ParserSyslog = "syslog"
	ParserCRI    = "cri"
	ParserDocker = "docker"
	ParserNginx  = "nginx"
	ParserApache = "apache"
	FormatRaw    = "raw"
	FormatJSON   = "json"
)

// Object formats of s3 sources.
const (
	ParserCloudTrail = "cloudtrail"
	ParserVPCFlow    = "vpcflow"
	ParserLines      = "lines"
)

// Parsers are the parser names a file or journald source may use.
var Parsers = []string{ParserNone, ParserJSON, ParserLogfmt, ParserRegex, ParserSyslog,
	ParserCRI, ParserDocker, ParserNginx, ParserApache}

// S3Parsers are the parser names an s3 source may use: an object format,
// or lines read with a line parser.
var S3Parsers = append([]string{ParserCloudTrail, ParserVPCFlow, ParserLines}, Parsers[1:]...)

// BuiltinRedactions are the names of the built-in redaction rules, which
// redact.disable may name.
var BuiltinRedactions = builtinRedactions()

func builtinRedactions() []string {
	var names []string
	for _, r := range redact.Builtin() {
		names = append(names, r.Name)
	}
	return names
}

// StartAt is where a source starts reading a file it has no checkpoint for.
type StartAt string

// StartAt values.
const (
	// StartBeginning reads a new file from its first byte.
	StartBeginning StartAt = "beginning"
	// StartEnd reads only what is written after the file is found.
	StartEnd StartAt = "end"
)

// Source is one place corral reads logs from.
type Source struct {
	// Type is the kind of source: file or journald. Default file.
	Type SourceType `yaml:"type"`
	// Name identifies the source in checkpoints, metrics and logs. Default
	// "<type>-<index>", such as file-0; unique; letters, digits, '.', '_'
	// and '-'.
	Name string `yaml:"name"`
	// Paths are absolute doublestar glob patterns of files to read.
	// Required, not empty.
	Paths []string `yaml:"paths"`
	// Exclude are glob patterns of files to skip; a pattern without "/"
	// matches the file's base name. Optional.
	Exclude []string `yaml:"exclude,omitempty"`
	// StartAt is where to start a file without a checkpoint. Default
	// beginning.
	StartAt StartAt `yaml:"start_at"`
	// LogGroup is a template over FilePlaceholders. Default
	// cloudwatch.log_group.
	LogGroup string `yaml:"log_group"`
	// LogStream is a template over FilePlaceholders. Default
	// cloudwatch.log_stream.
	LogStream string `yaml:"log_stream"`
	// PartialLineTimeout is how long a line without its newline waits
	// before it is sent as it is. Default 5s.
	PartialLineTimeout Duration `yaml:"partial_line_timeout"`
	// Oversize says what happens to an event that is too long. Default
	// cloudwatch.oversize.
	Oversize Oversize `yaml:"oversize"`
	// MaxOpenFiles caps the descriptors a file source holds; files beyond
	// it are read in turns. Default 1024.
	MaxOpenFiles int `yaml:"max_open_files"`
	// ForgetAfter is how long the checkpoint of a file that no longer
	// exists is kept. Default 24h.
	ForgetAfter Duration `yaml:"forget_after"`
	// Encoding is the files' text encoding: utf-8, latin1, utf-16le or
	// utf-16be. Default utf-8.
	Encoding string `yaml:"encoding"`
	// Multiline groups lines into events, such as stack traces. Optional.
	Multiline *Multiline `yaml:"multiline,omitempty"`
	// Timestamp reads each event's time from a parsed field, or from the
	// start of its line. Optional; without it, the time the parser found,
	// else the time the line was read.
	Timestamp *Timestamp `yaml:"timestamp,omitempty"`

	// Parser turns each event into fields: none, json, logfmt, regex,
	// syslog, cri, docker, nginx or apache. Default none. An s3 source
	// takes cloudtrail, vpcflow or lines too (its default: lines).
	Parser string `yaml:"parser"`
	// Pattern is the regular expression of the regex parser; its named
	// groups become fields. Required with parser regex.
	Pattern string `yaml:"pattern,omitempty"`
	// Format is raw (the line as it was) or json (an envelope with the
	// message, the parsed fields and metadata). Default raw.
	Format string `yaml:"format"`
	// IncludeLines keeps only events matching one of these regular
	// expressions; ExcludeLines drops events matching one. What they drop
	// is counted. Optional.
	IncludeLines []string `yaml:"include_lines,omitempty"`
	ExcludeLines []string `yaml:"exclude_lines,omitempty"`
	// Labels add to and override the top-level labels. Optional.
	Labels map[string]string `yaml:"labels,omitempty"`
	// FallbackGroup and FallbackStream take the place of a group or stream
	// template that names a field the event lacks. Defaults
	// /corral/unrouted and unrouted; templates without field placeholders.
	FallbackGroup  string `yaml:"fallback_group"`
	FallbackStream string `yaml:"fallback_stream"`

	// Units are the systemd units a journald source reads. Default: all.
	Units []string `yaml:"units,omitempty"`
	// Priority is the least important journal priority read, a name
	// (emerg, alert, crit, err, warning, notice, info, debug) or 0 to 7.
	// Default: all.
	Priority string `yaml:"priority,omitempty"`
	// Directory is a journal directory to read instead of the system's.
	// Optional, absolute.
	Directory string `yaml:"directory,omitempty"`
	// IncludeKernel adds kernel messages when Units is set. Default false.
	IncludeKernel bool `yaml:"include_kernel,omitempty"`

	// SQS is the queue an s3 source learns of new objects from; Poll lists
	// a bucket's prefix instead. Exactly one of them.
	SQS  *SQS  `yaml:"sqs,omitempty"`
	Poll *Poll `yaml:"poll,omitempty"`
	// Insights also reads CloudTrail Insights files. Default false.
	Insights bool `yaml:"insights,omitempty"`
	// MaxObjectBytes caps the decompressed bytes read from one object; a
	// larger one (a gzip bomb, say) fails and is left for the dead-letter
	// queue. Default 1GiB, at least 1MiB.
	MaxObjectBytes ByteSize `yaml:"max_object_bytes,omitempty"`

	// Overrides of the cloudwatch group settings for this source's groups,
	// and of the role to assume. Each defaults to the cloudwatch or aws one.
	RetentionDays      int               `yaml:"retention_days,omitempty"`
	KMSKeyID           string            `yaml:"kms_key_id,omitempty"`
	Tags               map[string]string `yaml:"tags,omitempty"`
	LogGroupClass      string            `yaml:"log_group_class,omitempty"`
	DeletionProtection *bool             `yaml:"deletion_protection,omitempty"`
	AssumeRole         *AssumeRole       `yaml:"assume_role,omitempty"`

	// Group is the resolved group settings of this source.
	Group GroupSettings `yaml:"-"`

	// GroupTemplate is LogGroup parsed.
	GroupTemplate Template `yaml:"-"`
	// StreamTemplate is LogStream parsed.
	StreamTemplate Template `yaml:"-"`
	// FallbackGroupTemplate and FallbackStreamTemplate are the fallbacks
	// parsed.
	FallbackGroupTemplate  Template `yaml:"-"`
	FallbackStreamTemplate Template `yaml:"-"`
	// MergedLabels are the top-level labels with the source's over them.
	MergedLabels map[string]string `yaml:"-"`
}

// SQS configures the queue of an s3 source.
type SQS struct {
	// QueueURL is the queue's URL. Required.
	QueueURL string `yaml:"queue_url"`
	// VisibilityTimeout hides a received message from other workers; it
	// is extended while the message is in work. Default 60s, 5s to 12h.
	VisibilityTimeout Duration `yaml:"visibility_timeout"`
	// Workers is how many objects one corral reads at once. Default 3,
	// 1 to 64.
	Workers int `yaml:"workers"`
}

// Poll configures an s3 source that lists a prefix.
type Poll struct {
	// Bucket is the bucket's name. Required.
	Bucket string `yaml:"bucket"`
	// Prefix limits the listing. Optional.
	Prefix string `yaml:"prefix,omitempty"`
	// Interval is the time between listings. Default 1m, at least 1s.
	Interval Duration `yaml:"interval"`
	// Window is how long a key read is remembered, and how old an object
	// may be to be read. Default 24h.
	Window Duration `yaml:"window"`
}

// GroupSettings are what corral sets on a log group it creates.
type GroupSettings struct {
	RetentionDays      int
	KMSKeyID           string
	Tags               map[string]string
	LogGroupClass      string
	DeletionProtection bool
	ManageRetention    bool
}

// Timestamp says how to read an event's time.
type Timestamp struct {
	// Field is the parsed field holding the time. Optional; without it
	// the time is read from the start of the line.
	Field string `yaml:"field,omitempty"`
	// Format is rfc3339, rfc3339nano, unix, unix_ms, syslog or a Go
	// layout such as "2006-01-02 15:04:05.000". Required without Field;
	// default rfc3339 with it.
	Format string `yaml:"format"`
	// Timezone is an IANA zone for formats without one. Default UTC.
	Timezone string `yaml:"timezone"`
}

// Multiline configures how lines are grouped into one event. Set Preset,
// or Start and/or Continue.
type Multiline struct {
	// Preset is a built-in rule: java, python or go.
	Preset string `yaml:"preset,omitempty"`
	// Start is a regular expression (RE2) matching the first line of an
	// event.
	Start string `yaml:"start,omitempty"`
	// Continue is a regular expression matching lines that continue an
	// open event.
	Continue string `yaml:"continue,omitempty"`
	// Timeout is how long an open event waits for more lines. Default 1s.
	Timeout Duration `yaml:"timeout"`
	// MaxLines caps the lines of one event. Default 500.
	MaxLines int `yaml:"max_lines"`
	// MaxBytes caps the bytes of one event. Default: max_event_bytes.
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// Load reads and parses the file at path. Problems name the file by path
// as given, so that with several configs the one at fault is plain. An
// error reading the file is returned wrapped; problems in its content are
// returned as Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses, fills in defaults and validates the YAML in data, naming
// file in problems. It returns either a complete Config or Errors holding
// every problem found.
func Parse(file string, data []byte) (*Config, error) {
	root, syntax := parseYAML(file, data)
	if syntax != nil {
		return nil, Errors{*syntax}
	}
	cfg := new(Config)
	d := newDecoder(file)
	if root != nil {
		d.decode(root, cfg)
	}
	check(cfg, d)
	if len(d.problems) > 0 {
		d.problems.sortByLine()
		return nil, d.problems
	}
	return cfg, nil
}

// parseYAML parses data into a node tree. It returns a nil node for a file
// without content, and a problem for bad YAML or a second document.
func parseYAML(file string, data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxProblem(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Problem{File: file, Line: next.Line,
			Reason: "want one YAML document, found a second"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxProblem(file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var (
	yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchor    = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// syntaxProblem turns a YAML syntax error into a problem at the line yaml
// reports.
func syntaxProblem(file string, data []byte, err error) *Problem {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Problem{File: file, Line: line, Reason: m[2]}
	}
	p := &Problem{File: file, Line: 1, Reason: strings.TrimPrefix(msg, "yaml: ")}
	// yaml counts lines from 0 internally and leaves out "line 0", so a
	// syntax error without a line is on the first line. An unknown anchor
	// is not a syntax error and carries no line; find its first use.
	if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		p.Line = 0
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			p.Line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
	}
	return p
}
