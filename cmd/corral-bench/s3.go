package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"

	"github.com/corral-logs/corral/internal/motoserver"
)

// s3Bytes is the size of the S3 scenario's CloudTrail object, as JSON
// before gzip.
const s3Bytes = 100 << 20

// s3Bucket is the bucket the S3 scenario's object is put in.
const s3Bucket = "corral-bench-cloudtrail"

// s3Run ships one CloudTrail object of s3Bytes through corral's S3 source,
// which lists the bucket. The bucket lives in moto, started here; corral
// has one endpoint URL for every service, the fake's, which serves
// CloudWatch Logs itself and passes S3 requests on to moto. Without
// moto_server the scenario is not run.
func s3Run(ctx context.Context, h *harness) (result, error) {
	moto, err := motoserver.Start(ctx)
	if errors.Is(err, motoserver.ErrNotInstalled) {
		return result{scenario: h.name, notRun: "moto_server not installed (make moto)"}, nil
	}
	if err != nil {
		return result{}, fmt.Errorf("start moto: %w", err)
	}
	defer moto.Close()

	c, object, err := cloudTrailObject(s3Bytes)
	if err != nil {
		return result{}, err
	}
	if err := putObject(ctx, moto.URL, cloudTrailKey(time.Now()), object); err != nil {
		return result{}, err
	}
	return h.measure(ctx, plan{corpus: c, others: moto.URL, src: source{s3Bucket: s3Bucket}})
}

// putObject creates s3Bucket in moto at url and puts data at key, with the
// bench's dummy credentials, so that corral sees it as the same account.
func putObject(ctx context.Context, url, key string, data []byte) error {
	client := awss3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(benchKeyID, benchSecret, ""),
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.UsePathStyle = true
	})
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	_, err := client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(s3Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// cloudTrailKey is where CloudTrail would deliver a file at t.
func cloudTrailKey(t time.Time) string {
	const account, region = "111122223333", "us-east-1"
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_bench.json.gz",
		account, region, t.UTC().Format("2006/01/02"), account, region, t.UTC().Format("20060102T1504"))
}

// cloudTrailObject returns a gzip CloudTrail log file of at least size
// bytes of JSON, one compact record per sequence number, and the corpus of
// its records: the S3 source ships each record's JSON as it is in the file.
// Event times run from 30 minutes ago, 10 ms apart.
func cloudTrailObject(size int) (*corpus, []byte, error) {
	var records [][]byte
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Now().Add(-30 * time.Minute).UTC()
	total := len(`{"Records":[]}`)
	for seq := 0; total < size; seq++ {
		rec := cloudTrailRecord(rng, seq, start.Add(time.Duration(seq)*10*time.Millisecond))
		records = append(records, rec)
		total += len(rec) + 1
	}

	c := newCorpus(len(records))
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, nil, err
	}
	zw.Write([]byte(`{"Records":[`))
	for seq, rec := range records {
		if seq > 0 {
			zw.Write([]byte{','})
		}
		zw.Write(c.add(seq, rec))
	}
	zw.Write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return c, buf.Bytes(), nil
}

var (
	ctSources = []string{"s3.amazonaws.com", "ec2.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com"}
	ctEvents  = []string{"GetObject", "DescribeInstances", "AssumeRole", "Decrypt", "PutObject", "ListBuckets"}
	ctAgents  = []string{"aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26", "aws-cli/2.17.0 Python/3.11", "Boto3/1.34.0 Python/3.12"}
)

// cloudTrailRecord returns one compact CloudTrail record of about 900
// bytes, carrying seq in its eventID. It holds nothing that the built-in
// redaction rules take for a secret, so that it ships unchanged.
func cloudTrailRecord(r *rand.Rand, seq int, at time.Time) []byte {
	return fmt.Appendf(nil, `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole",`+
		`"principalId":"ROLEID%06d:session-%d","arn":"arn:aws:sts::111122223333:assumed-role/app-%d/session-%d",`+
		`"accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"ROLEID%06d",`+
		`"arn":"arn:aws:iam::111122223333:role/app-%d","accountId":"111122223333","userName":"app-%d"},`+
		`"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}},"eventTime":"%s",`+
		`"eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"10.%d.%d.%d",`+
		`"userAgent":"%s","requestParameters":{"bucketName":"data-%d","key":"objects/%d/part-%05d.parquet"},`+
		`"responseElements":null,"requestID":"%016X","eventID":"%s%0*d","readOnly":%t,`+
		`"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data-%d/objects/%d/part-%05d.parquet"}],`+
		`"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333",`+
		`"eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",`+
		`"clientProvidedHostHeader":"data-%d.s3.us-east-1.amazonaws.com"}}`,
		r.IntN(1000), r.IntN(100000), r.IntN(20), r.IntN(100000), r.IntN(1000), r.IntN(20), r.IntN(20),
		at.Add(-time.Hour).Format(time.RFC3339), at.Format(time.RFC3339),
		pick(r, ctSources), pick(r, ctEvents), r.IntN(256), r.IntN(256), r.IntN(256),
		pick(r, ctAgents), r.IntN(50), r.IntN(10000), r.IntN(100000), r.Uint64(), seqPrefix, seqDigits, seq,
		r.IntN(2) == 0, r.IntN(50), r.IntN(10000), r.IntN(100000), r.IntN(50))
}
