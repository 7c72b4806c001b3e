package multiline

import "testing"

// TestPresets checks which lines of common libraries open an event under
// each preset, and that stack trace lines never do.
func TestPresets(t *testing.T) {
	tests := []struct {
		preset string
		starts []string
		not    []string
	}{
		{preset: "java", starts: []string{
			"2026-03-20 10:00:00.123 ERROR [main] c.e.App - failed",
			"2026-03-20T10:00:00.123Z  INFO 1 --- [main] o.s.b.StartupInfoLogger : Started",
			"[2026-03-20 10:00:00,123] WARN something",
			"10:00:00.123 [main] ERROR com.example.App - failed",
			"20-Mar-2026 10:00:00.000 SEVERE [main] org.apache.catalina.startup.Catalina.start",
			"Mar 20, 2026 1:00:00 PM com.example.App main",
			"ERROR [main] com.example.App - failed",
			"[INFO] BUILD SUCCESS",
			`Exception in thread "main" java.lang.IllegalStateException: bad`,
			`{"@timestamp":"2026-03-20T10:00:00Z","level":"ERROR"}`,
		}, not: []string{
			"java.lang.IllegalStateException: bad state",
			"\tat com.example.Svc.run(Svc.java:42)",
			"    at com.example.Svc.run(Svc.java:42)",
			"Caused by: java.sql.SQLException: timeout",
			"\t... 2 more",
			"\tSuppressed: java.io.IOException: close failed",
			"\t\tat com.example.Client.close(Client.java:31)",
			"SEVERE: failed to start", // java.util.logging's second line
			"{",
		}},
		{preset: "python", starts: []string{
			"2026-03-20 10:00:00,123 ERROR orders.worker: failed",
			"2026-03-20T10:00:00.123+00:00 INFO started",
			"[2026-03-20 10:00:00 +0000] [1] [INFO] Booting worker with pid: 1",
			"[2026-03-20 10:00:00,000: ERROR/MainProcess] Task failed",
			"[20/Mar/2026 10:00:00] \"GET / HTTP/1.1\" 500 0",
			"ERROR:root:failed to process job 7",
			"INFO:     127.0.0.1:50000 - \"GET / HTTP/1.1\" 200 OK",
			"[WARNING] retrying",
			`{"asctime": "2026-03-20 10:00:00", "levelname": "ERROR"}`,
		}, not: []string{
			"Traceback (most recent call last):",
			"  File \"/srv/app.py\", line 1, in <module>",
			"    raise ValueError(\"bad\")",
			"           ~~^~~",
			"ValueError: bad",
			"KeyError: 'amount'",
			"During handling of the above exception, another exception occurred:",
			"The above exception was the direct cause of the following exception:",
			"  + Exception Group Traceback (most recent call last):",
			"  |   File \"/srv/batch.py\", line 9, in run_all",
			"    +---------------- 2 ----------------",
		}},
		{preset: "go", starts: []string{
			"2026/03/20 10:00:00 listening on :8080",
			"2026/03/20 10:00:00.123456 main.go:10: listening",
			"2026-03-20T10:00:00.123Z\tINFO\tserver/main.go:10\tlistening",
			"I0320 10:00:00.123456       1 main.go:10] listening",
			"time=2026-03-20T10:00:00.000Z level=INFO msg=listening",
			`level=error ts=2026-03-20T10:00:00Z msg="failed"`,
			"INFO[0000] listening",
			"panic: runtime error: index out of range [5] with length 3",
			"fatal error: concurrent map writes",
			`{"time":"2026-03-20T10:00:00Z","level":"ERROR","msg":"failed"}`,
		}, not: []string{
			"goroutine 1 [running]:",
			"main.main()",
			"\t/src/main.go:10 +0x1d",
			"created by net/http.(*Server).Serve in goroutine 1",
			"\tpanic: second [recovered]",
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]",
			"exit status 2",
			"internal/poll.runtime_pollWait(0x7f3a2c1e8e28, 0x72)",
		}},
	}
	for _, tt := range tests {
		r, err := Preset(tt.preset)
		if err != nil {
			t.Fatal(err)
		}
		if r.Continue != nil || r.MaxLines != 0 || r.MaxBytes != 0 {
			t.Errorf("preset %s sets more than Start: %+v", tt.preset, r)
		}
		for _, line := range tt.starts {
			if !r.Start.MatchString(line) {
				t.Errorf("preset %s: %q does not start an event", tt.preset, line)
			}
		}
		for _, line := range tt.not {
			if r.Start.MatchString(line) {
				t.Errorf("preset %s: %q starts an event", tt.preset, line)
			}
		}
	}
	if _, err := Preset("ruby"); err == nil {
		t.Error(`Preset("ruby") succeeded, want an error`)
	}
}
