package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/corral-logs/corral/parsers/timestamp"
	"github.com/corral-logs/corral/pipeline"
)

// Defaults and limits. Each default is the value a field takes when its
// key is absent; each limit bounds a value that is written.
const (
	defaultStateDir        = "/var/lib/corral"
	defaultShutdownTimeout = 10 * time.Second

	defaultLogLevel  = "info"
	defaultLogFormat = "json"

	defaultSessionName = "corral-{hostname}"
	// STS AssumeRole takes an ExternalId of 2 to 1224 characters.
	minExternalIDLen = 2
	maxExternalIDLen = 1224
	// STS AssumeRole accepts DurationSeconds from 900 (15m) up to the
	// role's maximum session duration, at most 43,200 (12h).
	defaultRoleDuration = time.Hour
	minRoleDuration     = 15 * time.Minute
	maxRoleDuration     = 12 * time.Hour

	defaultMaxOpenFiles = 1024
	maxMaxOpenFiles     = 1 << 20
	defaultForgetAfter  = 24 * time.Hour
	defaultEncoding     = "utf-8"

	defaultMultilineTimeout = time.Second
	defaultMultilineLines   = 500
	maxMultilineLines       = 100_000

	defaultJournalStream = "{unit}"
	defaultLogGroupClass = "STANDARD"

	defaultBufferBytes = 32 * MiB
	// minBufferBytes holds one full PutLogEvents request (1 MiB) while the
	// next one fills.
	minBufferBytes = 2 * MiB

	defaultLogGroup      = "/corral/{hostname}"
	defaultLogStream     = "{file_name}"
	defaultFlushInterval = time.Second
	minFlushInterval     = 100 * time.Millisecond
	maxFlushInterval     = time.Minute
	// maxEventBytes is the largest message that fits a PutLogEvents
	// request with its per-event overhead.
	maxEventBytes        = pipeline.MaxEventBytes
	defaultMaxEventBytes = maxEventBytes
	// minEventBytes leaves room for any UTF-8 sequence, so a cut always
	// makes progress.
	minEventBytes      = 16
	defaultOversize    = OversizeSplit
	defaultConcurrency = 8
	maxConcurrency     = 64

	defaultListen         = "127.0.0.1:9880"
	defaultUnhealthyAfter = 5 * time.Minute

	defaultEnrichTimeout = 2 * time.Second
	defaultECSAgentURL   = "http://127.0.0.1:51678"
	maxEnrichTimeout     = 10 * time.Second

	defaultParser         = ParserNone
	defaultFormat         = FormatRaw
	defaultFallbackGroup  = "/corral/unrouted"
	defaultFallbackStream = "unrouted"

	defaultStartAt            = StartBeginning
	defaultPartialLineTimeout = 5 * time.Second
	maxSourceNameLen          = 64
)

