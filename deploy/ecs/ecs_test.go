// Package ecs holds corral's ECS task and service definitions; its test
// decodes them into the AWS SDK's request types, so that a misspelt or
// misplaced key fails here rather than at register time, and checks the
// properties the deployment relies on.
package ecs

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/corral-logs/corral/agent/config"
)

// decode reads file into v, a pointer to an SDK input type. Unknown keys
// fail, and so do keys whose case differs from the API's: encoding/json
// matches names case-insensitively, the ECS API does not. Enum values must
// be among those the SDK knows.
func decode(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, file, raw, reflect.TypeOf(v))
	checkEnums(t, file, reflect.ValueOf(v))
}

// checkKeys walks raw along typ and reports each object key that is not
// exactly the API's name of a field: the Go field name with its first
// letter lowered, as the ECS JSON protocol spells it.
func checkKeys(t *testing.T, at string, raw any, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, _ := raw.(map[string]any)
		for k, v := range obj {
			f, ok := fieldByAPIName(typ, k)
			if !ok {
				t.Errorf("%s: key %q is not an API name of %s", at, k, typ.Name())
				continue
			}
			checkKeys(t, at+"."+k, v, f.Type)
		}
	case reflect.Slice:
		arr, _ := raw.([]any)
		for i, v := range arr {
			checkKeys(t, at+"["+strconv.Itoa(i)+"]", v, typ.Elem())
		}
	case reflect.Map:
		obj, _ := raw.(map[string]any)
		for k, v := range obj {
			checkKeys(t, at+"."+k, v, typ.Elem())
		}
	}
}

func fieldByAPIName(typ reflect.Type, name string) (reflect.StructField, bool) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		r := []rune(f.Name)
		r[0] = unicode.ToLower(r[0])
		if f.IsExported() && string(r) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// checkEnums reports each enum value (a string type with a Values method,
// as the SDK generates them) that the SDK does not list.
func checkEnums(t *testing.T, at string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkEnums(t, at, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkEnums(t, at+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkEnums(t, at+"["+strconv.Itoa(i)+"]", v.Index(i))
		}
	case reflect.String:
		values := v.MethodByName("Values")
		if !values.IsValid() || v.String() == "" {
			return
		}
		known := values.Call(nil)[0]
		for i := range known.Len() {
			if known.Index(i).String() == v.String() {
				return
			}
		}
		t.Errorf("%s: %q is not a value of %s", at, v.String(), v.Type().Name())
	}
}

