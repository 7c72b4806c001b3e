// Package cwltest is a fake CloudWatch Logs endpoint for tests. It speaks the
// service's JSON 1.1 protocol on 127.0.0.1, checks every request against the
// service's rules and refuses what the service would refuse, records what it
// saw, injects faults, and either stores events itself or forwards valid
// requests to an emulator (moto).
//
// A PutLogEvents request is refused whole (HTTP 400,
// InvalidParameterException) when its events weigh more than 1,048,576
// bytes (UTF-8 message bytes plus 26 each), number more than 10,000 or
// none, hold an empty, oversized or non-UTF-8 message, are out of timestamp
// order or span more than 24 hours, or when a name is invalid. Events older
// than 14 days or more than 2 hours ahead of the service clock are refused
// one by one, in an HTTP 200 answer whose rejectedLogEventsInfo holds the
// service's indices, while the rest is stored.
//
// Point an SDK client at URL with static credentials. The access key id of
// each request is recorded; its signature is checked when Options.SecretKeys
// is set.
package cwltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configures a Server. The zero value is an in-memory fake that
// fails the test on any invalid request.
type Options struct {
	// MaxEventBytes is the largest message in bytes the fake accepts.
	// Zero means DefaultMaxEventBytes (1,048,550).
	MaxEventBytes int

	// Upstream, when set, is a base URL (moto's) to forward every request
	// that passes validation to, with the same method, path, headers
	// (Authorization too) and body; a gzip body goes decompressed, which
	// moto 5.2.1 needs. The fake answers with upstream's answer, with one
	// change: the rejectedLogEventsInfo of a successful PutLogEvents is
	// replaced by the service's indices, which moto gets wrong. moto
	// decides what it stores with its own clock, so leave Now unset with
	// Upstream. Without Upstream the fake stores events itself.
	Upstream string

	// OtherServices, when set and Upstream is not, is a base URL (moto's)
	// that requests of other services than CloudWatch Logs go to, as with
	// Upstream: unchecked and unchanged, so that one endpoint URL serves a
	// client's S3, SQS and STS calls too. CloudWatch Logs stays in the fake.
	OtherServices string

	// Now is the service clock for the 14-day and 2-hour window. Nil means
	// time.Now.
	Now func() time.Time

	// AllowInvalid, when true, only records invalid requests as
	// violations. When false (the default) each one also fails the test
	// with t.Errorf; a Server from Start only records them either way.
	// Invalid means refused as InvalidParameterException: a PutLogEvents
	// that breaks a rule, a bad name in CreateLogGroup or CreateLogStream,
	// a retention the service does not offer.
	AllowInvalid bool

	// Discard, when true, stores no events: the fake keeps groups,
	// streams and counts only. For benchmarks.
	Discard bool

	// SecretKeys, when set, maps access key ids to their secret keys, and
	// the fake checks the SigV4 signature of every request against the
	// bytes it received, as the service does: a request signed with
	// another key, or over other bytes (such as the body before it was
	// compressed), is refused (HTTP 400, InvalidSignatureException or
	// UnrecognizedClientException) and recorded as a violation. Nil checks
	// nothing but records each request's access key id.
	SecretKeys map[string]string

	// OnEvent, when set, is called for every event the fake accepted (in
	// every mode), in the request's order. Calls are serialized by the
	// fake's lock, so OnEvent needs no locking of its own; it must not
	// call the Server's methods.
	OnEvent func(group, stream string, ev Event)
}

// Event is one log event.
type Event struct {
	Timestamp int64  `json:"timestamp"` // milliseconds since the Unix epoch
	Message   string `json:"message"`
}

// Request records one PutLogEvents request.
type Request struct {
	Group, Stream string
	Events        int    // events in the request
	Bytes         int    // sum of message bytes plus 26 per event
	Status        int    // HTTP status answered; 0 for a reset connection
	AccessKeyID   string // from the Authorization header
	Gzip          bool   // the body was gzip-encoded
	WireBytes     int    // body bytes as sent, compressed or not
	BodyBytes     int    // body bytes decoded: WireBytes unless Gzip
}

