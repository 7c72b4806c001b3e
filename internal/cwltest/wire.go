package cwltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// The CloudWatch Logs wire protocol: AWS JSON 1.1 with this target prefix.
const (
	targetPrefix = "Logs_20140328."
	contentType  = "application/x-amz-json-1.1"
)

// Error types the fake answers with.
const (
	errInvalidParameter = "InvalidParameterException"
	errNotFound         = "ResourceNotFoundException"
	errAlreadyExists    = "ResourceAlreadyExistsException"
	errUnknownOperation = "UnknownOperationException"
	errSerialization    = "SerializationException"
)

// readBody reads r's body into wire and, when it is gzip-encoded,
// decompresses it into plain. It returns the body to decode: plain or wire.
func (s *Server) readBody(r *http.Request, wire, plain *bytes.Buffer) ([]byte, error) {
	if r.ContentLength > 0 {
		wire.Grow(int(r.ContentLength))
	}
	if _, err := wire.ReadFrom(r.Body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if !isGzip(r) {
		return wire.Bytes(), nil
	}

	zr, _ := s.gzipReaders.Get().(*gzip.Reader)
	if zr == nil {
		zr = new(gzip.Reader)
	}
	defer s.gzipReaders.Put(zr)
	if err := zr.Reset(bytes.NewReader(wire.Bytes())); err != nil {
		return nil, fmt.Errorf("gunzip body: %w", err)
	}
	if _, err := plain.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("gunzip body: %w", err)
	}
	return plain.Bytes(), nil
}

// isGzip reports whether r's body is gzip-encoded.
func isGzip(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
}

// accessKeyID returns the access key id of a SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ..."),
// or "" when there is none.
func accessKeyID(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(cred, "/")
	return id
}

// writeJSON answers 200 with v as the body.
func (s *Server) writeJSON(w http.ResponseWriter, ex *exchange, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cwltest: encode answer: %v", err)) // the fake's own types always encode
	}
	s.writeAnswer(w, ex, http.StatusOK, body)
}

// writeError answers status with an AWS JSON 1.1 error. An empty errType
// leaves out both the type and its header, as a proxy in front of the
// service might.
func (s *Server) writeError(w http.ResponseWriter, ex *exchange, status int, errType, msg string) {
	body := map[string]string{"message": msg}
	if errType != "" {
		body["__type"] = errType
		w.Header().Set("X-Amzn-Errortype", errType)
	}
	b, _ := json.Marshal(body)
	s.writeAnswer(w, ex, status, b)
}

// writeAnswer answers status with body and the service's headers.
func (s *Server) writeAnswer(w http.ResponseWriter, ex *exchange, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", "cwltest-"+strconv.FormatInt(s.requestIDs.Add(1), 10))
	s.send(w, ex, status, body)
}

// send records the exchange with status, then writes the answer.
func (s *Server) send(w http.ResponseWriter, ex *exchange, status int, body []byte) {
	ex.status = status
	s.record(ex)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// reset hijacks the request's connection and closes it with a TCP reset,
// without an answer.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("cwltest: response writer cannot hijack") // net/http's HTTP/1 writer always can
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return // the connection is gone already
	}
	abort(conn)
}

// abort closes c with a TCP reset (RST) rather than an orderly close (FIN).
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
