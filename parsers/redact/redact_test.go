package redact

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/byteset"
	"github.com/corral-logs/corral/internal/shared"
)

// A 40-character stand-in for an AWS secret access key.
const fakeSecretKey = "TESTSECRETKEY/NotARealPassw0rd+FAKE00000"

// secretCases hold each shape of secret the built-in rules know, with the
// exact redacted line.
var secretCases = []struct {
	name, in, want string
}{
	{"pem block",
		"loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEKEYDATA\n-----END RSA PRIVATE KEY----- ok",
		"loaded [REDACTED:private_key] ok"},
	{"pem without end", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEFAKE",
		"[REDACTED:private_key]"},
	{"pem escaped in json",
		`{"pem":"-----BEGIN PRIVATE KEY-----\nMIIFAKE\n-----END PRIVATE KEY-----\n"}`,
		`{"pem":"[REDACTED:private_key]\n"}`},
	{"pgp block", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQFAKE\n-----END PGP PRIVATE KEY BLOCK-----",
		"[REDACTED:private_key]"},
	{"access key id", "using key AKIATESTKEYID1234567 for upload",
		"using key [REDACTED:aws_access_key_id] for upload"},
	{"session key id", "AccessKeyId=ASIATESTKEYID7654321,",
		"AccessKeyId=[REDACTED:aws_access_key_id],"},
	{"secret key ini", "aws_secret_access_key = " + fakeSecretKey,
		"aws_secret_access_key = [REDACTED:aws_secret_access_key]"},
	{"secret key json",
		`{"SecretAccessKey":"` + fakeSecretKey + `","Expiration":"2026-01-01T00:00:00Z"}`,
		`{"SecretAccessKey":"[REDACTED:aws_secret_access_key]","Expiration":"2026-01-01T00:00:00Z"}`},
	{"secret key env", "export AWS_SECRET_ACCESS_KEY=" + fakeSecretKey + " && run",
		"export AWS_SECRET_ACCESS_KEY=[REDACTED:aws_secret_access_key] && run"},
	{"secret key yaml", "secret_access_key: " + fakeSecretKey,
		"secret_access_key: [REDACTED:aws_secret_access_key]"},
	{"secret key of another shape", "aws_secret_access_key = FAKE-SHORT",
		"aws_secret_access_key = [REDACTED:password_field]"},
	{"url password", "connecting to postgres://orders_app:NotARealPassw0rd@db.internal:5432/orders",
		"connecting to postgres://orders_app:[REDACTED:url_password]@db.internal:5432/orders"},
	{"url empty user", "redis://:NotARealPassw0rd@cache:6379/0",
		"redis://:[REDACTED:url_password]@cache:6379/0"},
	{"url password with @ and :", "amqp://guest:Not@Re:al@rabbit/vhost",
		"amqp://guest:[REDACTED:url_password]@rabbit/vhost"},
	{"basic auth", "Authorization: Basic dGVzdDpOb3RBUmVhbFBhc3N3MHJk",
		"Authorization: Basic [REDACTED:basic_auth]"},
	{"bearer header", "Authorization: Bearer FAKE-TOKEN-0123456789",
		"Authorization: Bearer [REDACTED:bearer_token]"},
	{"bearer lower case", "sent bearer fake.token.value to upstream",
		"sent bearer [REDACTED:bearer_token] to upstream"},
	{"jwt", "id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.Zm9yLXRlc3Rz issued",
		"id_token [REDACTED:jwt] issued"},
	{"unsecured jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.",
		"[REDACTED:jwt]"},
	{"logfmt password", "level=info user=bob password=NotARealPassw0rd retry=1",
		"level=info user=bob password=[REDACTED:password_field] retry=1"},
	{"json password", `{"user":"bob","password":"NotARealPassw0rd"}`,
		`{"user":"bob","password":"[REDACTED:password_field]"}`},
	{"json with blanks", `{"client_secret": "FAKE-SECRET"}`,
		`{"client_secret": "[REDACTED:password_field]"}`},
	{"json escaped quote", `{"password":"Not\"Real"}`,
		`{"password":"[REDACTED:password_field]"}`},
	{"json in json", `{"msg":"body={\"password\":\"NotARealPassw0rd\"}"}`,
		`{"msg":"body={\"password\":\"[REDACTED:password_field]\"}"}`},
	{"json number", `{"pin_password": 12345}`,
		`{"pin_password": "[REDACTED:password_field]"}`},
	{"compact json number", `{"pin_password":-1.5e3,"x":1}`,
		`{"pin_password":"[REDACTED:password_field]","x":1}`},
	{"go %+v", "{User:bob Password:NotARealPassw0rd}",
		"{User:bob Password:[REDACTED:password_field]}"},
	{"single quotes", "password='Not Real Passw0rd'",
		"password='[REDACTED:password_field]'"},
	{"query token", "GET /cb?code=1&access_token=FAKE-QUERY-TOKEN-123&state=x",
		"GET /cb?code=1&access_token=[REDACTED:password_field]&state=x"},
	{"api key", "x-api-key=FAKE-API-KEY", "x-api-key=[REDACTED:password_field]"},
	{"header with a digit", "X-Auth-Token: FAKE0TOKEN", "X-Auth-Token: [REDACTED:password_field]"},
	{"colon and a value with a digit", "password: hunter2", "password: [REDACTED:password_field]"},
	{"colon without blank", "token:FAKE-TOKEN", "token:[REDACTED:password_field]"},
	{"odbc pwd", "Server=db;Uid=app;Pwd=NotARealPassw0rd;",
		"Server=db;Uid=app;Pwd=[REDACTED:password_field];"},
	{"env var", "PGPASSWORD=NotARealPassw0rd psql -h db",
		"PGPASSWORD=[REDACTED:password_field] psql -h db"},
	{"mysql -p", "COMMAND=/usr/bin/mysql -u root -pNotARealPassw0rd orders",
		"COMMAND=/usr/bin/mysql -u root -p[REDACTED:password_field] orders"},
	{"mysqldump -p quoted", "mysqldump -h db -P 3306 -p'Not Real' orders",
		"mysqldump -h db -P 3306 -p'[REDACTED:password_field]' orders"},
	{"two rules", "password=NotARealPassw0rd key=AKIATESTKEYID1234567",
		"password=[REDACTED:password_field] key=[REDACTED:aws_access_key_id]"},
	{"bearer jwt keeps bearer label",
		`"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0In0.Zm9y"`,
		`"authorization":"Bearer [REDACTED:bearer_token]"`},
	{"token jwt keeps jwt label", "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0In0.Zm9y",
		"token=[REDACTED:jwt]"},
}