// Call records one request of any operation.
type Call struct {
	Op          string // "PutLogEvents"; empty when the target header is missing
	AccessKeyID string
	Status      int // HTTP status answered; 0 for a reset connection
}

// Fault is a scripted answer. Injected faults are used in order, each by the
// next request whose operation matches. A fault is played after the request
// is checked, so an invalid request is still recorded as a violation, and
// before it is served, so a fault that answers leaves nothing stored.
type Fault struct {
	// Op is the operation to match, such as "PutLogEvents"; "" matches any.
	Op string

	// Status, when not zero, is answered with an AWS JSON error of
	// ErrorType and Message (ErrorType "" sends no type, Message ""
	// sends "injected fault"). Zero answers normally, after Delay.
	Status    int
	ErrorType string
	Message   string

	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration

	// Reset closes the connection with a TCP reset instead of answering.
	Reset bool
}

// Server is a running fake on 127.0.0.1. Its methods are safe for concurrent
// use.
type Server struct {
	tb        testing.TB // nil for a Server from Start
	opts      Options
	ts        *httptest.Server
	listener  *listener
	upstream  *http.Client  // nil without Options.Upstream or OtherServices
	others    string        // where requests of other services go, or ""
	closing   chan struct{} // closed by Close, to cut Delays short
	closeOnce sync.Once

	down       atomic.Bool
	requestIDs atomic.Int64

	// Pools for the hot path, PutLogEvents.
	puts        sync.Pool // *putRequest
	buffers     sync.Pool // *bytes.Buffer
	gzipReaders sync.Pool // *gzip.Reader

	mu         sync.Mutex // guards the fields below
	groups     map[string]*group
	counts     map[streamKey]*count
	total      count
	requests   []Request
	calls      []Call
	violations []string
	faults     []Fault
	auth       map[string]string // group -> last Authorization naming it (Upstream only)
}

type streamKey struct{ group, stream string }

type count struct{ events, bytes int64 }

// New starts a fake and closes it when the test ends. An invalid request
// fails the test (unless Options.AllowInvalid), and so does a failure of the
// fake's own setup, such as an upstream it cannot reach.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatalf("cwltest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake outside a test, for programs such as benchmarks. It
// fails nothing: invalid requests, and failures of the fake's own setup,
// are only recorded; read them with Violations. Call Close when done.
func Start(opts Options) (*Server, error) {
	return start(nil, opts)
}

// start starts a fake that reports to t, or only records when t is nil.
func start(t testing.TB, opts Options) (*Server, error) {
	if opts.MaxEventBytes == 0 {
		opts.MaxEventBytes = DefaultMaxEventBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Upstream = strings.TrimSuffix(opts.Upstream, "/")
	opts.OtherServices = strings.TrimSuffix(opts.OtherServices, "/")
	s := &Server{
		tb:      t,
		opts:    opts,
		closing: make(chan struct{}),
		groups:  make(map[string]*group),
		counts:  make(map[streamKey]*count),
		auth:    make(map[string]string),
	}
	s.others = opts.OtherServices
	if opts.Upstream != "" {
		s.others = opts.Upstream
	}
	if s.others != "" {
		s.upstream = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}
	}

	// httptest.NewUnstartedServer panics when it cannot listen; Start
	// returns an error instead.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.listener = newListener(s, l)
	s.ts = &httptest.Server{
		Listener: s.listener,
		Config:   &http.Server{Handler: http.HandlerFunc(s.serveHTTP)},
	}
	s.ts.Start()
	return s, nil
}

// Close stops the fake: it cuts injected delays short and closes every
// connection. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
		if s.upstream != nil {
			s.upstream.CloseIdleConnections()
		}
	})
}

// URL returns the fake's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.ts.URL }

