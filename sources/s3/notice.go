package s3

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Object names one S3 object to read.
type Object struct {
	Bucket string
	Key    string
	// Size is the size the notification or listing gave, 0 if unknown.
	Size int64

	// altKey is tried when Key does not exist: the URL-decoded key of an
	// EventBridge event, whose encoding the documentation leaves open.
	altKey string
}

// notice is what one SQS message asks for.
type notice struct {
	test    bool     // an s3:TestEvent: nothing to do
	objects []Object // objects created
	ignored int      // events that create nothing (ObjectRemoved, ...)
}

// errNotNotification marks a body that is not an event notification.
var errNotNotification = errors.New("not an S3 event notification")

// body holds every shape of message body the source understands.
type body struct {
	// SNS envelope: Message is the wrapped body, as a string.
	Type    string  `json:"Type"`
	Message *string `json:"Message"`

	// S3 test event.
	Event string `json:"Event"`

	// S3 event notification.
	Records *[]struct {
		EventName string `json:"eventName"`
		S3        *struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key  string `json:"key"`
				Size int64  `json:"size"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`

	// EventBridge event. time is a string on AWS and a number from moto;
	// it is not read.
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Detail     *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
		} `json:"object"`
	} `json:"detail"`

	// CloudTrail's own delivery notice through SNS.
	S3Bucket    string   `json:"s3Bucket"`
	S3ObjectKey []string `json:"s3ObjectKey"`
}

// parseNotice reads an SQS message body: an S3 event notification, direct
// or wrapped once in an SNS envelope, an EventBridge S3 event, or
// CloudTrail's delivery notice. Keys of S3 notifications are URL-decoded.
func parseNotice(data []byte) (notice, error) {
	return parseBody(data, true)
}

func parseBody(data []byte, unwrap bool) (notice, error) {
	var n notice
	var b body
	if err := json.Unmarshal(data, &b); err != nil {
		return n, fmt.Errorf("%w: %v", errNotNotification, err)
	}
	switch {
	case b.Type == "Notification" && b.Message != nil && unwrap:
		return parseBody([]byte(*b.Message), false)

	case b.Event == "s3:TestEvent":
		n.test = true

	case b.Records != nil:
		for _, r := range *b.Records {
			if r.S3 == nil || !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				n.ignored++
				continue
			}
			// Keys are form-encoded: '+' is a space and %2B a '+', so
			// QueryUnescape, not PathUnescape.
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return n, fmt.Errorf("%w: key %q: %v", errNotNotification, r.S3.Object.Key, err)
			}
			n.objects = append(n.objects, Object{Bucket: r.S3.Bucket.Name, Key: key, Size: r.S3.Object.Size})
		}

	case b.Source == "aws.s3" && b.Detail != nil:
		if b.DetailType != "Object Created" {
			n.ignored++
			break
		}
		o := Object{Bucket: b.Detail.Bucket.Name, Key: b.Detail.Object.Key, Size: b.Detail.Object.Size}
		if alt, err := url.QueryUnescape(o.Key); err == nil && alt != o.Key {
			o.altKey = alt
		}
		n.objects = append(n.objects, o)

	case b.S3Bucket != "" && len(b.S3ObjectKey) > 0:
		for _, k := range b.S3ObjectKey {
			n.objects = append(n.objects, Object{Bucket: b.S3Bucket, Key: k})
		}

	default:
		return n, errNotNotification
	}
	for _, o := range n.objects {
		if o.Bucket == "" || o.Key == "" {
			return n, fmt.Errorf("%w: an object without bucket or key", errNotNotification)
		}
	}
	return n, nil
}
