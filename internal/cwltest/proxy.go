package cwltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// hopHeaders are connection-level headers a proxy does not pass on.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Transfer-Encoding", "Te", "Upgrade", "Content-Length",
}

// forward sends a valid request to base, the upstream, unchanged and
// answers with the upstream's answer. For a successful PutLogEvents it also counts the
// events inside the window and corrects rejectedLogEventsInfo.
//
// One change: a gzip body goes upstream decompressed (body), without its
// Content-Encoding, because moto 5.2.1 in server mode gunzips a request
// twice (moto_server/utilities.py, then core/responses.py) and answers 500.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, base string, body []byte, ex *exchange) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		s.upstreamFailed(w, ex, base, err)
		return
	}
	req.Header = r.Header.Clone()
	if ex.gzip {
		req.Header.Del("Content-Encoding")
	}
	req.Host = r.Host
	s.rememberAuth(ex, r.Header.Get("Authorization"))

	resp, err := s.upstream.Do(req)
	if err != nil {
		s.upstreamFailed(w, ex, base, err)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		s.upstreamFailed(w, ex, base, err)
		return
	}
	if ex.put != nil && resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Encoding") == "" {
		answer = s.tookUpstream(ex.put, answer)
	}

	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	s.send(w, ex, resp.StatusCode, answer)
}

// passThrough forwards a request of another service to Upstream or
// OtherServices as it is, so that one endpoint URL serves corral's STS, S3
// and SQS calls too.
func (s *Server) passThrough(w http.ResponseWriter, r *http.Request, ex *exchange) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.upstreamFailed(w, ex, s.others, err)
		return
	}
	s.forward(w, r, s.others, body, ex)
}

// tookUpstream counts the events of a PutLogEvents the upstream accepted and
// returns its answer with the service's rejectedLogEventsInfo in place of
// the upstream's. moto reports the index of the last too-old event where
// the service reports the one after it, and the last too-new event where
// the service reports the first.
func (s *Server) tookUpstream(p *putRequest, answer []byte) []byte {
	// The fake does not track retention here: moto applies none either.
	now := s.opts.Now()
	r := window(p.LogEvents, now, 0)
	s.mu.Lock()
	taken := p.LogEvents[r.tooOldEnd:r.tooNewStart]
	s.acceptLocked(p.LogGroupName, p.LogStreamName, nil, taken, now.UnixMilli())
	s.mu.Unlock()

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(answer, &fields); err != nil {
		s.fail("upstream PutLogEvents answer is not JSON: %v: %q", err, answer)
		return answer
	}
	delete(fields, "rejectedLogEventsInfo")
	if info := r.info(len(p.LogEvents)); info != nil {
		b, _ := json.Marshal(info)
		fields["rejectedLogEventsInfo"] = b
	}
	out, _ := json.Marshal(fields)
	return out
}

// rememberAuth keeps the Authorization of the last request naming a group,
// so that DeleteGroup can act as that client upstream.
func (s *Server) rememberAuth(ex *exchange, auth string) {
	name := ex.params.groupName()
	if ex.put != nil {
		name = ex.put.LogGroupName
	}
	if name == "" || auth == "" {
		return
	}
	s.mu.Lock()
	s.auth[name] = auth
	s.mu.Unlock()
}

// upstreamFailed answers 502 when the upstream cannot be reached; that is a
// broken test setup, so it also fails the test.
func (s *Server) upstreamFailed(w http.ResponseWriter, ex *exchange, base string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client hung up (corral ends its SQS long poll at SIGTERM): nobody waits for an answer
	}
	s.fail("forward %s to %s: %v", ex.op, base, err)
	s.writeError(w, ex, http.StatusBadGateway, "", fmt.Sprintf("forward to upstream: %v", err))
}

// DeleteGroup deletes a group while the test runs, as an operator might.
// Without Upstream the fake forgets the group and its streams; with
// Upstream it sends DeleteLogGroup upstream with the Authorization of the
// last request that named the group. It fails the test if the group does
// not exist (for a Server from Start: records a violation).
func (s *Server) DeleteGroup(name string) {
	if s.tb != nil {
		s.tb.Helper()
	}
	if s.opts.Upstream == "" {
		if no := s.deleteLogGroup(name); no != nil {
			s.fail("delete group %s: %s", name, no.msg)
		}
		return
	}

	s.mu.Lock()
	auth := s.auth[name]
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"logGroupName": name})
	req, err := http.NewRequest(http.MethodPost, s.opts.Upstream+"/", bytes.NewReader(body))
	if err != nil {
		s.fail("delete group %s upstream: %v", name, err)
		return
	}
	req.Header.Set("X-Amz-Target", targetPrefix+"DeleteLogGroup")
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", auth)
	resp, err := s.upstream.Do(req)
	if err != nil {
		s.fail("delete group %s upstream: %v", name, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		s.fail("delete group %s upstream: %s: %s", name, resp.Status, msg)
	}
}
