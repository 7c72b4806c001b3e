package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Parts of configs under test.
const (
	// source is a valid source entry to complete a config.
	source = "sources: [{type: file, paths: [/var/log/syslog]}]\n"
	// fileSource is a valid source in block style, to add keys to (line 4
	// onwards).
	fileSource = "sources:\n  - type: file\n    paths: [/x]\n"
	// withRole starts a valid assume_role section, to add keys to (line 4
	// onwards).
	withRole = "aws:\n  assume_role:\n    role_arn: arn:aws:iam::222222222222:role/x\n"
	// known lists the file placeholders as messages name them.
	known = "(known: hostname, instance_id, region, availability_zone, account_id, instance_type, image_id, ecs_cluster, ecs_task_arn, ecs_task_family, ecs_task_revision, ecs_container_name, file_name, file_path, field.NAME)"
)

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		// The file as a whole.
		{"empty file", "", []string{"corral.yaml: no sources configured"}},
		{"only comments", "# nothing yet\n", []string{"corral.yaml: no sources configured"}},
		{"no sources key", "state_dir: /x\n", []string{"corral.yaml: no sources configured"}},
		{"empty sources", "state_dir: /x\nsources: []\n", []string{"corral.yaml:2: no sources configured"}},
		{"top level not a mapping", "- a\n- b\n", []string{`corral.yaml:1: want a mapping, got a list`}},
		{"syntax error with line", "sources:\n  - type: file\n paths: [/x]\n",
			[]string{"corral.yaml:2: did not find expected key"}},
		{"syntax error on line 1", "state_dir: a: b\n",
			[]string{"corral.yaml:1: mapping values are not allowed in this context"}},
		{"unclosed flow list", "state_dir: /x\nsources: [\n",
			[]string{"corral.yaml:2: did not find expected node content"}},
		{"tab indent", "sources:\n\t- type: file\n",
			[]string{"corral.yaml:2: found character that cannot start any token"}},
		{"unknown anchor", "state_dir: /x\nsources: *nope\n",
			[]string{"corral.yaml:2: unknown anchor 'nope' referenced"}},
		{"second document", source + "---\nstate_dir: /x\n",
			[]string{"corral.yaml:2: want one YAML document, found a second"}},

		// Keys.
		{"unknown key with suggestion", "statedir: /x\n" + source,
			[]string{`corral.yaml:1: unknown key "statedir", did you mean "state_dir"?`}},
		{"unknown key in camel case", "cloudwatch:\n  flushInterval: 1s\n" + source,
			[]string{`corral.yaml:2: cloudwatch: unknown key "flushInterval", did you mean "flush_interval"?`}},
		{"unknown key without suggestion", "cloudwatch:\n  retention: 7\n" + source,
			[]string{`corral.yaml:2: cloudwatch: unknown key "retention"`}},
		{"unknown key in a source", "sources:\n  - type: file\n    path: [/x]\n",
			[]string{
				`corral.yaml:2: sources[0].paths: must not be empty`,
				`corral.yaml:3: sources[0]: unknown key "path", did you mean "paths"?`,
			}},
		{"duplicate key", "log:\n  level: info\n  level: debug\n" + source,
			[]string{`corral.yaml:3: log: duplicate key "level" (first at line 2)`}},
		{"merge key", "log:\n  <<: {level: info}\n" + source,
			[]string{`corral.yaml:2: log: merge keys ("<<") are not supported`}},
		{"list as key", "log:\n  [a]: b\n" + source,
			[]string{`corral.yaml:2: log: want a string key, got a list`}},

		// Types.
		{"duration not a string", "shutdown_timeout: abc\n" + source,
			[]string{`corral.yaml:1: shutdown_timeout: want a duration like "1s", got "abc"`}},
		{"duration without unit", "cloudwatch:\n  flush_interval: 1\n" + source,
			[]string{`corral.yaml:2: cloudwatch.flush_interval: want a duration like "1s", got "1"`}},
		{"duration as a list", "shutdown_timeout: [1s]\n" + source,
			[]string{`corral.yaml:1: shutdown_timeout: want a duration like "1s", got a list`}},
		{"paths not a list", "sources:\n  - type: file\n    paths: /var/log/*.log\n",
			[]string{`corral.yaml:3: sources[0].paths: want a list of strings, got "/var/log/*.log"`}},
		{"path not a string", "sources:\n  - type: file\n    paths:\n      - {a: b}\n",
			[]string{`corral.yaml:4: sources[0].paths[0]: want a string, got a mapping`}},
		{"integer as a word", "cloudwatch:\n  concurrency: eight\n" + source,
			[]string{`corral.yaml:2: cloudwatch.concurrency: want an integer, got "eight"`}},
		{"integer as a float", "cloudwatch:\n  concurrency: 8.5\n" + source,
			[]string{`corral.yaml:2: cloudwatch.concurrency: want an integer, got "8.5"`}},
		{"integer quoted", "cloudwatch:\n  concurrency: \"8\"\n" + source,
			[]string{`corral.yaml:2: cloudwatch.concurrency: want an integer, got "8"`}},
		{"size with bad unit", "buffer:\n  max_bytes: 32MiBs\n" + source,
			[]string{`corral.yaml:2: buffer.max_bytes: ` +
				`want a size like "32MiB" or 1048576, got "32MiBs"`}},
		{"size too large", "buffer:\n  max_bytes: 9000000TiB\n" + source,
			[]string{`corral.yaml:2: buffer.max_bytes: size "9000000TiB" is too large`}},
		{"section not a mapping", "cloudwatch: fast\n" + source,
			[]string{`corral.yaml:1: cloudwatch: want a mapping, got "fast"`}},
		{"sources not a list", "sources: {type: file}\n",
			[]string{`corral.yaml:1: sources: want a list of mappings, got a mapping`}},
		{"source not a mapping", "sources:\n  - /var/log/syslog\n",
			[]string{`corral.yaml:2: sources[0]: want a mapping, got "/var/log/syslog"`}},

		// Values.
		{"state dir relative", "state_dir: var/lib\n" + source,
			[]string{`corral.yaml:1: state_dir: must be an absolute path, got "var/lib"`}},
		{"shutdown timeout zero", "shutdown_timeout: 0s\n" + source,
			[]string{`corral.yaml:1: shutdown_timeout: must be positive, got 0s`}},
		{"log level", "log: {level: verbose}\n" + source,
			[]string{`corral.yaml:1: log.level: ` +
				`unknown level "verbose" (want debug, info, warn or error)`}},
		{"log format", "log: {format: text}\n" + source,
			[]string{`corral.yaml:1: log.format: unknown format "text" (want json or console)`}},
		{"region", "aws: {region: US-EAST-1}\n" + source,
			[]string{`corral.yaml:1: aws.region: want a region like "us-east-1", got "US-EAST-1"`}},
		{"endpoint not absolute", "aws:\n  endpoint_url: 127.0.0.1:5000\n" + source,
			[]string{`corral.yaml:2: aws.endpoint_url: must be an absolute http(s) URL, ` +
				`got "127.0.0.1:5000"`}},
		{"endpoint scheme", "aws:\n  endpoint_url: ftp://host\n" + source,
			[]string{`corral.yaml:2: aws.endpoint_url: must be an absolute http(s) URL, got "ftp://host"`}},
		{"role arn missing", "aws:\n  assume_role:\n    external_id: abc\n" + source,
			[]string{`corral.yaml:2: aws.assume_role.role_arn: required when assume_role is present`}},
		{"role arn wrong service", "aws:\n  assume_role:\n    role_arn: arn:aws:sts::222222222222:role/x\n" + source,
			[]string{`corral.yaml:3: aws.assume_role.role_arn: want a role ARN like ` +
				`"arn:aws:iam::123456789012:role/name", got "arn:aws:sts::222222222222:role/x"`}},
		{"role arn short account", "aws:\n  assume_role:\n    role_arn: arn:aws:iam::2222:role/x\n" + source,
			[]string{`corral.yaml:3: aws.assume_role.role_arn: want a role ARN like ` +
				`"arn:aws:iam::123456789012:role/name", got "arn:aws:iam::2222:role/x"`}},
		{"external id", withRole + "    external_id: a b\n" + source,
			[]string{`corral.yaml:4: aws.assume_role.external_id: ` +
				`must be 2 to 1224 characters of letters, digits and _+=,.@:/-`}},
		{"session name placeholder", withRole + "    session_name: c-{file_name}\n" + source,
			[]string{`corral.yaml:4: aws.assume_role.session_name: ` +
				`unknown placeholder {file_name} (known: hostname)`}},
		{"session name text", withRole + "    session_name: corral {hostname}\n" + source,
			[]string{`corral.yaml:4: aws.assume_role.session_name: ` +
				`must hold only letters, digits and _+=,.@- outside placeholders`}},
		{"role duration", withRole + "    duration: 13h\n" + source,
			[]string{`corral.yaml:4: aws.assume_role.duration: ` +
				`must be between 15m0s and 12h0m0s, got 13h0m0s`}},
		// Processing.
		{"unknown parser", "sources: [{paths: [/x], parser: xml}]\n",
			[]string{`corral.yaml:1: sources[0].parser: unknown parser "xml" (want none, json, logfmt, regex, ` +
				`syslog, cri, docker, nginx or apache)`}},
		{"regex without pattern", "sources: [{paths: [/x], parser: regex}]\n",
			[]string{`corral.yaml:1: sources[0].pattern: required`}},
		{"regex without named group", "sources: [{paths: [/x], parser: regex, pattern: 'a(b)'}]\n",
			[]string{`corral.yaml:1: sources[0].pattern: has no named group such as (?P<level>\w+): ` +
				`nothing would become a field`}},
		{"pattern without regex", "sources: [{paths: [/x], parser: json, pattern: 'a'}]\n",
			[]string{`corral.yaml:1: sources[0].pattern: only for parser regex`}},
		{"bad exclude_lines", "sources:\n  - paths: [/x]\n    exclude_lines: ['a(']\n",
			[]string{"corral.yaml:3: sources[0].exclude_lines[0]: invalid regular expression: " +
				"error parsing regexp: missing closing ): `a(`"}},
		{"field template without parser", "sources:\n  - paths: [/x]\n    log_stream: '{field.level}'\n",
			[]string{`corral.yaml:3: sources[0].log_stream: uses {field.…}, which needs a parser`}},
		{"field the pattern does not name", "sources:\n  - paths: [/x]\n    parser: regex\n" +
			"    pattern: '^(?P<level>\\w+) (?P<msg>.*)'\n    log_group: /a/{field.lvl}\n",
			[]string{`corral.yaml:5: sources[0].log_group: uses {field.lvl}, but pattern has no group named lvl ` +
				`(it has level, msg)`}},
		{"field in fallback", "sources: [{paths: [/x], parser: json, fallback_stream: '{field.a}'}]\n",
			[]string{`corral.yaml:1: sources[0].fallback_stream: unknown placeholder {field.a} (known: hostname, ` +
				`instance_id, region, availability_zone, account_id, instance_type, image_id, ecs_cluster, ` +
				`ecs_task_arn, ecs_task_family, ecs_task_revision, ecs_container_name, file_name, file_path)`}},
		{"timestamp without field or format", "sources: [{paths: [/x], timestamp: {timezone: UTC}}]\n",
			[]string{`corral.yaml:1: sources[0].timestamp.format: required when timestamp has no field`}},
		{"unknown format", "sources: [{paths: [/x], format: xml}]\n",
			[]string{`corral.yaml:1: sources[0].format: unknown format "xml" (want raw or json)`}},
		{"unknown redaction to disable", "redact: {disable: [jwt, pin]}\n" + source,
			[]string{`corral.yaml:1: redact.disable[1]: unknown built-in rule "pin" (want private_key, ` +
				`aws_access_key_id, aws_secret_access_key, url_password, basic_auth, bearer_token, jwt or password_field)`}},
		{"redaction rules", "redact:\n  rules:\n    - {name: jwt, pattern: x}\n    - {name: a b, pattern: '('}\n" +
			"    - {pattern: y}\n" + source,
			[]string{
				`corral.yaml:3: redact.rules[0].name: duplicate rule name "jwt"`,
				`corral.yaml:4: redact.rules[1].name: must be 1 to 64 letters, digits or _, got "a b"`,
				"corral.yaml:4: redact.rules[1].pattern: invalid regular expression: " +
					"error parsing regexp: missing closing ): `(`",
				`corral.yaml:5: redact.rules[2].name: required`,
			}},
		{"enrich timeout", "enrich: {timeout: 1m}\n" + source,
			[]string{`corral.yaml:1: enrich.timeout: must be between 1ms and 10s, got 1m0s`}},
		// S3 sources.
		{"s3 without sqs or poll", "sources: [{type: s3}]\n",
			[]string{`corral.yaml:1: sources[0]: set sqs (with queue_url) or poll (with bucket)`}},
		{"s3 with both", "sources: [{type: s3, sqs: {queue_url: 'https://q/1'}, poll: {bucket: b}}]\n",
			[]string{`corral.yaml:1: sources[0]: set sqs or poll, not both`}},
		{"s3 with both, each wrong", "sources:\n  - type: s3\n    sqs: {queue_url: q}\n    poll: {bucket: ''}\n",
			[]string{
				`corral.yaml:2: sources[0]: set sqs or poll, not both`,
				`corral.yaml:3: sources[0].sqs.queue_url: want the queue's URL like ` +
					`"https://sqs.us-east-1.amazonaws.com/222222222222/corral-cloudtrail", got "q"`,
				`corral.yaml:4: sources[0].poll.bucket: required`,
			}},
		{"s3 queue url and keys of other types", "sources:\n  - type: s3\n    paths: [/x]\n    units: [a]\n" +
			"    sqs: {queue_url: 'corral-q', workers: 0}\n    parser: syslog5424\n",
			[]string{
				`corral.yaml:3: sources[0].paths: only for type file`,
				`corral.yaml:4: sources[0].units: only for type journald`,
				`corral.yaml:5: sources[0].sqs.queue_url: want the queue's URL like ` +
					`"https://sqs.us-east-1.amazonaws.com/222222222222/corral-cloudtrail", got "corral-q"`,
				`corral.yaml:5: sources[0].sqs.workers: must be between 1 and 64, got 0`,
				`corral.yaml:6: sources[0].parser: unknown parser "syslog5424" (want cloudtrail, vpcflow, lines, ` +
					`json, logfmt, regex, syslog, cri, docker, nginx or apache)`,
			}},
		{"s3 poll without bucket", "sources: [{type: s3, poll: {prefix: AWSLogs/}}]\n",
			[]string{`corral.yaml:1: sources[0].poll.bucket: required`}},
		{"sqs on a file source", "sources: [{paths: [/x], sqs: {queue_url: 'https://q/1'}}]\n",
			[]string{`corral.yaml:1: sources[0].sqs: only for type s3`}},
		{"buffer too small", "buffer: {max_bytes: 1MiB}\n" + source,
			[]string{`corral.yaml:1: buffer.max_bytes: must be at least 2MiB, got 1MiB`}},
		{"flush interval zero", "cloudwatch: {flush_interval: 0s}\n" + source,
			[]string{`corral.yaml:1: cloudwatch.flush_interval: must be between 100ms and 1m0s, got 0s`}},
		{"max event bytes", "cloudwatch: {max_event_bytes: 1048551}\n" + source,
			[]string{`corral.yaml:1: cloudwatch.max_event_bytes: ` +
				`must be between 16 and 1048550, got 1048551`}},
		{"concurrency zero", "cloudwatch: {concurrency: 0}\n" + source,
			[]string{`corral.yaml:1: cloudwatch.concurrency: must be between 1 and 64, got 0`}},
		{"oversize", "cloudwatch: {oversize: drop}\n" + source,
			[]string{`corral.yaml:1: cloudwatch.oversize: ` +
				`unknown oversize mode "drop" (want split or truncate)`}},
		{"template placeholder", "cloudwatch:\n  log_stream: \"{fiel_name}\"\n" + source,
			[]string{`corral.yaml:2: cloudwatch.log_stream: unknown placeholder {fiel_name} ` + known}},
		{"template unbalanced", "cloudwatch:\n  log_group: /corral/{hostname\n" + source,
			[]string{`corral.yaml:2: cloudwatch.log_group: ` +
				`unbalanced braces: "{" at byte 8 is not closed`}},
		{"template empty", "cloudwatch:\n  log_group: \"\"\n" + source,
			[]string{`corral.yaml:2: cloudwatch.log_group: must not be empty`}},
		{"bad inherited template reported once", "cloudwatch:\n  log_group: /{x}\n" + source,
			[]string{`corral.yaml:2: cloudwatch.log_group: unknown placeholder {x} ` + known}},

		// Sources.
		{"source type defaults to file", "sources:\n  - paths: [x]\n",
			[]string{`corral.yaml:2: sources[0].paths[0]: must be an absolute path, got "x"`}},
		{"source type unknown", "sources:\n  - type: syslog\n    paths: [/x]\n",
			[]string{`corral.yaml:2: sources[0].type: unknown source type "syslog" (want file, journald or s3)`}},
		{"retention not accepted", "cloudwatch:\n  retention_days: 10\nsources:\n  - paths: [/x]\n",
			[]string{`corral.yaml:2: cloudwatch.retention_days: not a retention the service accepts, got 10 (want one of 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653)`}},
		{"log group class", "sources:\n  - paths: [/x]\n    log_group_class: COLD\n",
			[]string{`corral.yaml:3: sources[0].log_group_class: unknown log group class "COLD" (want STANDARD or INFREQUENT_ACCESS)`}},
		{"kms key", "cloudwatch:\n  kms_key_id: alias/mine\nsources:\n  - paths: [/x]\n",
			[]string{`corral.yaml:2: cloudwatch.kms_key_id: want a KMS key ARN like "arn:aws:kms:us-east-1:123456789012:key/...", got "alias/mine"`}},
		{"source role", "sources:\n  - paths: [/x]\n    assume_role:\n      external_id: x1\n",
			[]string{`corral.yaml:3: sources[0].assume_role.role_arn: required when assume_role is present`}},
		{"journald refuses file keys", "sources:\n  - type: journald\n    paths: [/x]\n",
			[]string{`corral.yaml:3: sources[0].paths: only for type file`}},
		{"file refuses journald keys", "sources:\n  - type: file\n    paths: [/x]\n    units: [ssh.service]\n",
			[]string{`corral.yaml:4: sources[0].units: only for type journald`}},
		{"timestamp format", "sources:\n  - paths: [/x]\n    timestamp:\n      format: iso\n      timezone: Mars/Olympus\n",
			[]string{`corral.yaml:4: sources[0].timestamp.format: not a format name or Go layout: "iso" (want rfc3339, rfc3339nano, unix, unix_ms, syslog or a layout like 2006-01-02 15:04:05)`,
				`corral.yaml:5: sources[0].timestamp.timezone: unknown time zone "Mars/Olympus"`}},
		{"journald unit glob", "sources:\n  - type: journald\n    units: [\"ssh*\"]\n",
			[]string{`corral.yaml:3: sources[0].units[0]: want a unit name such as ssh.service (no globs), got "ssh*"`}},
		{"journald priority", "sources:\n  - type: journald\n    priority: loud\n",
			[]string{`corral.yaml:3: sources[0].priority: want a priority name (emerg, alert, crit, err, warning, notice, info, debug) or 0 to 7, got "loud"`}},
		{"multiline needs a rule", "sources:\n  - type: file\n    paths: [/x]\n    multiline:\n      timeout: 2s\n",
			[]string{`corral.yaml:4: sources[0].multiline: set preset, start or continue`}},
		{"multiline bad regex", "sources:\n  - type: file\n    paths: [/x]\n    multiline:\n      start: \"(\"\n",
			[]string{"corral.yaml:5: sources[0].multiline.start: invalid regular expression: error parsing regexp: missing closing ): `(`"}},
		{"multiline unknown preset", "sources:\n  - type: file\n    paths: [/x]\n    multiline:\n      preset: ruby\n",
			[]string{`corral.yaml:5: sources[0].multiline.preset: unknown preset "ruby" (want java, python or go)`}},
		{"encoding", "sources:\n  - type: file\n    paths: [/x]\n    encoding: ebcdic\n",
			[]string{`corral.yaml:4: sources[0].encoding: unknown encoding "ebcdic" (want utf-8, latin1, utf-16le or utf-16be)`}},
		{"paths missing", "sources:\n  - type: file\n",
			[]string{`corral.yaml:2: sources[0].paths: must not be empty`}},
		{"paths null", "sources:\n  - type: file\n    paths:\n",
			[]string{`corral.yaml:3: sources[0].paths: must not be empty`}},
		{"path relative", "sources:\n  - type: file\n    paths:\n      - /a.log\n      - var/log/*.log\n",
			[]string{`corral.yaml:5: sources[0].paths[1]: must be an absolute path, got "var/log/*.log"`}},
		{"path bad glob", "sources:\n  - type: file\n    paths: [\"/var/log/[a.log\"]\n",
			[]string{`corral.yaml:3: sources[0].paths[0]: invalid glob pattern "/var/log/[a.log"`}},
		{"exclude bad glob", fileSource + "    exclude: [\"{a,b\"]\n",
			[]string{`corral.yaml:4: sources[0].exclude[0]: invalid glob pattern "{a,b"`}},
		{"exclude empty", fileSource + "    exclude: [\"\"]\n",
			[]string{`corral.yaml:4: sources[0].exclude[0]: must not be empty`}},
		{"start at", fileSource + "    start_at: tail\n",
			[]string{`corral.yaml:4: sources[0].start_at: unknown start_at "tail" (want beginning or end)`}},
		{"partial line timeout", fileSource + "    partial_line_timeout: -1s\n",
			[]string{`corral.yaml:4: sources[0].partial_line_timeout: must be positive, got -1s`}},
		{"source template", fileSource + "    log_stream: \"{host}\"\n",
			[]string{`corral.yaml:4: sources[0].log_stream: unknown placeholder {host} ` + known}},
		{"source name characters", fileSource + "    name: my app\n",
			[]string{`corral.yaml:4: sources[0].name: ` +
				`must be 1 to 64 letters, digits, '.', '_' or '-', got "my app"`}},
		{"duplicate source name",
			"sources:\n  - {type: file, paths: [/x], name: app}\n  - {type: file, paths: [/y], name: app}\n",
			[]string{`corral.yaml:3: sources[1].name: duplicate source name "app" (first at sources[0])`}},
		{"name clashes with a default name",
			"sources:\n  - {type: file, paths: [/x]}\n  - {type: file, paths: [/y], name: file-0}\n",
			[]string{`corral.yaml:3: sources[1].name: ` +
				`duplicate source name "file-0" (first at sources[0])`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problems(t, tt.yaml)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLongValuesAreShortenedInMessages(t *testing.T) {
	long := strings.Repeat("x", 100)
	got := problems(t, "state_dir: "+long+"\n"+source)
	want := []string{`corral.yaml:1: state_dir: must be an absolute path, got "` + strings.Repeat("x", 64) + `"...`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	// A thousand sources, each an alias of one with a thousand paths: a
	// million values from a file of a few kilobytes.
	src := "paths: &p [" + strings.Repeat("/a, ", 999) + "/a]\n" +
		"source: &s {type: file, paths: *p}\n" +
		"sources: [" + strings.Repeat("*s, ", 999) + "*s]\n"
	want := []string{
		`corral.yaml:1: unknown key "paths"`,
		`corral.yaml:1: sources[99].paths[697]: too many values (over 100000, counting each use of an alias)`,
		`corral.yaml:2: unknown key "source", did you mean "sources"?`,
	}
	if diff := cmp.Diff(want, problems(t, src)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}
