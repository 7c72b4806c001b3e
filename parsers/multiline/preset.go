package multiline

import (
	"fmt"
	"regexp"
	"strings"
)

// Start patterns of the presets. Each is a list of the line openings of
// the language's common logging libraries; a stack trace line matches
// none of them, so it continues the event above it.
var (
	javaStart = startOf(
		// ISO 8601, maybe in brackets: logback, log4j2, Spring Boot
		`\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}`,
		// time of day: the console defaults of logback and log4j2
		`\d{2}:\d{2}:\d{2}[.,]\d{3} `,
		// Tomcat: 20-Mar-2026 10:00:00.000
		`\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}`,
		// java.util.logging: Mar 20, 2026 1:00:00 PM (its "SEVERE: ..." second line continues)
		`[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M`,
		// level first: "ERROR [main] ...", Maven's "[INFO] ..."
		`\[?(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\]?\s`,
		// an exception no handler caught, printed by the JVM
		`Exception in thread "`,
		// a JSON log line
		`\{"`,
	)
	pythonStart = startOf(
		// logging's asctime (2026-03-20 10:00:00,123) and ISO 8601, maybe
		// in brackets: gunicorn, Celery
		`\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}`,
		// Django's development server: [20/Mar/2026 10:00:00]
		`\[\d{2}/[A-Z][a-z]{2}/\d{4} \d{2}:\d{2}:\d{2}\]`,
		// level first: basicConfig's "ERROR:root:...", uvicorn's "INFO:     ..."
		`(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)[:\s]`,
		`\[(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\]`,
		// a JSON log line
		`\{"`,
	)
	goStart = startOf(
		// the log package: 2026/03/20 10:00:00
		`\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}`,
		// RFC 3339: zap's console encoder, zerolog's console writer
		`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}`,
		// glog and klog: I0320 10:00:00.000000
		`[IWEF]\d{4} \d{2}:\d{2}:\d{2}`,
		// logfmt: log/slog's text handler, logrus, go-kit
		`(?:time|ts|level)=`,
		// logrus on a terminal: INFO[0000]
		`(?:DEBU|INFO|WARN|ERRO|FATA|PANI)\[`,
		// a panic or a fatal runtime error; its goroutine traces continue it
		`panic: `,
		`fatal error: `,
		// a JSON log line: log/slog, zap, zerolog
		`\{"`,
	)
)

// startOf compiles a pattern matching a line that begins with any of
// openings.
func startOf(openings ...string) *regexp.Regexp {
	return regexp.MustCompile(`^(?:` + strings.Join(openings, "|") + `)`)
}

// Preset returns the built-in rule for a language's logs: java, python or
// go. A preset sets Start only: a line that begins with a timestamp, a
// level or a marker such as "panic: " opens an event, and every other line
// (stack frames, "Caused by:", "Traceback", "goroutine 1 [running]:")
// continues it. MaxLines and MaxBytes are zero, for the caller to set.
//
// Limitation: an exception printed without a log line of its own (a Python
// traceback on stderr) joins the event above it, since only the log
// line's opening tells events apart.
func Preset(name string) (Rule, error) {
	switch name {
	case "java":
		return Rule{Start: javaStart}, nil
	case "python":
		return Rule{Start: pythonStart}, nil
	case "go":
		return Rule{Start: goStart}, nil
	}
	return Rule{}, fmt.Errorf("find preset: unknown preset %q (want java, python or go)", name)
}
