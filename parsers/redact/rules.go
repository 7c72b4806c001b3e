package redact

import (
	"regexp"
	"slices"
)

// Rule is one kind of secret and how to hide it.
type Rule struct {
	// Name is the rule's name in configuration, in metrics and in the
	// marker [REDACTED:<Name>] that replaces what it matches.
	Name string
	// Pattern matches the secret, with whatever context it needs.
	Pattern *regexp.Regexp
	// Replace is a template for regexp.Regexp.Expand ($1, ${name}) that
	// replaces each match, so a rule can keep the context around a secret
	// (`${key}[REDACTED:password_field]`). Empty means the whole match
	// becomes [REDACTED:<Name>].
	Replace string

	// anchors: a match holds one of them; nil means the pattern runs on
	// every message.
	anchors []anchor
	// fromAnchor: no match starts before the run of non-blank bytes that
	// holds the first anchor, so the pattern may run from there. True of
	// the built-in rules (see tokenStart), not known of a user's.
	fromAnchor bool
}

// Marker returns [REDACTED:name], the text that stands for what the rule
// called name redacted.
func Marker(name string) string { return markerOpen + name + "]" }

// markerOpen starts every marker.
const markerOpen = "[REDACTED:"

// Builtin returns the built-in rules in the order they run. Each call
// returns a new slice; the patterns are shared and safe for concurrent use.
//
//   - private_key: a PEM "-----BEGIN ... PRIVATE KEY-----" block through
//     its END line, or to the end of the message when the END line is not
//     in the same event.
//   - aws_access_key_id: an access key ID (AKIA, ASIA and the other
//     prefixes of IAM unique IDs, then 16 upper-case letters or digits).
//   - aws_secret_access_key: a 40-character secret after one of its usual
//     key names (aws_secret_access_key, SecretAccessKey, ...); the key
//     stays.
//   - url_password: the password in scheme://user:password@host; the
//     scheme, user and host stay.
//   - basic_auth: the credentials after "Authorization: Basic"; the header
//     stays.
//   - bearer_token: the token after "Bearer" (any case); the word stays.
//     The token must hold a digit, or one of _~+/- or a dot inside it, so
//     that "bearer" in prose ("missing bearer token.") is left alone.
//   - jwt: a JSON web token, three base64url segments the first of which
//     starts with eyJ.
//   - password_field: the value of a key ending in password, passwd, pwd,
//     secret, token, api_key, secret_key or secret_access_key, any case,
//     as key=value (URL query strings too), key:value, "key": "value" and
//     its escaped form inside a JSON string; and the password of a mysql
//     or mariadb client command line (-pPASSWORD, as sudo logs it). The
//     key stays.
//
// password_field takes an unquoted value after ": " only when it holds a
// digit, so that prose such as "invalid token: expired" survives and
// "password: hunter2" does not; YAML-style "password: hunter" is
// therefore not redacted. It leaves PWD=/some/path alone: sudo logs the
// working directory so.
func Builtin() []Rule { return slices.Clone(builtin) }

func init() {
	for i := range builtin {
		builtin[i].fromAnchor = true
	}
}

// Built-in rule names, as configuration spells them.
const (
	PrivateKey         = "private_key"
	AWSAccessKeyID     = "aws_access_key_id"
	AWSSecretAccessKey = "aws_secret_access_key"
	URLPassword        = "url_password"
	BasicAuth          = "basic_auth"
	BearerToken        = "bearer_token"
	JWT                = "jwt"
	PasswordField      = "password_field"
)

