package pipeline

import "time"

// The rules CloudWatch Logs applies to one PutLogEvents request. They live
// here, and only here; see
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
const (
	// MaxRequestBytes is the largest request, counted as the sum of every
	// event's UTF-8 message length plus EventOverhead.
	MaxRequestBytes = 1_048_576

	// EventOverhead is the per-event charge the service adds to the
	// message length when it sizes a request.
	EventOverhead = 26

	// MaxRequestEvents is the most events one request may carry.
	MaxRequestEvents = 10_000

	// MaxRequestSpan is the widest gap between the oldest and the newest
	// event in one request.
	MaxRequestSpan = 24 * time.Hour

	// MaxEventBytes is the largest message that fits one request with its
	// overhead. The documented per-event limit is 1 MB today and 256 KB in
	// older partitions and emulators, so the agent's limit is a setting
	// that defaults to this.
	MaxEventBytes = MaxRequestBytes - EventOverhead

	// MaxPastAge is how old an event may be before the service refuses it
	// (or the group's retention, if shorter).
	MaxPastAge = 14 * 24 * time.Hour

	// MaxFutureSkew is how far ahead of the service's clock an event may be.
	MaxFutureSkew = 2 * time.Hour
)