// nearMisses look like secrets but are not; the built-in rules leave them
// as they are.
var nearMisses = []string{
	"AKIATESTKEYID123456 is one character short",
	"AKIATESTKEYID12345678 is one character long",
	"akiatestkeyid1234567 is lower case",
	"password changed for user bob",
	"Failed password for root from 203.0.113.78 port 50111 ssh2",
	"enter password:",
	"password=",
	`{"password":""}`,
	`{"password": null}`,
	`{"secret":true,"token":false}`,
	"invalid token: expired",
	"password: too short",
	"password: hunter",
	"max_tokens=100 token_count=5 tokenizer=bert",
	"see /etc/passwd: permission denied",
	"the bearer of this message",
	"Bearer token expired.",
	"missing bearer token",
	`WWW-Authenticate: Bearer realm="api"`,
	"basic auth failed for bob",
	"https://alice@example.com/path",
	"http://example.com:8080/x",
	"mailto:bob@example.com",
	"http://host:80/?email=a@b.com",
	"commit 4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 merged",
	"secret_access_key is not set",
	"eyJ",
	"header eyJhbGciOiJIUzI1NiJ9 alone",
	"two segments eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0",
	"-----BEGIN PUBLIC KEY-----\nMIIBFAKE\n-----END PUBLIC KEY-----",
	"-----BEGIN CERTIFICATE-----",
	"deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
	"mysql -u root -p orders",
	"mysql -P3306 -h db orders",
	"my secret santa list",
	"",
}

func TestRedactSecrets(t *testing.T) {
	r := mustNew(t, nil, nil)
	for _, c := range secretCases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := r.Redact(nil, []byte(c.in))
			if string(got) != c.want || !changed {
				t.Errorf("Redact(%q) = %q, %v; want %q, true", c.in, got, changed, c.want)
			}
		})
	}
}

func TestRedactLeavesNearMisses(t *testing.T) {
	r := mustNew(t, nil, nil)
	for _, in := range nearMisses {
		msg := []byte(in)
		got, changed := r.Redact(make([]byte, 0, 64), msg)
		if changed || string(got) != in {
			t.Errorf("Redact(%q) = %q, %v; want it unchanged", in, got, changed)
		}
		if len(msg) > 0 && &got[0] != &msg[0] {
			t.Errorf("Redact(%q) copied an unchanged message", in)
		}
	}
}

