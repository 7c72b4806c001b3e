package cwltest

import "time"

// The service's rules, from the CloudWatch Logs API reference as carried in
// the doc comments of aws-sdk-go-v2/service/cloudwatchlogs v1.92.2
// (api_op_PutLogEvents.go, api_op_CreateLogGroup.go,
// api_op_CreateLogStream.go, api_op_PutRetentionPolicy.go). This fake is an
// independent check of corral's batcher, so it keeps its own copy of them.
const (
	// maxRequestBytes caps a PutLogEvents batch, counted as the sum of each
	// message's UTF-8 bytes plus eventOverhead.
	maxRequestBytes = 1_048_576

	// eventOverhead is what each event adds to the batch size.
	eventOverhead = 26

	// DefaultMaxEventBytes is the default largest message: the service
	// documents 1 MB per event; the largest message that also fits a
	// request with its overhead is 1,048,576 - 26.
	DefaultMaxEventBytes = maxRequestBytes - eventOverhead

	// maxEvents caps the events of one PutLogEvents request.
	maxEvents = 10_000

	// maxSpan caps last minus first timestamp of the valid events of one
	// request ("cannot exceed 24 hours": exactly 24 hours passes).
	maxSpan = 24 * time.Hour

	// maxAge and maxAhead bound the service's window: older events, or
	// events further in the future, are refused one by one.
	maxAge   = 14 * 24 * time.Hour
	maxAhead = 2 * time.Hour

	// maxNameLen caps group and stream names, in characters.
	maxNameLen = 512

	// reservedGroupPrefix starts no group name a client may create.
	reservedGroupPrefix = "aws/"
)

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = map[int]bool{
	1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true,
	120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true,
	1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true,
}
