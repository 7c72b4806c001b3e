package identity

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// discoverEC2 reads the instance identity document, or returns nil.
//
// It uses the AWS SDK's IMDS client, which corral already links for its
// credentials, rather than its own HTTP calls: the client knows the
// token handshake (PUT /latest/api/token, then the token on each GET),
// the SDK's environment switches (AWS_EC2_METADATA_DISABLED,
// AWS_EC2_METADATA_SERVICE_ENDPOINT) and the document's fields. It is
// bounded here so that a host without IMDS costs at most the budget:
// no retries (the SDK's default retries with backoff would outlast it),
// every request under ctx's deadline and the client's per-request
// timeout, and no fallback to IMDSv1, which would spend a second request
// on an endpoint that did not answer the first.
func discoverEC2(ctx context.Context, endpoint string, client *http.Client) *EC2 {
	c := imds.New(imds.Options{
		Endpoint:       endpoint,
		HTTPClient:     client,
		Retryer:        aws.NopRetryer{},
		EnableFallback: aws.FalseTernary,
	})
	doc, err := c.GetInstanceIdentityDocument(ctx, nil)
	if err != nil || doc.InstanceID == "" {
		return nil
	}
	return &EC2{
		InstanceID:       doc.InstanceID,
		Region:           doc.Region,
		AvailabilityZone: doc.AvailabilityZone,
		AccountID:        doc.AccountID,
		InstanceType:     doc.InstanceType,
		ImageID:          doc.ImageID,
	}
}