func container(t *testing.T, td *ecs.RegisterTaskDefinitionInput,
	name string) types.ContainerDefinition {
	t.Helper()
	for _, c := range td.ContainerDefinitions {
		if deref(c.Name) == name {
			return c
		}
	}
	t.Fatalf("%s has no container %q", deref(td.Family), name)
	return types.ContainerDefinition{}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// mount returns c's mount at containerPath.
func mount(c types.ContainerDefinition, containerPath string) (types.MountPoint, bool) {
	for _, m := range c.MountPoints {
		if deref(m.ContainerPath) == containerPath {
			return m, true
		}
	}
	return types.MountPoint{}, false
}

// hostPath returns the host path of the task's volume name, or "" for a
// volume that is not a host path.
func hostPath(td *ecs.RegisterTaskDefinitionInput, name string) string {
	for _, v := range td.Volumes {
		if deref(v.Name) == name && v.Host != nil {
			return deref(v.Host.SourcePath)
		}
	}
	return ""
}

// checkHardened checks what every corral container keeps: a numeric
// non-root user, a read-only root file system, no privileges or
// capabilities, no published port (nothing listens beyond loopback).
func checkHardened(t *testing.T, c types.ContainerDefinition) (uid, gid int) {
	t.Helper()
	user := deref(c.User)
	u, g, ok := strings.Cut(user, ":")
	var err1, err2 error
	uid, err1 = strconv.Atoi(u)
	gid, err2 = strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil {
		t.Errorf("user %q: want numeric uid:gid", user)
	}
	if uid == 0 {
		t.Errorf("user %q: runs as root", user)
	}
	if !deref(c.ReadonlyRootFilesystem) {
		t.Error("readonlyRootFilesystem is not true")
	}
	if deref(c.Privileged) {
		t.Error("privileged")
	}
	if lp := c.LinuxParameters; lp == nil || lp.Capabilities == nil ||
		!slices.Equal(lp.Capabilities.Drop, []string{"ALL"}) || len(lp.Capabilities.Add) > 0 {
		t.Error("capabilities: want drop [ALL] and none added")
	}
	if len(c.PortMappings) > 0 {
		t.Errorf("port mappings %v: corral listens on loopback only", c.PortMappings)
	}
	for _, kv := range c.Environment {
		name := deref(kv.Name)
		if strings.HasPrefix(name, "AWS_ACCESS_KEY") || strings.HasPrefix(name, "AWS_SECRET") {
			t.Errorf("environment %s: credentials come from the task role", name)
		}
	}
	return uid, gid
}

// The README's accounts: the task runs in the workload account and ships
// to the logs account.
const (
	workloadAccount = "111111111111"
	logsAccount     = "222222222222"
)

// checkConfig parses the corral config at file with corral's own parser,
// and checks that it keeps state in stateDir and reads only under the
// given directories.
func checkConfig(t *testing.T, file, stateDir string, readable ...string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path.Base(file), data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if cfg.StateDir != stateDir {
		t.Errorf("%s: state_dir %s, want the writable mount %s", file, cfg.StateDir, stateDir)
	}
	if cfg.AWS.AssumeRole == nil || cfg.AWS.AssumeRole.ExternalID == "" {
		t.Errorf("%s: no aws.assume_role with an external_id: logs would stay in the task's account",
			file)
	} else if !strings.HasPrefix(cfg.AWS.AssumeRole.RoleARN, "arn:aws:iam::"+logsAccount+":") {
		t.Errorf("%s: assumes %s, want the shipper role in the logs account %s",
			file, cfg.AWS.AssumeRole.RoleARN, logsAccount)
	}
	for _, sc := range cfg.Sources {
		for _, p := range sc.Paths {
			under := func(dir string) bool { return strings.HasPrefix(p, dir+"/") }
			if !slices.ContainsFunc(readable, under) {
				t.Errorf("%s: source %s reads %s, outside the mounts %v", file, sc.Name, p, readable)
			}
		}
	}
}

func TestDaemonTask(t *testing.T) {
	var td ecs.RegisterTaskDefinitionInput
	decode(t, "daemon-task.json", &td)

	// host: {hostname} is the instance's name, and the ECS agent's
	// introspection API (127.0.0.1:51678), which maps Docker log files to
	// tasks, is reachable.
	if td.NetworkMode != types.NetworkModeHost {
		t.Errorf("networkMode %q, want host", td.NetworkMode)
	}
	if !slices.Equal(td.RequiresCompatibilities, []types.Compatibility{types.CompatibilityEc2}) {
		t.Errorf("requiresCompatibilities %v, want [EC2]: a daemon reads its instance's files",
			td.RequiresCompatibilities)
	}
	task, exec := deref(td.TaskRoleArn), deref(td.ExecutionRoleArn)
	if task == "" || exec == "" || task == exec {
		t.Errorf("taskRoleArn %q and executionRoleArn %q must both be set and differ", task, exec)
	}
	if !strings.HasPrefix(task, "arn:aws:iam::"+workloadAccount+":") {
		t.Errorf("taskRoleArn %s, want a role of the workload account %s, where the task runs", task, workloadAccount)
	}

	c := container(t, &td, "corral")
	if !deref(c.Essential) {
		t.Error("corral is the daemon's only container and must be essential")
	}
	_, gid := checkHardened(t, c)
	// Docker writes json-file logs root:root 0640 in 0710 directories, so
	// the group that reads them is root's; the uid stays unprivileged.
	if gid != 0 {
		t.Errorf("gid %d: Docker's log files are readable by group 0 only", gid)
	}

	for dir, readOnly := range map[string]bool{
		"/var/log":                   true,
		"/var/lib/docker/containers": true,
		"/etc/corral":                true,
		"/var/lib/corral":            false,
	} {
		m, ok := mount(c, dir)
		if !ok {
			t.Errorf("no mount at %s", dir)
			continue
		}
		if deref(m.ReadOnly) != readOnly {
			t.Errorf("mount %s: readOnly %v, want %v", dir, deref(m.ReadOnly), readOnly)
		}
		if got := hostPath(&td, deref(m.SourceVolume)); got != dir {
			t.Errorf("mount %s: host path %q, want the same path on the host", dir, got)
		}
	}
	for _, kv := range c.Environment {
		if deref(kv.Name) == "ECS_ENABLE_CONTAINER_METADATA" {
			t.Error("ECS_ENABLE_CONTAINER_METADATA is an agent setting; corral uses metadata endpoint v4")
		}
	}
	checkConfig(t, "daemon.yaml", "/var/lib/corral", "/var/log", "/var/lib/docker/containers")
}

func TestDaemonService(t *testing.T) {
	var svc ecs.CreateServiceInput
	decode(t, "daemon-service.json", &svc)
	var td ecs.RegisterTaskDefinitionInput
	decode(t, "daemon-task.json", &td)

	if svc.SchedulingStrategy != types.SchedulingStrategyDaemon {
		t.Errorf("schedulingStrategy %q, want DAEMON", svc.SchedulingStrategy)
	}
	if svc.DesiredCount != nil {
		t.Error("desiredCount is set; a DAEMON service runs one task per instance")
	}
	if got, want := deref(svc.TaskDefinition), deref(td.Family); got != want {
		t.Errorf("taskDefinition %q, want the daemon's family %q", got, want)
	}
	if dc := svc.DeploymentConfiguration; dc != nil && deref(dc.MaximumPercent) != 100 {
		t.Errorf("maximumPercent %d: a DAEMON service takes 100", deref(dc.MaximumPercent))
	}
}

func TestSidecarTask(t *testing.T) {
	var td ecs.RegisterTaskDefinitionInput
	decode(t, "sidecar-task.json", &td)

	task, exec := deref(td.TaskRoleArn), deref(td.ExecutionRoleArn)
	if task == "" || exec == "" || task == exec {
		t.Errorf("taskRoleArn %q and executionRoleArn %q must both be set and differ", task, exec)
	}
	if !strings.HasPrefix(task, "arn:aws:iam::"+workloadAccount+":") {
		t.Errorf("taskRoleArn %s, want a role of the workload account %s, where the task runs", task, workloadAccount)
	}
	app := container(t, &td, "app")
	corral := container(t, &td, "corral")
	_, gid := checkHardened(t, corral)

	// The application writes its logs to a task volume that corral reads.
	appLogs, ok := mount(app, "/var/log/app")
	if !ok || deref(appLogs.ReadOnly) {
		t.Fatal("app has no writable mount at /var/log/app")
	}
	shared, ok := mount(corral, "/var/log/app")
	if !ok || deref(shared.SourceVolume) != deref(appLogs.SourceVolume) {
		t.Fatal("corral does not mount the app's log volume at /var/log/app")
	}
	if !deref(shared.ReadOnly) {
		t.Error("corral mounts the app's log volume writable")
	}
	if hostPath(&td, deref(shared.SourceVolume)) != "" {
		t.Error("the app's log volume is a host path; a task volume keeps tasks apart")
	}
	// Sharing the app's group lets corral read logs the app writes 0640.
	if _, appGID, _ := strings.Cut(deref(app.User), ":"); appGID != strconv.Itoa(gid) {
		t.Errorf("corral's gid %d is not the app's group %q", gid, appGID)
	}
	if state, ok := mount(corral, "/var/lib/corral"); !ok || deref(state.ReadOnly) {
		t.Error("corral has no writable state mount at /var/lib/corral")
	}

	// The app starts after corral and, in reverse order, stops before it,
	// so corral reads the app's last lines. corral is not essential: its
	// failure must not stop the app; its restart policy brings it back.
	if !slices.ContainsFunc(app.DependsOn, func(d types.ContainerDependency) bool {
		return deref(d.ContainerName) == "corral" && d.Condition == types.ContainerConditionStart
	}) {
		t.Error("app does not depend on corral with condition START")
	}
	if !deref(app.Essential) || deref(corral.Essential) {
		t.Error("want app essential and corral not")
	}
	if rp := corral.RestartPolicy; rp == nil || !deref(rp.Enabled) {
		t.Error("corral has no restart policy")
	}
	checkConfig(t, "../container/corral.yaml", "/var/lib/corral", "/var/log/app")
}
