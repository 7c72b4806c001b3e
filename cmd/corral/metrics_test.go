package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/corral-logs/corral/internal/cwltest"
)

// serverAddress returns the address corral says it serves metrics on.
func serverAddress(t *testing.T, p *process) string {
	t.Helper()
	re := regexp.MustCompile(`"msg":"serving metrics and health","address":"([^"]+)"`)
	var addr string
	waitUntil(t, 10*time.Second, func() bool {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			addr = m[1]
		}
		return addr != ""
	}, func() string { return "no \"serving metrics and health\" line" })
	return addr
}

// scrape reads the metrics corral serves, by family name.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value returns the value of the sample of family whose labels include
// labels ("k=v" each); -1 when there is none.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			found := false
			for _, lp := range m.Label {
				found = found || lp.GetName() == k && lp.GetValue() == v
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// probe returns the status code of a health endpoint.
func probe(t *testing.T, addr, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsAndHealth scrapes /metrics after a run whose every event is
// known, and checks each counter against it; then an outage turns
// /healthz and /readyz to failing, and recovery back.
func TestMetricsAndHealth(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir := t.TempDir()
	lines := `{"level":"info","msg":"one"}
{"level":"info","msg":"two","key":"AKIAIOSFODNN7EXAMPLE"}
not json
healthcheck ok

{"level":"warn","msg":"three"}
healthcheck ok
`
	if err := os.WriteFile(filepath.Join(dir, "app.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
shutdown_timeout: 2s
aws: {region: us-east-1, endpoint_url: %s}
cloudwatch: {log_group: lg, log_stream: s, flush_interval: 100ms}
server: {listen: "127.0.0.1:0", unhealthy_after: 1s}
sources:
  - name: app
    paths: [%q]
    parser: json
    exclude_lines: [healthcheck]
`, t.TempDir(), fake.URL(), filepath.Join(dir, "*.log")))
	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	addr := serverAddress(t, p)
	waitUntil(t, 15*time.Second, func() bool { n, _ := fake.Total(); return n >= 4 },
		func() string { n, _ := fake.Total(); return fmt.Sprintf("%d of 4 events", n) })

	var m map[string]*dto.MetricFamily
	waitUntil(t, 5*time.Second, func() bool {
		m = scrape(t, addr)
		return value(m, "corral_checkpoint_lag_events", "source=app") == 0
	}, func() string { return "checkpoint lag never reached 0" })
	sentBytes := 0
	for _, e := range fake.Events("lg", "s") {
		sentBytes += len(e.Message)
	}
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"corral_events_read_total", []string{"source=app"}, 4},
		{"corral_events_sent_total", nil, 4},
		{"corral_bytes_sent_total", nil, float64(sentBytes)},
		{"corral_events_dropped_total", []string{"reason=filtered"}, 2},
		{"corral_events_dropped_total", []string{"reason=empty"}, 1},
		{"corral_events_dropped_total", []string{"reason=too_old"}, 0},
		{"corral_events_unparsed_total", []string{"source=app"}, 1},
		{"corral_redactions_total", []string{"rule=aws_access_key_id"}, 1},
		{"corral_files_watched", []string{"source=app"}, 1},
		{"corral_buffer_used_bytes", nil, 0},
		{"corral_healthy", nil, 1},
		{"corral_build_info", nil, 1},
	} {
		if got := value(m, c.family, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	if ok := value(m, "corral_requests_total", "outcome=ok"); ok < 1 {
		t.Errorf("corral_requests_total{outcome=ok} = %v, want at least 1", ok)
	}
	attempts := 0.0
	for _, s := range m["corral_requests_total"].GetMetric() {
		attempts += s.GetCounter().GetValue()
	}
	if n := value(m, "corral_request_duration_seconds"); n != attempts {
		t.Errorf("latency observations %v, want one per attempt (%v)", n, attempts)
	}
	if probe(t, addr, "/healthz") != 200 || probe(t, addr, "/readyz") != 200 {
		t.Fatalf("healthz %d, readyz %d while delivering, want 200 and 200",
			probe(t, addr, "/healthz"), probe(t, addr, "/readyz"))
	}

	// An outage with events waiting: unhealthy after a second, not ready.
	fake.SetDown(true)
	f, err := os.OpenFile(filepath.Join(dir, "app.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, `{"level":"error","msg":"during the outage"}`)
	f.Close()
	waitUntil(t, 15*time.Second, func() bool { return probe(t, addr, "/healthz") == 503 },
		func() string { return "healthz stayed 200 through the outage" })
	if code := probe(t, addr, "/readyz"); code != 503 {
		t.Errorf("readyz %d during the outage, want 503", code)
	}
	fake.SetDown(false)
	waitUntil(t, 15*time.Second, func() bool {
		return probe(t, addr, "/healthz") == 200 && probe(t, addr, "/readyz") == 200
	}, func() string { return "healthz or readyz did not recover" })
	p.stop(10 * time.Second)
	if n, _ := fake.Total(); n != 5 {
		t.Errorf("delivered %d events, want 5", n)
	}
}
