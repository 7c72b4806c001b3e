package cwltest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Error types of a request the service cannot authenticate.
const (
	errInvalidSignature    = "InvalidSignatureException"
	errUnrecognizedClient  = "UnrecognizedClientException"
	errIncompleteSignature = "IncompleteSignature"
)

// sigv4Algorithm is the only signing algorithm the fake knows.
const sigv4Algorithm = "AWS4-HMAC-SHA256"

// checkSignature verifies r's SigV4 Authorization header over body, the
// bytes received, with the secret key of its access key id in keys. It
// computes the signature from the signing process's published steps
// (canonical request, string to sign, derived key) on its own, so a
// client's signer cannot agree with itself by mistake.
func checkSignature(r *http.Request, body []byte, keys map[string]string) *refusal {
	rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), sigv4Algorithm+" ")
	if !ok {
		return &refusal{errIncompleteSignature, "Authorization header missing or not " + sigv4Algorithm}
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/") // id, date, region, service, aws4_request
	date := r.Header.Get("X-Amz-Date")
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" ||
		!strings.HasPrefix(date, scope[1]) {
		return &refusal{errIncompleteSignature, "malformed Authorization header or X-Amz-Date"}
	}
	secret, ok := keys[scope[0]]
	if !ok {
		return &refusal{errUnrecognizedClient, "The security token included in the request is invalid."}
	}

	payload := hashHex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return &refusal{errInvalidSignature, "X-Amz-Content-Sha256 is not the hash of the body received"}
	}
	canonical := strings.Join([]string{
		r.Method,
		canonicalPath(r.URL),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, fields["SignedHeaders"]),
		fields["SignedHeaders"],
		payload,
	}, "\n")
	toSign := strings.Join([]string{sigv4Algorithm, date, strings.Join(scope[1:], "/"),
		hashHex([]byte(canonical))}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range scope[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return &refusal{errInvalidSignature, "The request signature we calculated does not match " +
			"the signature you provided (signed over other bytes or with another key)."}
	}
	return nil
}

// canonicalPath is the request's path as the signature covers it.
func canonicalPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// canonicalQuery is the query sorted by name and value, each
// percent-encoded as SigV4 wants (space as %20, not +).
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, sigv4Escape(k)+"="+sigv4Escape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

func sigv4Escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// canonicalHeaders lists the signed headers of r, one "name:value" line
// each, with values trimmed and inner runs of spaces folded.
func canonicalHeaders(r *http.Request, signed string) string {
	var b strings.Builder
	for name := range strings.SplitSeq(signed, ";") {
		var v string
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			var vs []string
			for _, hv := range r.Header.Values(name) {
				vs = append(vs, strings.Join(strings.Fields(hv), " "))
			}
			v = strings.Join(vs, ",")
		}
		b.WriteString(name + ":" + v + "\n")
	}
	return b.String()
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