// TestHostLogs runs the rules over the shared sample logs: the lines known
// to hold secrets are redacted, every other line is left alone.
func TestHostLogs(t *testing.T) {
	dir := shared.Testdata(t, "hostlogs")
	want := map[string]map[int]string{
		"app-json.log": {
			3: `{"ts":"2026-01-01T00:00:02.500Z","level":"warn","msg":"slow query","db":{"statement":` +
				`"SELECT * FROM orders WHERE id = $1","args":[42],"elapsed_ms":1534},"dsn":` +
				`"postgres://orders_app:[REDACTED:url_password]@10.0.2.15:5432/orders?sslmode=require"}`,
			8: `{"ts":"2026-01-01T00:00:07.000Z","level":"info","msg":"outbound call","headers":` +
				`{"authorization":"Bearer [REDACTED:bearer_token]"}}`,
		},
		"auth.log": {
			7: "2026-01-01T00:00:07.000111+00:00 web-01 sudo[4490]:   deploy : TTY=pts/0 ; PWD=/srv ; " +
				"USER=root ; COMMAND=/usr/bin/mysql -u root -p[REDACTED:password_field] orders",
		},
		"nginx-access.log": {
			2: `198.51.100.7 - alice [31/Dec/2025:23:59:59 +0000] "POST /api/v1/orders?id=42&` +
				`token=[REDACTED:password_field] HTTP/2.0" 201 89 "https://shop.example.com/cart" "curl/8.5.0"`,
		},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample logs in %s: %v", dir, err)
	}
	r := mustNew(t, nil, nil)
	for _, path := range files {
		name := filepath.Base(path)
		for n, line := range readLines(t, path) {
			got, changed := r.Redact(nil, line)
			w, ok := want[name][n+1]
			if !ok {
				w = string(line)
			}
			if string(got) != w || changed != ok {
				t.Errorf("%s:%d: got %q, %v; want %q, %v", name, n+1, got, changed, w, ok)
			}
		}
	}
}

