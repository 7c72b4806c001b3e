package doctor

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// IMDS addresses, as the AWS SDKs choose them.
const (
	imdsIPv4 = "http://169.254.169.254"
	imdsIPv6 = "http://[fd00:ec2::254]"
)

// checkIMDS asks the instance metadata service for an IMDSv2 token, on
// EC2 and in containers only, and not on Fargate, which has none (ECS
// names the launch type in AWS_EXECUTION_ENV). In a container the token's
// answer needs a hop limit of 2; with 1 it never arrives, and doctor says
// so.
func (r *run) checkIMDS(ctx context.Context) {
	res := Result{Name: "imds"}
	if strings.EqualFold(r.opts.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		res.Status, res.Detail = OK, "disabled (AWS_EC2_METADATA_DISABLED=true)"
		r.add(res)
		return
	}
	if r.opts.Getenv("AWS_EXECUTION_ENV") == "AWS_ECS_FARGATE" {
		res.Status, res.Detail = Skip, "on Fargate (AWS_EXECUTION_ENV=AWS_ECS_FARGATE), which has none"
		r.add(res)
		return
	}
	container, ec2 := r.inContainer(), r.onEC2()
	if !container && !ec2 {
		res.Status, res.Detail = Skip, "not on EC2 or in a container"
		r.add(res)
		return
	}
	endpoint := r.opts.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
	if endpoint == "" {
		endpoint = imdsIPv4
		if strings.EqualFold(r.opts.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"), "IPv6") {
			endpoint = imdsIPv6
		}
	}
	endpoint = strings.TrimSuffix(endpoint, "/")

	ctx, cancel := context.WithTimeout(ctx, r.opts.IMDSTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint+"/latest/api/token", nil)
	if err != nil {
		res.Status, res.Detail = Warn, "bad endpoint "+endpoint+": "+err.Error()
		res.Advice = "fix AWS_EC2_METADATA_SERVICE_ENDPOINT"
		r.add(res)
		return
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	resp, err := r.opts.HTTPClient.Do(req)
	switch {
	case err != nil && container:
		res.Status = Warn
		res.Detail = fmt.Sprintf("no IMDSv2 token from %s within %v in a container",
			endpoint, r.opts.IMDSTimeout)
		res.Advice = "the IMDS hop limit is probably 1: raise HttpPutResponseHopLimit to 2 " +
			"(aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2), " +
			"or set AWS_EC2_METADATA_DISABLED=true where corral needs " +
			"neither instance credentials nor enrich.ec2"
	case err != nil:
		res.Status = Warn
		res.Detail = fmt.Sprintf("no IMDSv2 token from %s within %v", endpoint, r.opts.IMDSTimeout)
		res.Advice = "turn the metadata service on " +
			"(aws ec2 modify-instance-metadata-options --http-endpoint enabled) " +
			"if corral uses the instance profile or enrich.ec2"
	case resp.StatusCode != http.StatusOK:
		res.Status = Warn
		res.Detail = fmt.Sprintf("%s answered PUT /latest/api/token with %s", endpoint, resp.Status)
		res.Advice = "check the instance's metadata options (http-endpoint, http-tokens)"
		if !ec2 {
			res.Advice = "doctor sees no EC2 here; if there is none, this is not IMDS " +
				"and AWS_EC2_METADATA_DISABLED=true stops corral asking it; on EC2, " +
				"check its metadata options (http-endpoint, http-tokens)"
		}
	default:
		res.Status, res.Detail = OK, "IMDSv2 token from "+endpoint
	}
	if resp != nil {
		resp.Body.Close()
	}
	r.add(res)
}

// inContainer reports whether doctor runs in a container: Docker's or
// Podman's marker file, a container runtime in PID 1's cgroup, or ECS's
// metadata variable.
func (r *run) inContainer() bool {
	for _, marker := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := os.Stat(filepath.Join(r.opts.Root, marker)); err == nil {
			return true
		}
	}
	if r.opts.Getenv("ECS_CONTAINER_METADATA_URI_V4") != "" {
		return true
	}
	cgroup, _ := os.ReadFile(filepath.Join(r.opts.Root, "proc", "1", "cgroup"))
	for _, runtime := range []string{"docker", "containerd", "kubepods", "libpod", "ecs"} {
		if bytes.Contains(cgroup, []byte(runtime)) {
			return true
		}
	}
	return false
}

// onEC2 reports whether the machine says it is an EC2 instance: its DMI
// vendor or asset tag on Nitro, its hypervisor's UUID on Xen.
func (r *run) onEC2() bool {
	read := func(path string) string {
		data, _ := os.ReadFile(filepath.Join(r.opts.Root, path))
		return strings.TrimSpace(string(data))
	}
	return read("sys/devices/virtual/dmi/id/sys_vendor") == "Amazon EC2" ||
		strings.HasPrefix(read("sys/devices/virtual/dmi/id/board_asset_tag"), "i-") ||
		strings.HasPrefix(strings.ToLower(read("sys/hypervisor/uuid")), "ec2")
}
