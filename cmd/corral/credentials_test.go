package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// fakeSTS answers AssumeRole with fresh credentials of a short lifetime
// and passes CloudWatch Logs requests on to a validating fake, checking
// that none is signed with credentials past their expiry.
type fakeSTS struct {
	t        *testing.T
	life     time.Duration
	mu       sync.Mutex
	expiry   map[string]time.Time // guarded by mu: access key id -> expiry
	assumed  int                  // guarded by mu
	expired  int                  // guarded by mu: requests signed with expired keys
	external []string             // guarded by mu: external ids asked with
	refuse   int                  // guarded by mu: next Logs requests to refuse as expired anyway
	logs     *httputil.ReverseProxy
}

func newFakeSTS(t *testing.T, logs *cwltest.Server, life time.Duration) (*fakeSTS, string) {
	target, _ := url.Parse(logs.URL())
	f := &fakeSTS{t: t, life: life, expiry: make(map[string]time.Time), logs: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		t.Logf("AssumeRole calls: %d; requests with expired credentials: %d", f.assumed, f.expired)
	})
	return f, srv.URL
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Logs_") {
		key := accessKey(r.Header.Get("Authorization"))
		f.mu.Lock()
		exp, ok := f.expiry[key]
		skewed := f.refuse > 0 // the service's clock disagrees with ours
		if skewed {
			f.refuse--
			delete(f.expiry, key)
		}
		if !ok || !time.Now().Before(exp) || skewed {
			if !skewed {
				f.expired++
			}
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}`)
			return
		}
		f.mu.Unlock()
		f.logs.ServeHTTP(w, r)
		return
	}
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.assumed++
	key := fmt.Sprintf("ASIAFAKE%012d", f.assumed)
	exp := time.Now().Add(f.life)
	f.expiry[key] = exp
	f.external = append(f.external, r.Form.Get("ExternalId"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>
<SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/corral-shipper/s</Arn><AssumedRoleId>AROAFAKE:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		key, exp.UTC().Format(time.RFC3339))
}

// accessKey returns the access key id of a SigV4 Authorization header.
func accessKey(auth string) string {
	_, rest, _ := strings.Cut(auth, "Credential=")
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// TestAssumedCredentialsAreRefreshedBeforeExpiry ships a line every
// 200 ms for two minutes through credentials that STS grants for 30 s:
// corral must re-assume the role before they expire (at half their life
// here), so that no request is signed with expired credentials, and
// deliver every line once.
func TestAssumedCredentialsAreRefreshedBeforeExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("takes two minutes; run without -short")
	}
	fake := cwltest.New(t, cwltest.Options{})
	f, endpoint := newFakeSTS(t, fake, 30*time.Second)
	dir, state := t.TempDir(), t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: arn:aws:iam::222222222222:role/corral-shipper
    external_id: refresh-test
    duration: 15m
cloudwatch:
  log_group: lg-test
  log_stream: s1
  flush_interval: 100ms
sources:
  - paths: [%q]
`, state, endpoint, filepath.Join(dir, "*.log")))
	p := startCorral(t, fakeEnv, "run", "--config", cfg)

	file, err := os.Create(filepath.Join(dir, "c.log"))
	if err != nil {
		t.Fatal(err)
	}
	const lines = 600
	for n := range lines {
		fmt.Fprintf(file, "n-%08d\n", n)
		time.Sleep(200 * time.Millisecond)
	}
	var seen map[int]int
	waitUntil(t, 30*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == lines
	}, func() string { return fmt.Sprintf("%d of %d lines arrived", len(seen), lines) })

	// Case B35 phase 3: the service calls still-valid credentials expired
	// (clock skew). corral refreshes at once and resends.
	f.mu.Lock()
	f.refuse = 1
	before := f.assumed
	f.mu.Unlock()
	fmt.Fprintf(file, "n-%08d\n", lines)
	file.Close()
	waitUntil(t, 10*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == lines+1
	}, func() string { return "the line after the refusal did not arrive" })
	f.mu.Lock()
	if f.assumed == before {
		t.Errorf("no AssumeRole after ExpiredTokenException")
	}
	f.mu.Unlock()
	p.stop(10 * time.Second)

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expired != 0 {
		t.Errorf("%d requests were signed with expired credentials", f.expired)
	}
	// 120 s at a refresh every 15 s: about 8 AssumeRole calls (one more for
	// the refusal), not one per request.
	if f.assumed < 7 || f.assumed > 14 {
		t.Errorf("AssumeRole called %d times in 120 s with 30 s credentials, want 7 to 14", f.assumed)
	}
	for _, id := range f.external {
		if id != "refresh-test" {
			t.Errorf("AssumeRole with external id %q, want refresh-test", id)
		}
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("line %d arrived %d times", n, c)
		}
	}
}