// readLines returns the lines of the file at path, without terminators.
func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	s := bufio.NewScanner(f)
	s.Buffer(nil, 2<<20)
	for s.Scan() {
		lines = append(lines, bytes.Clone(s.Bytes()))
	}
	if err := s.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return lines
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name     string
		disabled []string
		user     []UserRule
		want     []string // substrings of the error
	}{
		{"unknown disabled", []string{"jwt", "passwords"}, nil,
			[]string{`"passwords"`, "private_key, aws_access_key_id", "password_field"}},
		{"bad pattern", nil, []UserRule{{Name: "ok", Pattern: "x"}, {Name: "card", Pattern: "(\\d{4}"}},
			[]string{"rule 2", "card", "compile pattern"}},
		{"empty match", nil, []UserRule{{Name: "digits", Pattern: "\\d*"}},
			[]string{"digits", "empty string"}},
		{"empty name", nil, []UserRule{{Pattern: "x"}}, []string{"rule 1", "empty name"}},
		{"bad name", nil, []UserRule{{Name: "a]b", Pattern: "x"}}, []string{`"a]b"`}},
		{"taken by built-in", nil, []UserRule{{Name: "jwt", Pattern: "x"}}, []string{`"jwt"`, "taken"}},
		{"taken by user", nil, []UserRule{{Name: "a", Pattern: "x"}, {Name: "a", Pattern: "y"}},
			[]string{"rule 2", "taken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.disabled, c.user)
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	r := mustNew(t, []string{PasswordField}, nil)
	in := "password=NotARealPassw0rd key=AKIATESTKEYID1234567"
	got, _ := r.Redact(nil, []byte(in))
	if want := "password=NotARealPassw0rd key=[REDACTED:aws_access_key_id]"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A disabled built-in's name is free for a user rule.
	if _, err := New([]string{JWT}, []UserRule{{Name: JWT, Pattern: "eyJ[a-z]+"}}); err != nil {
		t.Errorf("user rule named after a disabled built-in: %v", err)
	}
}

func TestUserRules(t *testing.T) {
	r := mustNew(t, nil, []UserRule{
		{Name: "ssn", Pattern: `\b\d{3}-\d{2}-\d{4}\b`},
		{Name: "card", Pattern: `(card=)\d{12}(\d{4})`, Replacement: "${1}[REDACTED:card]$2"},
		{Name: "employee", Pattern: `(?i)emp-\d+`},
	})
	cases := []struct{ in, want string }{
		{"ssn 123-45-6789 on file", "ssn [REDACTED:ssn] on file"},
		{"card=4111111111111111 ok", "card=[REDACTED:card]1111 ok"},
		{"by EMP-42 and emp-7", "by [REDACTED:employee] and [REDACTED:employee]"},
		{"card=41 ok", "card=41 ok"},
	}
	for _, c := range cases {
		if got, _ := r.Redact(nil, []byte(c.in)); string(got) != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// A literal prefix is the anchor; a case-insensitive pattern has none.
	card := r.rules[len(r.rules)-2].anchors
	if !holds(card, "xcard=") || holds(card, "cart") {
		t.Errorf("card anchors: %+v", card)
	}
	if r.rules[len(r.rules)-1].anchors != nil {
		t.Error("a case-insensitive pattern got an anchor")
	}
}

// holds reports whether msg holds one of the anchors as.
func holds(as []anchor, msg string) bool {
	var p prefilter
	p.add(1, as)
	return p.scan([]byte(msg), 0) != 0
}

func TestCounts(t *testing.T) {
	r := mustNew(t, nil, nil)
	r.Redact(nil, []byte("password=a token=b AKIATESTKEYID1234567"))
	r.Redact(nil, []byte("secret=c"))
	r.Redact(nil, []byte("secret=[REDACTED:jwt]")) // already redacted: not counted
	got := map[string]int64{}
	for _, c := range r.Counts() {
		got[c.Rule] = c.Redacted
	}
	want := map[string]int64{PrivateKey: 0, AWSAccessKeyID: 1, AWSSecretAccessKey: 0, URLPassword: 0,
		BasicAuth: 0, BearerToken: 0, JWT: 0, PasswordField: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	var nilR *Redactor
	if out, changed := nilR.Redact(nil, []byte("password=x")); changed || string(out) != "password=x" {
		t.Errorf("nil Redactor changed the message: %q", out)
	}
}

// TestBuffers checks that Redact writes into dst from its start, whatever
// it held, when one rule and when several rules change the message.
func TestBuffers(t *testing.T) {
	r := mustNew(t, nil, nil)
	for _, c := range []struct{ in, want string }{
		{"password=x", "password=[REDACTED:password_field]"},
		{"AKIATESTKEYID1234567 password=x eyJa.eyJb.c", // three rules in turn
			"[REDACTED:aws_access_key_id] password=[REDACTED:password_field] [REDACTED:jwt]"},
		{"AKIATESTKEYID1234567 password=x",
			"[REDACTED:aws_access_key_id] password=[REDACTED:password_field]"},
	} {
		for _, dst := range [][]byte{nil, []byte("leftover bytes"), make([]byte, 3, 1024)} {
			msg := []byte(c.in)
			got, _ := r.Redact(dst, msg)
			if string(got) != c.want || string(msg) != c.in {
				t.Errorf("Redact(%q, %q) = %q (input now %q), want %q", dst, c.in, got, msg, c.want)
			}
			if cap(dst) >= len(c.want) && &got[0] != &dst[:1][0] {
				t.Errorf("Redact(%q) did not reuse dst of capacity %d", c.in, cap(dst))
			}
		}
	}
}

func TestBuiltin(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	rules := Builtin()
	for _, r := range rules {
		if !snake.MatchString(r.Name) || r.Pattern == nil || r.anchors == nil {
			t.Errorf("rule %q: bad name, no pattern or no anchor", r.Name)
		}
	}
	rules[0].Name = "changed"
	if Builtin()[0].Name == "changed" {
		t.Error("Builtin returned its own slice")
	}
}

// TestAnchorsCoverMatches checks the anchors of every built-in rule admit
// each secret case its pattern matches, and that running the pattern from
// the first anchor finds what running it over the whole message does: an
// anchor that missed would let the secret through.
func TestAnchorsCoverMatches(t *testing.T) {
	r, ref := mustNew(t, nil, nil), reference(t)
	for _, c := range secretCases {
		for _, rule := range Builtin() {
			if rule.Pattern.MatchString(c.in) && !holds(rule.anchors, c.in) {
				t.Errorf("rule %s matches %q but its anchors do not", rule.Name, c.in)
			}
		}
		// Behind more text, so that the pattern runs from a later point.
		for _, in := range []string{c.in, "level=info msg=\"a b\" " + c.in} {
			got, _ := r.Redact(nil, []byte(in))
			want, _ := ref.Redact(nil, []byte(in))
			if string(got) != string(want) {
				t.Errorf("Redact(%q) = %q, without anchors %q", in, got, want)
			}
		}
	}
}

// reference returns a Redactor with the built-in rules that runs every
// pattern over every whole message: slow, and what the anchors must not
// change.
func reference(t testing.TB) *Redactor {
	r := mustNew(t, nil, nil)
	r.pre = prefilter{}
	for i := range r.rules {
		r.rules[i].anchors, r.rules[i].fromAnchor = nil, false
		r.own[i] = nil
	}
	r.always = true
	return r
}

func TestAnchors(t *testing.T) {
	cases := []struct {
		name string
		as   []anchor
		hold []string
		dont []string
	}{
		{"folded", folded('w', "passw"),
			[]string{"PASSWORD", "x PassW", "passw"}, []string{"pass", "", "passq"}},
		{"exact", exact('A', "AKIA", "AGPA"),
			[]string{"xx AGPA", "AKIA"}, []string{"akia", "AKI", "AGP"}},
		{"keys", keys("token", "pwd"), []string{"TOKEN=x", `"token": "x"`, `\"Pwd\":`, "token :"},
			[]string{"token", "tokens=", "token x=", "=token", `token"":`}},
		{"user prefix", literalAnchors("card="), []string{"xcard=1"}, []string{"card", "Card="}},
	}
	// Short messages are searched a byte at a time, long ones in one
	// pass (where it runs), a window of markWindow bytes at a time: the
	// pads put each case's bytes on both sides of a window's end, and
	// each of its first bytes on the window's last and on the next one's
	// first.
	pads := []int{0, 20}
	for pad := markWindow - 48; pad <= markWindow+1; pad++ {
		pads = append(pads, pad)
	}
	for _, c := range cases {
		for _, pad := range pads {
			x := strings.Repeat(" ", pad)
			for _, m := range c.hold {
				if !holds(c.as, x+m) || !holds(c.as, x+m+x) {
					t.Errorf("%s: %q after %d blanks holds no anchor", c.name, m, pad)
				}
			}
			for _, m := range c.dont {
				if holds(c.as, x+m) || holds(c.as, x+m+x) {
					t.Errorf("%s: %q after %d blanks holds an anchor", c.name, m, pad)
				}
			}
		}
	}
	// Rules share their stops: the built-ins search seven bytes, all in
	// one pass where there is vector code.
	r := mustNew(t, nil, nil)
	var by []byte
	for _, g := range r.pre.groups {
		by = append(by, g.by)
	}
	if len(by) != 7 {
		t.Errorf("the built-in rules search %d bytes (%q), want 7", len(by), by)
	}
	if byteset.Fast() && r.pre.stops == nil {
		t.Errorf("the built-in rules' bytes %q are not searched in one pass", by)
	}
}

func mustNew(t testing.TB, disabled []string, user []UserRule) *Redactor {
	t.Helper()
	r, err := New(disabled, user)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// cleanLine is about 200 bytes of a typical application log line holding
// no secret and no anchor of one.
const cleanLine = `2026-01-01T00:00:03.000Z INFO orders: request completed method=GET ` +
	`path=/api/v1/orders/42 status=200 duration_ms=12.5 user_agent="curl/8.5.0" ` +
	`request_id=8b7e1c2a-5d1f-4b8e-9a3c-2f6d0e1b7a90 bytes=512`

func BenchmarkRedactClean(b *testing.B) {
	r := mustNew(b, nil, nil)
	msg := []byte(cleanLine)
	dst := make([]byte, 0, 512)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed := r.Redact(dst, msg); changed {
			b.Fatal("clean line changed")
		}
	}
}

func BenchmarkRedactSecret(b *testing.B) {
	r := mustNew(b, nil, nil)
	msg := []byte(strings.Replace(cleanLine, "bytes=512", "password=NotARealPassw0rd", 1))
	dst := make([]byte, 0, 512)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed := r.Redact(dst, msg); !changed {
			b.Fatal("secret not redacted")
		}
	}
}