// serveHTTP answers one request: read and check it, play a fault if one is
// due, then refuse, forward or serve it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		reset(w)
		return
	}
	ex := exchange{akid: accessKeyID(r.Header.Get("Authorization"))}
	if s.others != "" && !strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix) {
		// Another service behind the same endpoint (STS for the role in
		// the logs account, S3 and SQS): passed through unchecked.
		s.passThrough(w, r, &ex)
		return
	}
	wire, plain := s.buffer(), s.buffer()
	defer func() {
		s.putBuffer(wire)
		s.putBuffer(plain)
		if ex.put != nil {
			s.puts.Put(ex.put)
		}
	}()

	body, no := s.read(r, &ex, wire, plain)
	if no != nil {
		s.writeError(w, &ex, http.StatusBadRequest, no.errType, no.msg)
		return
	}
	if s.opts.SecretKeys != nil {
		if no := checkSignature(r, ex.wire, s.opts.SecretKeys); no != nil {
			ex.invalid = no.msg
			s.violate(&ex)
			s.writeError(w, &ex, http.StatusBadRequest, no.errType, no.msg)
			return
		}
	}
	if ex.invalid != "" {
		s.violate(&ex)
	}

	// A scripted fault comes first; then the verdict.
	if f, ok := s.takeFault(ex.op); ok && s.playFault(w, r, f, &ex) {
		return
	}
	switch {
	case ex.invalid != "":
		s.writeError(w, &ex, http.StatusBadRequest, errInvalidParameter, ex.invalid)
	case s.opts.Upstream != "":
		s.forward(w, r, s.opts.Upstream, body, &ex)
	default:
		s.serveMemory(w, &ex)
	}
}

// read fills ex from r: the operation, the body (into wire, and plain when
// it is gzip-encoded), its decoded members and whether the service would
// refuse them. It returns the decompressed body, or why the request cannot
// be read at all.
func (s *Server) read(r *http.Request, ex *exchange, wire, plain *bytes.Buffer) ([]byte, *refusal) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || r.Method != http.MethodPost {
		msg := fmt.Sprintf("no operation for %s %s with X-Amz-Target %q",
			r.Method, r.URL.Path, r.Header.Get("X-Amz-Target"))
		return nil, &refusal{errUnknownOperation, msg}
	}
	ex.op = op
	body, err := s.readBody(r, wire, plain)
	ex.wire, ex.gzip, ex.bodyBytes = wire.Bytes(), isGzip(r), len(body)
	if err != nil {
		return nil, &refusal{errSerialization, err.Error()}
	}
	if op != "PutLogEvents" {
		if err := json.Unmarshal(body, &ex.params); err != nil {
			return nil, &refusal{errSerialization, err.Error()}
		}
		ex.invalid = ex.params.check(op)
		return body, nil
	}

	ex.put = s.getPut()
	if err := ex.put.decode(body); err != nil {
		return nil, &refusal{errSerialization, err.Error()}
	}
	ex.invalid = ex.put.check(body, s.opts.MaxEventBytes, s.opts.Now())
	return body, nil
}

// exchange is what the fake learns about one request while answering it.
type exchange struct {
	op        string
	akid      string
	gzip      bool
	wire      []byte      // body as sent
	bodyBytes int         // body decoded
	put       *putRequest // decoded PutLogEvents body, else nil
	params    params      // decoded body of other operations
	invalid   string      // why the service would refuse the request, or ""
	status    int         // HTTP status answered
}

// violate records an invalid request, and fails the test unless allowed.
func (s *Server) violate(ex *exchange) {
	v := ex.op + ": " + ex.invalid
	if ex.put != nil {
		v = fmt.Sprintf("PutLogEvents %s/%s (%d events): %s",
			ex.put.LogGroupName, ex.put.LogStreamName, len(ex.put.LogEvents), ex.invalid)
	}
	s.mu.Lock()
	s.violations = append(s.violations, v)
	s.mu.Unlock()
	if s.tb != nil && !s.opts.AllowInvalid {
		s.tb.Errorf("cwltest: the service would refuse %s", v)
	}
}

// fail reports a failure of the fake's own setup, such as an upstream it
// cannot reach: it fails the test of a Server from New, and is recorded
// among the violations of a Server from Start.
func (s *Server) fail(format string, args ...any) {
	msg := fmt.Sprintf("cwltest: "+format, args...)
	if s.tb != nil {
		s.tb.Helper()
		s.tb.Errorf("%s", msg)
		return
	}
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
}

