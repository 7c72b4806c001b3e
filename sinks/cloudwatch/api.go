package cloudwatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// api makes signed CloudWatch Logs JSON calls. PutLogEvents goes through it
// rather than the SDK client so that the body is encoded once, straight
// from the pipeline's memory, without an allocation per event.
type api struct {
	http      *http.Client
	endpoint  string
	region    string
	creds     aws.CredentialsProvider
	signer    *v4.Signer
	userAgent string
}

// signingName is the service name in SigV4 signatures for CloudWatch Logs.
const signingName = "logs"

// targetPrefix is the X-Amz-Target prefix of CloudWatch Logs operations.
const targetPrefix = "Logs_20140328."

// APIError is an error answer of the service.
type APIError struct {
	Op         string
	Status     int
	Code       string // the exception name, such as ThrottlingException
	Message    string
	retryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d): %s", e.Op, e.Code, e.Status, e.Message)
}

// Retryable reports whether the same request may succeed later: throttling,
// server errors and credential problems (which a refresh may fix), and any
// error the service did not name.
func (e *APIError) Retryable() bool {
	switch classify(e) {
	case classInvalid, classNotFound, classAccepted:
		return false
	}
	return true
}

// RetryAfter is the delay the service asked for, if any.
func (e *APIError) RetryAfter() time.Duration { return e.retryAfter }

// class is how the sender reacts to an error answer.
type class int

const (
	classRetry    class = iota // back off and send again
	classThrottle              // back off, and send fewer at once
	classAuth                  // refresh credentials, back off, report loudly
	classNotFound              // create the group or stream, send again
	classInvalid               // the request can never succeed as it is
	classAccepted              // the service already has these events
)

func classify(e *APIError) class {
	switch e.Code {
	case "ThrottlingException", "LimitExceededException", "RequestLimitExceeded", "TooManyRequestsException":
		return classThrottle
	case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException",
		"InvalidClientTokenId", "IncompleteSignature", "InvalidSignatureException", "ExpiredToken":
		return classAuth
	case "ResourceNotFoundException":
		return classNotFound
	case "InvalidParameterException", "SerializationException", "ValidationException", "UnrecognizedClientTokenException":
		return classInvalid
	case "DataAlreadyAcceptedException":
		return classAccepted
	}
	if e.Status == http.StatusTooManyRequests {
		return classThrottle
	}
	if e.Status == http.StatusForbidden {
		return classAuth
	}
	return classRetry
}

// call signs and sends one operation with body, gzip-compressed when
// gzipped, and returns the answer's body on success. The signature's
// payload hash is of body: the bytes sent.
func (a *api) call(ctx context.Context, op string, body []byte, gzipped bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("User-Agent", a.userAgent)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.ContentLength = int64(len(body))

	creds, err := a.creds.Retrieve(ctx)
	if err != nil {
		return nil, &credentialsError{err: err}
	}
	sum := sha256.Sum256(body)
	if err := a.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, a.region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign %s: %w", op, err)
	}

	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("read %s answer: %w", op, err)
	}
	if resp.StatusCode == http.StatusOK {
		return data, nil
	}
	return nil, parseError(op, resp, data)
}

// maxAnswerBytes bounds what is read of an answer; real ones are tiny.
const maxAnswerBytes = 1 << 20

// parseError builds an APIError from an error answer.
func parseError(op string, resp *http.Response, data []byte) *APIError {
	e := &APIError{Op: op, Status: resp.StatusCode}
	var body struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body) // a body that is not JSON still has a status
	e.Code = body.Type
	if e.Code == "" {
		e.Code = resp.Header.Get("X-Amzn-Errortype")
	}
	// "com.amazonaws.logs#ThrottlingException" and "ThrottlingException:http://..."
	if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
		e.Code = e.Code[i+1:]
	}
	if i := strings.IndexByte(e.Code, ':'); i >= 0 {
		e.Code = e.Code[:i]
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message = body.Message
	if e.Message == "" {
		e.Message = body.Message2
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs > 0 {
			e.retryAfter = time.Duration(secs) * time.Second
		}
	}
	return e
}

// credentialsError is a failure to get credentials, such as an AssumeRole
// that was refused. It is retried: the role may become assumable.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string   { return "get credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error   { return e.err }
func (e *credentialsError) Retryable() bool { return true }
