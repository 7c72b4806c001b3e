// Package identity learns where corral runs: the host name, the EC2
// instance (from the instance metadata service, IMDSv2) and the ECS task
// (from the task metadata endpoint v4), for name templates and the JSON
// envelope. It also maps Docker container IDs to their ECS tasks through
// the ECS agent's introspection API, for a daemon that reads other
// containers' log files.
//
// Discovery never fails: what cannot be learnt within the time budget
// stays empty. Off EC2 and off ECS it costs at most the budget, and
// usually far less: the metadata address refuses or drops the connection.
package identity

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Identity is what corral knows of the machine and task it runs in.
type Identity struct {
	Hostname string
	EC2      *EC2 // nil when not on EC2, or the metadata service did not answer
	ECS      *ECS // nil when not in an ECS task
}

// EC2 is the instance's identity document, in part.
type EC2 struct {
	InstanceID, Region, AvailabilityZone, AccountID, InstanceType, ImageID string
}

// ECS is the task a container belongs to, and the container's name in the
// task definition.
type ECS struct {
	Cluster       string // the cluster's short name, also when given as an ARN
	TaskARN       string
	Family        string // the task definition's family
	Revision      string // the task definition's revision
	ContainerName string
}

// Options tune Discover. The zero value probes the real endpoints.
type Options struct {
	// IMDSEndpoint is the instance metadata service's address. Empty means
	// the AWS SDK's default: AWS_EC2_METADATA_SERVICE_ENDPOINT if set,
	// else http://169.254.169.254. AWS_EC2_METADATA_DISABLED=true skips
	// the EC2 probe.
	IMDSEndpoint string
	// ECSMetadataURI is the task metadata endpoint v4 of this container.
	// Empty means the environment's ECS_CONTAINER_METADATA_URI_V4; when
	// that is empty too, corral is not in an ECS task.
	ECSMetadataURI string
	// Timeout bounds all of discovery. Zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient makes the requests. Nil means a client that gives each
	// request RequestTimeout and keeps no connection open afterwards.
	HTTPClient *http.Client
	// NoEC2 and NoECS skip a probe: the agent asks only when something
	// uses the answer.
	NoEC2, NoECS bool
}

const (
	// DefaultTimeout bounds discovery: the metadata endpoints are on the
	// host (link-local), so they answer in milliseconds or not at all.
	DefaultTimeout = 2 * time.Second
	// RequestTimeout bounds one request, connection included, of the
	// default client. In a container whose IMDS hop limit is 1 the
	// responses never arrive; this gives up on them early.
	RequestTimeout = 1 * time.Second
	// ecsMetadataEnv names the variable ECS sets in every container of a
	// task to its metadata endpoint v4.
	ecsMetadataEnv = "ECS_CONTAINER_METADATA_URI_V4"
	// imdsEndpointEnv is the AWS SDKs' override of the IMDS address.
	imdsEndpointEnv = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
)

// Discover learns the host's identity. It returns within opts.Timeout
// (or the context's deadline, if sooner) even when an endpoint hangs; the
// EC2 and ECS probes run concurrently.
func Discover(ctx context.Context, opts Options) Identity {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ECSMetadataURI == "" {
		opts.ECSMetadataURI = os.Getenv(ecsMetadataEnv)
	}
	if opts.IMDSEndpoint == "" {
		// The SDK's IMDS client reads this variable only through a loaded
		// aws.Config; read it here so the documented switch holds.
		opts.IMDSEndpoint = os.Getenv(imdsEndpointEnv)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = newClient()
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	id := Identity{Hostname: hostname()}
	var ec2 *EC2
	var ecs *ECS
	var wg sync.WaitGroup
	if !opts.NoEC2 {
		wg.Go(func() { ec2 = discoverEC2(ctx, opts.IMDSEndpoint, opts.HTTPClient) })
	}
	if opts.ECSMetadataURI != "" && !opts.NoECS {
		wg.Go(func() { ecs = discoverECS(ctx, opts.ECSMetadataURI, opts.HTTPClient) })
	}
	wg.Wait()
	id.EC2, id.ECS = ec2, ecs
	return id
}

// newClient returns the default client of Discover: one request per
// connection, each bounded by RequestTimeout, so that nothing lingers.
func newClient() *http.Client {
	return &http.Client{
		Timeout: RequestTimeout,
		Transport: &http.Transport{
			Proxy:             nil, // the endpoints are link-local; a proxy cannot reach them
			DialContext:       (&net.Dialer{Timeout: RequestTimeout}).DialContext,
			DisableKeepAlives: true,
		},
	}
}

// hostname returns the host's name, or "" when the system does not say.
func hostname() string {
	name, err := os.Hostname()
	if err != nil {
		return ""
	}
	return name
}

// field is one placeholder: its name and how to read it.
type field struct {
	name string
	get  func(Identity) string
}

// fields are the placeholders, in the order Fields returns them.
var fields = []field{
	{"hostname", func(id Identity) string { return id.Hostname }},
	{"instance_id", ec2Field(func(e *EC2) string { return e.InstanceID })},
	{"region", ec2Field(func(e *EC2) string { return e.Region })},
	{"availability_zone", ec2Field(func(e *EC2) string { return e.AvailabilityZone })},
	{"account_id", ec2Field(func(e *EC2) string { return e.AccountID })},
	{"instance_type", ec2Field(func(e *EC2) string { return e.InstanceType })},
	{"image_id", ec2Field(func(e *EC2) string { return e.ImageID })},
	{"ecs_cluster", ecsField(func(e *ECS) string { return e.Cluster })},
	{"ecs_task_arn", ecsField(func(e *ECS) string { return e.TaskARN })},
	{"ecs_task_family", ecsField(func(e *ECS) string { return e.Family })},
	{"ecs_task_revision", ecsField(func(e *ECS) string { return e.Revision })},
	{"ecs_container_name", ecsField(func(e *ECS) string { return e.ContainerName })},
}

func ec2Field(get func(*EC2) string) func(Identity) string {
	return func(id Identity) string {
		if id.EC2 == nil {
			return ""
		}
		return get(id.EC2)
	}
}

func ecsField(get func(*ECS) string) func(Identity) string {
	return func(id Identity) string {
		if id.ECS == nil {
			return ""
		}
		return get(id.ECS)
	}
}

// Placeholders returns the names Lookup knows, in the order Fields uses.
func Placeholders() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// Lookup returns the value of the placeholder name. ok is false when name
// is no identity placeholder; a known placeholder that was not learnt
// (instance_id off EC2, say) is "" with ok true, so a caller chaining
// lookups does not ask another source for it.
func (id Identity) Lookup(name string) (value string, ok bool) {
	for _, f := range fields {
		if f.name == name {
			return f.get(id), true
		}
	}
	return "", false
}

// Fields returns the placeholders that have a value, as name and value
// pairs in a fixed order (the host, the instance, the task), for a JSON
// envelope.
func (id Identity) Fields() [][2]string {
	var out [][2]string
	for _, f := range fields {
		if v := f.get(id); v != "" {
			out = append(out, [2]string{f.name, v})
		}
	}
	return out
}