var builtin = []Rule{
	{
		// Limitation: a key block split over several events (a file read
		// without a multiline rule) is redacted only in the event holding
		// its BEGIN line; the events after it carry base64 lines that no
		// rule can tell from other data.
		Name: PrivateKey,
		Pattern: regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----` +
			`(?s:.*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*)`),
		anchors: exact('B', "-----BEGIN"),
	},
	{
		// The prefixes of IAM unique IDs that are access key IDs or that
		// people paste in their place, from the IAM user guide's
		// "Understanding unique ID prefixes".
		Name: AWSAccessKeyID,
		Pattern: regexp.MustCompile(
			`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b`),
		anchors: exact('A', "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA",
			"ABIA", "ACCA"),
	},
	{
		// A secret access key is 40 characters of base64. The character
		// after it is matched (and kept) because RE2 has no look-ahead.
		Name: AWSSecretAccessKey,
		Pattern: regexp.MustCompile(`(?P<key>(?i:secret[_-]?access[_-]?key)` +
			`(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?)[A-Za-z0-9/+=]{40}(?P<end>[^A-Za-z0-9/+=]|$)`),
		Replace: "${key}" + Marker(AWSSecretAccessKey) + "${end}",
		anchors: keys("accesskey", "access_key", "access-key"),
	},
	{
		// The user may be empty (redis://:password@host); the password
		// runs to the last @ before the host, and may hold ':'. The
		// scheme, before the match, stays.
		Name:    URLPassword,
		Pattern: regexp.MustCompile(`(?P<key>://[^\s:/?#@"'<>]*:)[^\s/?#"'<>]+@`),
		Replace: "${key}" + Marker(URLPassword) + "@",
		anchors: exact(':', "://"), // shares the pass for key separators
	},
	{
		Name: BasicAuth,
		Pattern: regexp.MustCompile(`(?P<key>(?i:authorization)(?:\\?["'])?[ \t]*[:=][ \t]*` +
			`(?:\\?["'])?(?i:basic)[ \t]+)[A-Za-z0-9+/]+=*`),
		Replace: "${key}" + Marker(BasicAuth),
		anchors: keys("authorization"),
	},
	{
		// RFC 6750's b64token, holding at least one character that is not
		// a letter.
		Name: BearerToken,
		Pattern: regexp.MustCompile(`(?P<key>\b(?i:bearer)[ \t]+)` +
			`[A-Za-z0-9._~+/-]*(?:[0-9_~+/-]|\.[A-Za-z0-9_~+/-])[A-Za-z0-9._~+/-]*=*`),
		Replace: "${key}" + Marker(BearerToken),
		anchors: folded('b', "bearer"),
	},
	{
		// The signature is empty for an unsecured token ("alg": "none").
		Name:    JWT,
		Pattern: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
		anchors: exact('J', "eyJ"),
	},
	{
		Name:    PasswordField,
		Pattern: regexp.MustCompile(passwordField),
		Replace: "${key}${sep}${jq}" + Marker(PasswordField) + "${jq}${end}",
		anchors: append(keys("password", "passwd", "pwd", "secret", "token", "apikey", "api_key",
			"api-key", "secretkey", "secret_key", "secret-key", "accesskey", "access_key", "access-key"),
			append(exact('q', "mysql"), exact('b', "mariadb")...)...),
	},
}

// passwordField is the pattern of the password_field rule. Each
// alternative captures what stays as "key" and "sep" and leaves the secret
// after them; a quoted value's closing quote is not part of the match.
// Only key names compare case-insensitively: a (?i) over the whole
// pattern would make every class Unicode-aware and the pattern several
// times slower.
var passwordField = func() string {
	const (
		// A key ends in one of these; what comes before (PG in
		// PGPASSWORD, client_ in client_secret) is left out of the match.
		// pwd is apart because sudo logs PWD=/working/directory.
		names = `(?i:password|passwd|secret|token|api[_-]?key|secret[_-]?(?:access[_-]?)?key)`
		pwd   = `(?i:pwd)`
		// The key's closing quote, if it is quoted.
		keyEnd = `(?:\\?["'])?`
		// Before a quoted value: = or : with blanks around.
		quoted = keyEnd + `[ \t]*[:=][ \t]*`
		// A JSON number after a quoted key becomes a quoted marker, so that
		// the JSON stays valid; the key's quote is the one reused. RE2 has
		// no look-ahead, so the byte after the number is matched and kept.
		jsonNumber = `(?P<sep>(?P<jq>\\?")[ \t]*:[ \t]*)-?[0-9][0-9.eE+-]*(?P<end>[\s,}\]]|$)`
		// An unquoted value follows an unquoted key and = with blanks
		// around, or : alone, and ends at a blank, a quote, or a separator
		// of query strings, sudo logs, connection strings, Go's %+v and
		// JSON.
		sepBare = `[ \t]*=[ \t]*|:`
		bare    = `[^\s"'&,;\\}]`
		// After ": ", only a value holding a digit is taken for a secret,
		// so that prose ("invalid token: expired") is left alone.
		// Limitation: so YAML-style "password: hunter" stays as it is.
		number = `(?P<sep>` + keyEnd + `[ \t]*:[ \t]+)` + bare + `*[0-9]` + bare + `*`
		// The MySQL and MariaDB clients (lower-case commands) take
		// -pPASSWORD; -P (the port) and a lone -p (prompt for it) are not
		// passwords.
		mysql = `\b(?:mysql|mariadb)[a-z-]*\b[^\n;|&]*? -p`
	)
	values := func(first string) string {
		return `(?:(?P<sep>` + quoted + `")(?:[^"\\]|\\.)+` + // "key": "value", with JSON escapes
			`|(?P<sep>` + quoted + `\\")(?:[^"\\]|\\[^"])+` + // \"key\": \"value\" inside a JSON string
			`|(?P<sep>` + quoted + `')[^']+` + // key='value'
			`|` + jsonNumber + // "key": 1234
			`|(?P<sep>` + sepBare + `)` + first + bare + `*` + // key=value, key:value
			`|` + number + `)` // key: value1
	}
	return `(?P<key>` + names + `)` + values(bare) +
		`|(?P<key>` + pwd + `)` + values(`[^\s"'&,;\\}/]`) + // not PWD=/path
		`|(?P<key>` + mysql + `)(?:(?P<sep>')[^']+|(?P<sep>")[^"]+|[^\s"']+)`
}()