var (
	// roleARN is the shape of an IAM role ARN in any partition; a role
	// name may have a path.
	roleARN = regexp.MustCompile(`^arn:aws[-a-z]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	// externalID is the characters STS allows in ExternalId.
	externalID = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	// sessionNameText is what STS allows in RoleSessionName, for the
	// literal text of the session name template.
	sessionNameText = regexp.MustCompile(`^[\w+=,.@-]*$`)
	// region is the shape of every AWS region name: us-east-1,
	// us-gov-west-1, eu-isoe-west-1.
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// sourceName keeps source names safe in file names and metric labels.
	sourceName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	// ruleName keeps redaction rule names safe in messages and metric
	// labels.
	ruleName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// checker validates a decoded Config and fills in its defaults, adding its
// problems to the decoder's. A key that was not written (or was null) takes
// its default; a written value is checked.
type checker struct {
	*decoder
}

// check validates cfg, filling in defaults, and adds the problems to d.
func check(cfg *Config, d *decoder) {
	c := checker{d}
	if !c.set("state_dir") {
		cfg.StateDir = defaultStateDir
	} else if !path.IsAbs(cfg.StateDir) {
		c.add("state_dir", "must be an absolute path, got %s", quote(cfg.StateDir))
	}
	c.positive(&cfg.ShutdownTimeout, "shutdown_timeout", defaultShutdownTimeout)
	c.oneOf(&cfg.Log.Level, "log.level", "level", defaultLogLevel, "debug", "info", "warn", "error")
	c.oneOf(&cfg.Log.Format, "log.format", "format", defaultLogFormat, "json", "console")
	c.aws(&cfg.AWS)
	c.byteSize(&cfg.Buffer.MaxBytes, "buffer.max_bytes", defaultBufferBytes, minBufferBytes)
	c.cloudWatch(&cfg.CloudWatch)
	c.enrich(&cfg.Enrich)
	c.server(&cfg.Server)
	c.redact(&cfg.Redact)
	c.labels(cfg.Labels, "labels")
	c.sources(cfg)
}

func (c *checker) server(s *Server) {
	if !c.set("server.listen") {
		s.Listen = defaultListen
	} else if s.Listen != ServerOff {
		if _, port, err := net.SplitHostPort(s.Listen); err != nil || port == "" {
			c.add("server.listen", "want host:port like %q, or %q, got %s", defaultListen, ServerOff, quote(s.Listen))
		}
	}
	c.positive(&s.UnhealthyAfter, "server.unhealthy_after", defaultUnhealthyAfter)
}

func (c *checker) enrich(e *Enrich) {
	if !c.set("enrich.ec2") {
		e.EC2 = true
	}
	if !c.set("enrich.ecs") {
		e.ECS = true
	}
	c.duration(&e.Timeout, "enrich.timeout", defaultEnrichTimeout, time.Millisecond, maxEnrichTimeout)
	if !c.set("enrich.ecs_agent_url") {
		e.ECSAgentURL = defaultECSAgentURL
	} else if u, err := url.Parse(e.ECSAgentURL); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		c.add("enrich.ecs_agent_url", "must be an absolute http(s) URL, got %s", quote(e.ECSAgentURL))
	}
}

func (c *checker) redact(r *Redact) {
	for j, name := range r.Disable {
		if !slices.Contains(BuiltinRedactions, name) {
			c.add("redact.disable["+strconv.Itoa(j)+"]", "unknown built-in rule %s (want %s)",
				quote(name), orList(BuiltinRedactions))
		}
	}
	seen := make(map[string]bool)
	for j := range r.Rules {
		rule := &r.Rules[j]
		p := "redact.rules[" + strconv.Itoa(j) + "]"
		switch {
		case !c.set(p + ".name"):
			c.add(p+".name", "required")
		case !ruleName.MatchString(rule.Name):
			c.add(p+".name", "must be 1 to 64 letters, digits or _, got %s", quote(rule.Name))
		case seen[rule.Name] || slices.Contains(BuiltinRedactions, rule.Name):
			c.add(p+".name", "duplicate rule name %s", quote(rule.Name))
		}
		seen[rule.Name] = true
		c.regexp(rule.Pattern, p+".pattern", true)
	}
}

// labels checks static labels: keys are not empty.
func (c *checker) labels(labels map[string]string, p string) {
	for k := range labels {
		if k == "" {
			c.add(p, "label keys must not be empty")
		}
	}
}

// regexp checks a written regular expression at path.
func (c *checker) regexp(expr, path string, required bool) {
	switch {
	case !c.set(path):
		if required {
			c.add(path, "required")
		}
	case expr == "":
		c.add(path, "must not be empty")
	default:
		if _, err := regexp.Compile(expr); err != nil {
			c.add(path, "invalid regular expression: %v", err)
		}
	}
}

func (c *checker) aws(a *AWS) {
	if c.set("aws.region") && !regionName.MatchString(a.Region) {
		c.add("aws.region", "want a region like %q, got %s", "us-east-1", quote(a.Region))
	}
	if c.set("aws.endpoint_url") {
		u, err := url.Parse(a.EndpointURL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			c.add("aws.endpoint_url", "must be an absolute http(s) URL, got %s", quote(a.EndpointURL))
		}
	}
	if r := a.AssumeRole; r != nil {
		c.assumeRole(r)
	}
}

func (c *checker) assumeRole(r *AssumeRole) { c.assumeRoleAt(r, "aws.assume_role") }

func (c *checker) assumeRoleAt(r *AssumeRole, p string) {
	switch {
	case !c.set(p + ".role_arn"):
		c.add(p+".role_arn", "required when assume_role is present")
	case !roleARN.MatchString(r.RoleARN):
		c.add(p+".role_arn", "want a role ARN like %q, got %s",
			"arn:aws:iam::123456789012:role/name", quote(r.RoleARN))
	}
	if id := r.ExternalID; c.set(p+".external_id") &&
		(len(id) < minExternalIDLen || len(id) > maxExternalIDLen || !externalID.MatchString(id)) {
		c.add(p+".external_id", "must be %d to %d characters of letters, digits and _+=,.@:/-",
			minExternalIDLen, maxExternalIDLen)
	}
	c.template(&r.SessionName, &r.SessionTemplate, p+".session_name",
		defaultSessionName, HostPlaceholders)
	if c.set(p+".session_name") && !sessionNameText.MatchString(r.SessionTemplate.literal()) {
		c.add(p+".session_name", "must hold only letters, digits and _+=,.@- outside placeholders")
	}
	c.duration(&r.Duration, p+".duration", defaultRoleDuration, minRoleDuration, maxRoleDuration)
}

func (c *checker) cloudWatch(cw *CloudWatch) {
	const p = "cloudwatch"
	c.template(&cw.LogGroup, &cw.GroupTemplate, p+".log_group", defaultLogGroup, FilePlaceholders)
	c.template(&cw.LogStream, &cw.StreamTemplate, p+".log_stream", defaultLogStream, FilePlaceholders)
	c.duration(&cw.FlushInterval, p+".flush_interval",
		defaultFlushInterval, minFlushInterval, maxFlushInterval)
	c.integer(&cw.MaxEventBytes, p+".max_event_bytes", defaultMaxEventBytes, minEventBytes, maxEventBytes)
	c.oneOf((*string)(&cw.Oversize), p+".oversize", "oversize mode", string(defaultOversize),
		string(OversizeSplit), string(OversizeTruncate))
	c.integer(&cw.Concurrency, p+".concurrency", defaultConcurrency, 1, maxConcurrency)
	c.oneOf(&cw.Compression, p+".compression", "compression", "gzip", "gzip", "none")
	if !c.set(p + ".oversize_marker") {
		cw.OversizeMarker = true
	}
	c.groupSettings(&cw.RetentionDays, &cw.KMSKeyID, cw.Tags, &cw.LogGroupClass, p, defaultLogGroupClass)
}

// retentionDays are the values PutRetentionPolicy accepts (CloudWatch
// Logs API reference, PutRetentionPolicy).
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
	1827, 2192, 2557, 2922, 3288, 3653}

// groupSettings checks the log group settings under p.
func (c *checker) groupSettings(days *int, kms *string, tags map[string]string, class *string, p, defClass string) {
	if c.set(p+".retention_days") && *days != 0 && !slices.Contains(retentionDays, *days) {
		c.add(p+".retention_days", "not a retention the service accepts, got %d (want one of %s)",
			*days, strings.Trim(fmt.Sprint(retentionDays), "[]"))
	}
	if c.set(p+".kms_key_id") && !kmsKeyARN.MatchString(*kms) {
		c.add(p+".kms_key_id", "want a KMS key ARN like %q, got %s",
			"arn:aws:kms:us-east-1:123456789012:key/...", quote(*kms))
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			c.add(p+".tags."+k, "tag keys are 1 to 128 characters not starting with aws:, values at most 256")
		}
	}
	c.oneOf(class, p+".log_group_class", "log group class", defClass, "STANDARD", "INFREQUENT_ACCESS")
}

// kmsKeyARN matches a KMS key ARN, which CreateLogGroup requires.
var kmsKeyARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)

// resolveGroup fills s.Group from the source's overrides and cw.
func resolveGroup(s *Source, cw *CloudWatch) {
	g := GroupSettings{
		RetentionDays: cw.RetentionDays, KMSKeyID: cw.KMSKeyID, Tags: cw.Tags,
		LogGroupClass: cw.LogGroupClass, DeletionProtection: cw.DeletionProtection,
		ManageRetention: cw.ManageRetention,
	}
	if s.RetentionDays != 0 {
		g.RetentionDays = s.RetentionDays
	}
	if s.KMSKeyID != "" {
		g.KMSKeyID = s.KMSKeyID
	}
	if s.Tags != nil {
		g.Tags = s.Tags
	}
	if s.LogGroupClass != "" {
		g.LogGroupClass = s.LogGroupClass
	}
	if s.DeletionProtection != nil {
		g.DeletionProtection = *s.DeletionProtection
	}
	s.Group = g
}

func (c *checker) sources(cfg *Config) {
	if len(cfg.Sources) == 0 {
		if !c.blocked("sources") {
			c.problems = append(c.problems, Problem{
				File: c.file, Line: c.lineOf("sources"), Reason: "no sources configured",
			})
		}
		return
	}
	names := make(map[string]string) // name → path of the source that has it
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		p := "sources[" + strconv.Itoa(i) + "]"
		if c.blocked(p) {
			continue
		}
		c.source(s, p, &cfg.CloudWatch)
		c.processing(s, p, cfg.Labels)
		c.groupSettings(&s.RetentionDays, &s.KMSKeyID, s.Tags, &s.LogGroupClass, p, cfg.CloudWatch.LogGroupClass)
		if s.AssumeRole != nil {
			c.assumeRoleAt(s.AssumeRole, p+".assume_role")
		}
		resolveGroup(s, &cfg.CloudWatch)

		if !c.set(p + ".name") {
			s.Name = string(s.Type) + "-" + strconv.Itoa(i)
		} else if len(s.Name) > maxSourceNameLen || !sourceName.MatchString(s.Name) {
			c.add(p+".name", "must be 1 to %d letters, digits, '.', '_' or '-', got %s",
				maxSourceNameLen, quote(s.Name))
			continue
		}
		if first, dup := names[s.Name]; dup {
			c.add(p+".name", "duplicate source name %s (first at %s)", quote(s.Name), first)
		} else {
			names[s.Name] = p
		}
	}
}

func (c *checker) source(s *Source, p string, cw *CloudWatch) {
	switch {
	case !c.set(p + ".type"):
		s.Type = SourceFile
	case s.Type == SourceJournald:
		c.journald(s, p, cw)
		return
	case s.Type == SourceS3:
		c.s3(s, p, cw)
		return
	case s.Type != SourceFile:
		c.add(p+".type", "unknown source type %s (want %s, %s or %s)", quote(string(s.Type)),
			SourceFile, SourceJournald, SourceS3)
	}
	c.refuse(s, p, SourceJournald, journaldKeys...)
	c.refuse(s, p, SourceS3, s3Keys...)

	if len(s.Paths) == 0 {
		c.add(p+".paths", "must not be empty")
	}
	for j, pattern := range s.Paths {
		itemPath := p + ".paths[" + strconv.Itoa(j) + "]"
		switch {
		case !path.IsAbs(pattern):
			c.add(itemPath, "must be an absolute path, got %s", quote(pattern))
		case !doublestar.ValidatePattern(pattern):
			c.add(itemPath, "invalid glob pattern %s", quote(pattern))
		}
	}
	for j, pattern := range s.Exclude {
		itemPath := p + ".exclude[" + strconv.Itoa(j) + "]"
		switch {
		case pattern == "":
			c.add(itemPath, "must not be empty")
		case !doublestar.ValidatePattern(pattern):
			c.add(itemPath, "invalid glob pattern %s", quote(pattern))
		}
	}

	c.oneOf((*string)(&s.StartAt), p+".start_at", "start_at", string(defaultStartAt),
		string(StartBeginning), string(StartEnd))
	c.template(&s.LogGroup, &s.GroupTemplate, p+".log_group", cw.LogGroup, FilePlaceholders)
	c.template(&s.LogStream, &s.StreamTemplate, p+".log_stream", cw.LogStream, FilePlaceholders)
	c.positive(&s.PartialLineTimeout, p+".partial_line_timeout", defaultPartialLineTimeout)
	c.oneOf((*string)(&s.Oversize), p+".oversize", "oversize mode", string(cw.Oversize),
		string(OversizeSplit), string(OversizeTruncate))
	c.integer(&s.MaxOpenFiles, p+".max_open_files", defaultMaxOpenFiles, 1, maxMaxOpenFiles)
	c.positive(&s.ForgetAfter, p+".forget_after", defaultForgetAfter)
	c.oneOf(&s.Encoding, p+".encoding", "encoding", defaultEncoding, "utf-8", "latin1", "utf-16le", "utf-16be")
	if s.Multiline != nil {
		c.multiline(s.Multiline, p+".multiline", cw.MaxEventBytes)
	}
	if ts := s.Timestamp; ts != nil {
		if c.set(p+".timestamp.field") && ts.Field == "" {
			c.add(p+".timestamp.field", "must not be empty")
		}
		if !c.set(p+".timestamp.format") && c.set(p+".timestamp.field") {
			ts.Format = timestamp.RFC3339
		} else if !c.set(p + ".timestamp.format") {
			c.add(p+".timestamp.format", "required when timestamp has no field")
		} else if _, err := timestamp.Parse(ts.Format, nil, nil); err != nil {
			c.add(p+".timestamp.format", "%s", strings.TrimPrefix(err.Error(), "timestamp: "))
		}
		if !c.set(p + ".timestamp.timezone") {
			ts.Timezone = "UTC"
		} else if _, err := time.LoadLocation(ts.Timezone); err != nil || ts.Timezone == "" {
			c.add(p+".timestamp.timezone", "unknown time zone %s", quote(ts.Timezone))
		}
	}
}

// processing checks the keys that say how a source's events are parsed,
// filtered, formatted and routed.
func (c *checker) processing(s *Source, p string, labels map[string]string) {
	if s.Type != SourceS3 { // s3 checked its own, whose default names depend on it
		c.oneOf(&s.Parser, p+".parser", "parser", string(defaultParser), Parsers...)
	}
	if s.Parser == ParserRegex {
		c.regexp(s.Pattern, p+".pattern", true)
		if re, err := regexp.Compile(s.Pattern); err == nil && c.set(p+".pattern") &&
			!slices.ContainsFunc(re.SubexpNames(), func(n string) bool { return n != "" }) {
			c.add(p+".pattern", "has no named group such as (?P<level>\\w+): nothing would become a field")
		}
	} else if c.set(p + ".pattern") {
		c.add(p+".pattern", "only for parser %s", ParserRegex)
	}
	c.oneOf(&s.Format, p+".format", "format", string(defaultFormat), FormatRaw, FormatJSON)
	for j, expr := range s.IncludeLines {
		c.regexp(expr, p+".include_lines["+strconv.Itoa(j)+"]", true)
	}
	for j, expr := range s.ExcludeLines {
		c.regexp(expr, p+".exclude_lines["+strconv.Itoa(j)+"]", true)
	}
	c.labels(s.Labels, p+".labels")
	s.MergedLabels = maps.Clone(labels)
	if s.MergedLabels == nil && s.Labels != nil {
		s.MergedLabels = make(map[string]string)
	}
	maps.Copy(s.MergedLabels, s.Labels)

	// Fallbacks may use the source's placeholders but no fields.
	allowed := FilePlaceholders
	switch s.Type {
	case SourceJournald:
		allowed = JournalPlaceholders
	case SourceS3:
		allowed = S3Placeholders
	}
	allowed = slices.DeleteFunc(slices.Clone(allowed), func(n string) bool { return n == FieldPlaceholder })
	c.template(&s.FallbackGroup, &s.FallbackGroupTemplate, p+".fallback_group", defaultFallbackGroup, allowed)
	c.template(&s.FallbackStream, &s.FallbackStreamTemplate, p+".fallback_stream", defaultFallbackStream, allowed)
	for _, t := range []struct {
		key  string
		tmpl Template
	}{{"log_group", s.GroupTemplate}, {"log_stream", s.StreamTemplate}} {
		if !t.tmpl.HasFields() {
			continue
		}
		if s.Parser == ParserNone || s.Parser == ParserLines {
			c.add(p+"."+t.key, "uses {field.…}, which needs a parser")
			continue
		}
		if s.Parser != ParserRegex {
			continue
		}
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			continue // reported at pattern
		}
		groups := slices.DeleteFunc(re.SubexpNames(), func(n string) bool { return n == "" })
		for _, name := range t.tmpl.Names() {
			if f, ok := strings.CutPrefix(name, FieldPrefix); ok && !slices.Contains(groups, f) {
				c.add(p+"."+t.key, "uses {%s}, but pattern has no group named %s (it has %s)",
					name, f, strings.Join(groups, ", "))
			}
		}
	}
}

// journald checks a journald source; file-only keys are refused.
func (c *checker) journald(s *Source, p string, cw *CloudWatch) {
	c.refuse(s, p, SourceFile, fileKeys...)
	c.refuse(s, p, SourceS3, s3Keys...)
	for j, u := range s.Units {
		switch {
		case u == "":
			c.add(p+".units["+strconv.Itoa(j)+"]", "must not be empty")
		case strings.ContainsAny(u, "*?[]/ \t"):
			c.add(p+".units["+strconv.Itoa(j)+"]", "want a unit name such as ssh.service (no globs), got %s", quote(u))
		}
	}
	if c.set(p+".priority") && journalPriority(s.Priority) < 0 {
		c.add(p+".priority", "want a priority name (emerg, alert, crit, err, warning, notice, info, debug) or 0 to 7, got %s",
			quote(s.Priority))
	}
	if c.set(p+".directory") && !path.IsAbs(s.Directory) {
		c.add(p+".directory", "must be an absolute path, got %s", quote(s.Directory))
	}
	c.inherited(&s.LogGroup, &s.GroupTemplate, p+".log_group", cw.LogGroup, defaultLogGroup, JournalPlaceholders)
	c.inherited(&s.LogStream, &s.StreamTemplate, p+".log_stream", cw.LogStream, defaultJournalStream, JournalPlaceholders)
	c.oneOf((*string)(&s.Oversize), p+".oversize", "oversize mode", string(cw.Oversize),
		string(OversizeSplit), string(OversizeTruncate))
}

// Keys that only one type of source takes.
var (
	fileKeys = []string{"paths", "exclude", "start_at", "partial_line_timeout", "max_open_files",
		"forget_after", "encoding", "multiline", "timestamp"}
	journaldKeys = []string{"units", "priority", "directory", "include_kernel"}
	s3Keys       = []string{"sqs", "poll", "insights", "max_object_bytes"}
)

// refuse reports each of keys written for a source, which only sources
// of type owner take.
func (c *checker) refuse(s *Source, p string, owner SourceType, keys ...string) {
	for _, key := range keys {
		if c.set(p + "." + key) {
			c.add(p+"."+key, "only for type %s", owner)
		}
	}
}

// s3 defaults and limits.
const (
	defaultVisibility = 60 * time.Second
	// minVisibility leaves room for the extensions corral sends every
	// third of it; shorter ones lapse under load and objects are read twice.
	minVisibility       = 5 * time.Second
	maxVisibility       = 12 * time.Hour // SQS's longest visibility timeout
	defaultS3Workers    = 3
	maxS3Workers        = 64
	defaultPollInterval = time.Minute
	defaultPollWindow   = 24 * time.Hour

	defaultMaxObjectBytes = GiB
)

// s3 checks an s3 source; file and journald keys are refused. Its
// default names depend on the format: CloudTrail goes to one group per
// account and one stream per region, flow logs to one stream per network
// interface, as the services' own deliveries do.
func (c *checker) s3(s *Source, p string, cw *CloudWatch) {
	c.refuse(s, p, SourceFile, fileKeys...)
	c.refuse(s, p, SourceJournald, journaldKeys...)
	switch {
	case s.SQS != nil && s.Poll != nil:
		c.add(p, "set sqs or poll, not both")
	case s.SQS == nil && s.Poll == nil:
		c.add(p, "set sqs (with queue_url) or poll (with bucket)")
	}
	if s.SQS != nil {
		q := p + ".sqs"
		if u, err := url.Parse(s.SQS.QueueURL); !c.set(q+".queue_url") || err != nil ||
			u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			c.add(q+".queue_url", "want the queue's URL like %q, got %s",
				"https://sqs.us-east-1.amazonaws.com/222222222222/corral-cloudtrail", quote(s.SQS.QueueURL))
		}
		c.duration(&s.SQS.VisibilityTimeout, q+".visibility_timeout", defaultVisibility, minVisibility, maxVisibility)
		c.integer(&s.SQS.Workers, q+".workers", defaultS3Workers, 1, maxS3Workers)
	}
	if s.Poll != nil {
		q := p + ".poll"
		if !c.set(q+".bucket") || s.Poll.Bucket == "" {
			c.add(q+".bucket", "required")
		}
		c.duration(&s.Poll.Interval, q+".interval", defaultPollInterval, time.Second, 24*time.Hour)
		c.positive(&s.Poll.Window, q+".window", defaultPollWindow)
	}
	c.byteSize(&s.MaxObjectBytes, p+".max_object_bytes", defaultMaxObjectBytes, MiB)
	c.oneOf(&s.Parser, p+".parser", "parser", ParserLines, S3Parsers...)
	group, stream := "/s3/{bucket}", "{key}"
	switch s.Parser {
	case ParserCloudTrail:
		group, stream = "/cloudtrail/{field.recipientAccountId}", "{field.awsRegion}"
	case ParserVPCFlow:
		group, stream = "/vpc-flow-logs/{field.account-id}", "{field.interface-id}"
	}
	c.template(&s.LogGroup, &s.GroupTemplate, p+".log_group", group, S3Placeholders)
	c.template(&s.LogStream, &s.StreamTemplate, p+".log_stream", stream, S3Placeholders)
	c.oneOf((*string)(&s.Oversize), p+".oversize", "oversize mode", string(cw.Oversize),
		string(OversizeSplit), string(OversizeTruncate))
}

// inherited is template for a source whose type allows other placeholders
// than the cloudwatch defaults: an inherited default that does not fit
// falls back to the type's own default.
func (c *checker) inherited(s *string, t *Template, path, inherit, fallback string, allowed []string) {
	if !c.set(path) {
		if _, err := ParseTemplate(inherit, allowed); err != nil {
			inherit = fallback
		}
	}
	c.template(s, t, path, inherit, allowed)
}

// journalPriorities are the syslog priority names journalctl takes.
var journalPriorities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// journalPriority returns the number of a priority name or digit, or -1.
func journalPriority(s string) int {
	if i := slices.Index(journalPriorities, s); i >= 0 {
		return i
	}
	if len(s) == 1 && s[0] >= '0' && s[0] <= '7' {
		return int(s[0] - '0')
	}
	return -1
}

// multilinePresets are the built-in multiline rules.
var multilinePresets = []string{"java", "python", "go"}

func (c *checker) multiline(m *Multiline, p string, maxEvent int) {
	preset := c.set(p + ".preset")
	if preset && !slices.Contains(multilinePresets, m.Preset) {
		c.add(p+".preset", "unknown preset %s (want %s)", quote(m.Preset), orList(multilinePresets))
	}
	rules := c.set(p+".start") || c.set(p+".continue")
	switch {
	case preset && rules:
		c.add(p, "set preset, or start and continue, not both")
	case !preset && !rules:
		c.add(p, "set preset, start or continue")
	}
	for _, key := range []string{"start", "continue"} {
		v := m.Start
		if key == "continue" {
			v = m.Continue
		}
		if !c.set(p + "." + key) {
			continue
		}
		if v == "" {
			c.add(p+"."+key, "must not be empty")
		} else if _, err := regexp.Compile(v); err != nil {
			c.add(p+"."+key, "invalid regular expression: %v", err)
		}
	}
	c.positive(&m.Timeout, p+".timeout", defaultMultilineTimeout)
	c.integer(&m.MaxLines, p+".max_lines", defaultMultilineLines, 1, maxMultilineLines)
	c.byteSize(&m.MaxBytes, p+".max_bytes", ByteSize(maxEvent), 1)
	if m.MaxBytes > ByteSize(maxEvent) {
		c.add(p+".max_bytes", "must be at most max_event_bytes (%d), got %d", maxEvent, int64(m.MaxBytes))
	}
}

// set reports whether the key at path was written with a value that
// decoded, so it is checked rather than defaulted.
func (c *checker) set(path string) bool {
	_, written := c.lines[path]
	return written && !c.null[path] && !c.blocked(path)
}

// blocked reports whether path or one of its parents failed to decode.
func (c *checker) blocked(path string) bool {
	for ; path != ""; path = parentPath(path) {
		if c.bad[path] {
			return true
		}
	}
	return c.bad[""]
}

// add records a problem at path, on the line of the nearest key written,
// unless decoding already reported path or a parent.
func (c *checker) add(path, format string, args ...any) {
	if c.blocked(path) {
		return
	}
	c.problems = append(c.problems, Problem{
		File: c.file, Line: c.lineOf(path), Path: path, Reason: fmt.Sprintf(format, args...),
	})
}

// lineOf returns the line of path, or of its nearest parent written, or 0.
func (c *checker) lineOf(path string) int {
	for ; path != ""; path = parentPath(path) {
		if line, ok := c.lines[path]; ok {
			return line
		}
	}
	return 0
}

// oneOf fills in def, or checks that a written value is one of allowed;
// what names the value in the message.
func (c *checker) oneOf(s *string, path, what, def string, allowed ...string) {
	if !c.set(path) {
		*s = def
		return
	}
	if !slices.Contains(allowed, *s) {
		c.add(path, "unknown %s %s (want %s)", what, quote(*s), orList(allowed))
	}
}

// duration fills in def, or checks that a written value is within
// [lo, hi].
func (c *checker) duration(d *Duration, path string, def, lo, hi time.Duration) {
	if !c.set(path) {
		*d = Duration(def)
		return
	}
	if v := time.Duration(*d); v < lo || v > hi {
		c.add(path, "must be between %s and %s, got %s", lo, hi, v)
	}
}

// positive fills in def, or checks that a written value is above zero.
func (c *checker) positive(d *Duration, path string, def time.Duration) {
	if !c.set(path) {
		*d = Duration(def)
		return
	}
	if *d <= 0 {
		c.add(path, "must be positive, got %s", *d)
	}
}

// integer fills in def, or checks that a written value is within [lo, hi].
func (c *checker) integer(n *int, path string, def, lo, hi int) {
	if !c.set(path) {
		*n = def
		return
	}
	if *n < lo || *n > hi {
		c.add(path, "must be between %d and %d, got %d", lo, hi, *n)
	}
}

// byteSize fills in def, or checks that a written value is at least lo.
func (c *checker) byteSize(b *ByteSize, path string, def, lo ByteSize) {
	if !c.set(path) {
		*b = def
		return
	}
	if *b < lo {
		c.add(path, "must be at least %s, got %s", lo, *b)
	}
}

// template fills in def, or checks a written template, and parses the
// result into t. A default that does not parse was inherited from a
// template that is reported where it was written.
func (c *checker) template(s *string, t *Template, path, def string, allowed []string) {
	written := c.set(path)
	if !written {
		*s = def
	} else if *s == "" {
		c.add(path, "must not be empty")
		return
	}
	parsed, err := ParseTemplate(*s, allowed)
	if err != nil && written {
		c.add(path, "%s", err.Error())
	}
	*t = parsed
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
