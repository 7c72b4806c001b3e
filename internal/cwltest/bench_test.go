package cwltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkPutLogEvents measures the fake alone, in Discard mode, taking
// full requests of 100-byte events from parallel clients.
func BenchmarkPutLogEvents(b *testing.B) {
	s := New(b, Options{Discard: true})
	c := newClient(b, s.URL())
	mustCreate(b, c, "g", "s")

	const perRequest = 8_000 // 8,000 x (100 + 26) bytes fits one request
	now := time.Now().UnixMilli()
	req := putRequest{LogGroupName: "g", LogStreamName: "s"}
	for i := range perRequest {
		msg := fmt.Sprintf("%06d %s", i, strings.Repeat("x", 93))
		req.LogEvents = append(req.LogEvents, Event{Timestamp: now, Message: msg})
	}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}

	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _ := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
			r.Header.Set("X-Amz-Target", targetPrefix+"PutLogEvents")
			r.Header.Set("Content-Type", contentType)
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	events, _ := s.Total()
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