// record files the exchange. It runs before the answer is written, so a
// client that has its answer finds its request recorded.
func (s *Server) record(ex *exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Op: ex.op, AccessKeyID: ex.akid, Status: ex.status})
	if ex.put == nil {
		return
	}
	s.requests = append(s.requests, Request{
		Group:       ex.put.LogGroupName,
		Stream:      ex.put.LogStreamName,
		Events:      len(ex.put.LogEvents),
		Bytes:       ex.put.size(),
		Status:      ex.status,
		AccessKeyID: ex.akid,
		Gzip:        ex.gzip,
		WireBytes:   len(ex.wire),
		BodyBytes:   ex.bodyBytes,
	})
}

// takeFault removes and returns the first injected fault matching op.
func (s *Server) takeFault(op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op == "" || f.Op == op {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// playFault waits out f's delay and plays its answer. It reports whether it
// answered; if not, the request is served normally.
func (s *Server) playFault(w http.ResponseWriter, r *http.Request, f Fault, ex *exchange) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.closing:
		}
	}
	switch {
	case f.Reset:
		ex.status = 0
		s.record(ex)
		reset(w)
		return true
	case f.Status != 0:
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		s.writeError(w, ex, f.Status, f.ErrorType, msg)
		return true
	}
	return false
}

// Inject queues scripted answers; see Fault.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// SetDown takes the fake down or brings it back. While down, it closes
// every open connection and accepts each new one only to close it at once
// with a TCP reset. A client sees "connection reset by peer" (or EOF), not
// "connection refused": the port stays bound so that the fake comes back on
// the same URL, and no other process can take it meanwhile.
// Requests cut off this way are not recorded.
func (s *Server) SetDown(down bool) {
	s.down.Store(down)
	if down {
		s.ts.CloseClientConnections()
	}
}

// SetRefusing takes the fake away or brings it back. While refusing, it
// closes its listening socket, so that a client sees "connection refused",
// as when the endpoint's host is up but nothing listens, and it closes
// idle connections at once and busy ones once their answer is written: a
// request the fake took is answered, so that a client never sends again
// what was stored (SetDown cuts requests short instead). It listens again
// on the same address when it comes back; that fails only if another
// process took the port meanwhile.
func (s *Server) SetRefusing(refusing bool) error {
	if err := s.listener.refuse(refusing); err != nil {
		return err
	}
	s.ts.Config.SetKeepAlivesEnabled(!refusing)
	return nil
}

// Events returns the events stored for a stream, in arrival order. It is
// empty with Discard or Upstream.
func (s *Server) Events(group, stream string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil || g.streams[stream] == nil {
		return nil
	}
	recs := g.streams[stream].records
	evs := make([]Event, len(recs))
	for i, rec := range recs {
		evs[i] = rec.Event
	}
	return evs
}

// Streams returns the names of the streams of each group the fake holds. It
// is empty with Upstream.
func (s *Server) Streams() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string][]string, len(s.groups))
	for name, g := range s.groups {
		m[name] = g.streamNames()
	}
	return m
}

// Count returns how many events, and bytes counted as the service counts
// them, the fake has accepted for a stream, in every mode.
func (s *Server) Count(group, stream string) (events, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.counts[streamKey{group, stream}]; c != nil {
		return c.events, c.bytes
	}
	return 0, 0
}

// Total returns how many events and bytes the fake has accepted in all.
func (s *Server) Total() (events, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total.events, s.total.bytes
}

// Requests returns every PutLogEvents request seen, in the order answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls returns every request seen, of any operation, in the order answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Violations describes every request the service would have refused as
// invalid, in the order seen; for a Server from Start, also the failures of
// the fake's own setup.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) getPut() *putRequest {
	if p, ok := s.puts.Get().(*putRequest); ok {
		return p
	}
	return new(putRequest)
}

func (s *Server) buffer() *bytes.Buffer {
	if b, ok := s.buffers.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// putBuffer returns b to the pool, unless it grew past any real request.
func (s *Server) putBuffer(b *bytes.Buffer) {
	if b.Cap() > 8<<20 {
		return
	}
	b.Reset()
	s.buffers.Put(b)
}
