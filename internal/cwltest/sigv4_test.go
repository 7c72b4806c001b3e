package cwltest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// keys are the secret keys of signing tests.
var keys = map[string]string{testKeyID: "secret"}

func TestSignatureOfSDKClientsVerifies(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow, SecretKeys: keys})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", event(clock.UnixMilli(), "signed")); err != nil {
		t.Fatal(err)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Errorf("violations %q, want none", v)
	}
}

func TestBadSignaturesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id, secret, want string
	}{
		{"wrong secret", testKeyID, "not the secret", errInvalidSignature},
		{"unknown key", "AKIDSOMEONEELSE", "secret", errUnrecognizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &errorRecorder{TB: t}
			s := New(rec, Options{Now: fixedNow, SecretKeys: keys})
			err := createGroup(newKeyClient(t, s.URL(), tt.id, tt.secret), "g")
			if got := errorCode(err); got != tt.want {
				t.Errorf("error %q (%v), want %s", got, err, tt.want)
			}
			if got := len(rec.errors()); got != 1 {
				t.Errorf("%d test errors, want 1: %q", got, rec.errors())
			}
		})
	}
}

// TestGzipSignedOverTheBytesSent: a compressed body is signed over the
// compressed bytes, the ones on the wire; one signed over its plain JSON
// is refused.
func TestGzipSignedOverTheBytesSent(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	s := New(rec, Options{Now: fixedNow, SecretKeys: keys})
	mustCreate(t, newClient(t, s.URL()), "g", "s")
	plain := `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":` +
		jsonInt(clock.UnixMilli()) + `,"message":"` + strings.Repeat("z", 1000) + `"}]}`
	zipped := gzipped(plain)

	if status, answer := postSigned(t, s.URL(), zipped, zipped); status != http.StatusOK {
		t.Errorf("signed over the compressed body: status %d: %s", status, answer)
	}
	if got := len(rec.errors()); got != 0 {
		t.Errorf("test errors %q, want none", rec.errors())
	}
	status, answer := postSigned(t, s.URL(), zipped, []byte(plain))
	if status != http.StatusBadRequest || !strings.Contains(answer, errInvalidSignature) {
		t.Errorf("signed over the plain body: status %d: %s, want 400 %s", status, answer, errInvalidSignature)
	}
	if got := len(rec.errors()); got != 1 {
		t.Errorf("%d test errors, want 1: %q", got, rec.errors())
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

// postSigned sends a gzip-encoded PutLogEvents of body, signed with the
// SDK's signer over the bytes signed, and returns the status and answer.
func postSigned(t *testing.T, url string, body, signed []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+"PutLogEvents")
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Content-Encoding", "gzip")
	sum := sha256.Sum256(signed)
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: keys[testKeyID]}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]),
		"logs", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer bytes.Buffer
	answer.ReadFrom(resp.Body)
	return resp.StatusCode, answer.String()
}
