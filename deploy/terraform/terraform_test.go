// Package terraform holds the Terraform for the logs account and the
// workload accounts. Its test parses the modules with hashicorp/hcl (no
// terraform binary, no provider, no network) and checks that the shipper
// role grants exactly the IAM actions corral's code calls, on the
// module's own resources, behind an external ID.
package terraform

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// module is the top-level blocks of one Terraform module.
type module struct {
	dir       string
	blocks    []*hclsyntax.Block
	vars      map[string]*hclsyntax.Block
	locals    map[string]hclsyntax.Expression
	resources map[string]*hclsyntax.Block // "type.name"
	data      map[string]*hclsyntax.Block // "type.name"
}

func loadModule(t *testing.T, dir string) *module {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s: %v", dir, err)
	}
	m := &module{
		dir:       dir,
		vars:      map[string]*hclsyntax.Block{},
		locals:    map[string]hclsyntax.Expression{},
		resources: map[string]*hclsyntax.Block{},
		data:      map[string]*hclsyntax.Block{},
	}
	p := hclparse.NewParser()
	for _, name := range files {
		f, diags := p.ParseHCLFile(name)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %v", name, diags)
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			m.blocks = append(m.blocks, b)
			switch b.Type {
			case "variable":
				m.vars[b.Labels[0]] = b
			case "locals":
				for k, a := range b.Body.Attributes {
					m.locals[k] = a.Expr
				}
			case "resource":
				m.resources[b.Labels[0]+"."+b.Labels[1]] = b
			case "data":
				m.data[b.Labels[0]+"."+b.Labels[1]] = b
			}
		}
	}
	return m
}

// refs returns what expr refers to, "var.x", "local.x", "data.t.n" or
// "t.n", following locals to what they refer to in turn.
func (m *module) refs(expr hclsyntax.Expression) map[string]bool {
	out := map[string]bool{}
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		for _, tr := range e.Variables() {
			ref := traversalRef(tr)
			if ref == "" || out[ref] {
				continue
			}
			out[ref] = true
			if local, ok := strings.CutPrefix(ref, "local."); ok && m.locals[local] != nil {
				walk(m.locals[local])
			}
		}
	}
	walk(expr)
	return out
}

// traversalRef names what a traversal refers to; "" for the names
// Terraform binds itself (each, count, path, self, terraform).
func traversalRef(tr hcl.Traversal) string {
	parts := []string{tr.RootName()}
	for _, step := range tr[1:] {
		attr, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		parts = append(parts, attr.Name)
	}
	n := 2
	switch parts[0] {
	case "each", "count", "path", "self", "terraform":
		return ""
	case "data":
		n = 3
	}
	return strings.Join(parts[:min(n, len(parts))], ".")
}

// declared reports whether the module declares what ref names.
func (m *module) declared(ref string) bool {
	kind, name, _ := strings.Cut(ref, ".")
	switch kind {
	case "var":
		return m.vars[name] != nil
	case "local":
		return m.locals[name] != nil
	case "data":
		return m.data[name] != nil
	}
	return m.resources[ref] != nil
}

// attr returns the expression of a block's attribute, or nil.
func attr(b *hclsyntax.Block, name string) hclsyntax.Expression {
	if a := b.Body.Attributes[name]; a != nil {
		return a.Expr
	}
	return nil
}

// literal returns the strings of a literal string or list of strings.
func literal(e hclsyntax.Expression) ([]string, bool) {
	if e == nil {
		return nil, false
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return nil, false
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}, true
	}
	if !v.CanIterateElements() {
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, el := it.Element()
		if el.Type() != cty.String {
			return nil, false
		}
		out = append(out, el.AsString())
	}
	return out, true
}

func literalString(b *hclsyntax.Block, name string) string {
	s, ok := literal(attr(b, name))
	if !ok || len(s) != 1 {
		return ""
	}
	return s[0]
}

func nested(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, n := range b.Body.Blocks {
		if n.Type == typ {
			out = append(out, n)
		}
	}
	return out
}

// statements returns the statement blocks of data.aws_iam_policy_document.name.
func (m *module) statements(t *testing.T, name string) []*hclsyntax.Block {
	t.Helper()
	doc := m.data["aws_iam_policy_document."+name]
	if doc == nil {
		t.Fatalf("%s: no data.aws_iam_policy_document.%s", m.dir, name)
	}
	st := nested(doc, "statement")
	if len(st) == 0 {
		t.Fatalf("%s: data.aws_iam_policy_document.%s has no statement", m.dir, name)
	}
	return st
}

// actions returns a statement's actions, which must be a literal list.
func actions(t *testing.T, st *hclsyntax.Block) []string {
	t.Helper()
	a, ok := literal(attr(st, "actions"))
	if !ok {
		t.Fatalf("statement %q: actions are not a literal list", literalString(st, "sid"))
	}
	return a
}

// attachedTo returns the aws_iam_role_policy resources of role
// ("aws_iam_role.x"), and fails on managed policies attached to it.
func (m *module) attachedTo(t *testing.T, role string) []*hclsyntax.Block {
	t.Helper()
	var out []*hclsyntax.Block
	for key, b := range m.resources {
		typ, _, _ := strings.Cut(key, ".")
		r := attr(b, "role")
		switch {
		case r == nil || !m.refs(r)[role]:
		case typ == "aws_iam_role_policy":
			out = append(out, b)
		case strings.Contains(typ, "polic"):
			t.Errorf("%s: %s gives %s more than its inline policy", m.dir, key, role)
		}
	}
	if b := m.resources[role]; b != nil {
		for _, name := range []string{"managed_policy_arns", "inline_policy"} {
			if attr(b, name) != nil || len(nested(b, name)) > 0 {
				t.Errorf("%s: %s sets %s", m.dir, role, name)
			}
		}
	}
	return out
}

var modules = []string{"logs-account", "workload-account"}

// TestModulesParse parses every .tf file and checks that each reference
// names something the module declares, and that each variable says what
// it is: the part of `terraform validate` that needs no provider.
func TestModulesParse(t *testing.T) {
	for _, dir := range modules {
		m := loadModule(t, dir)
		var walk func(b *hclsyntax.Block)
		walk = func(b *hclsyntax.Block) {
			for name, a := range b.Body.Attributes {
				if b.Type == "variable" && name == "type" {
					continue // a type constraint such as list(string), not references
				}
				for ref := range m.refs(a.Expr) {
					if !m.declared(ref) {
						t.Errorf("%s: %s refers to undeclared %s", dir, a.SrcRange, ref)
					}
				}
			}
			for _, n := range b.Body.Blocks {
				walk(n)
			}
		}
		for _, b := range m.blocks {
			walk(b)
		}
		for name, v := range m.vars {
			if attr(v, "description") == nil || attr(v, "type") == nil {
				t.Errorf("%s: variable %s needs a description and a type", dir, name)
			}
		}
	}
}

// TestShipperPolicyMatchesCalls checks that the shipper role's policy
// grants exactly the CloudWatch Logs, S3 and SQS actions corral's code
// calls, each on this module's resources and none on "*".
func TestShipperPolicyMatchesCalls(t *testing.T) {
	need := requiredActions(t)
	want := ofService(need, "logs", "s3", "sqs")
	for _, a := range want {
		t.Logf("%s: called at %s", a, strings.Join(need[a], ", "))
	}

	m := loadModule(t, "logs-account")
	var granted []string
	for _, st := range m.statements(t, "shipper") {
		sid := literalString(st, "sid")
		if e := literalString(st, "effect"); e != "" && e != "Allow" {
			t.Errorf("statement %s: effect %s; the policy only allows", sid, e)
		}
		acts := actions(t, st)
		granted = append(granted, acts...)

		// One service per statement, on that service's resources here.
		res := attr(st, "resources")
		if res == nil {
			t.Errorf("statement %s: no resources", sid)
			continue
		}
		if lit, ok := literal(res); ok {
			t.Errorf("statement %s: literal resources %q, not this module's", sid, lit)
			continue
		}
		refs := m.refs(res)
		svc, _, _ := strings.Cut(acts[0], ":")
		for _, a := range acts {
			if !strings.HasPrefix(a, svc+":") || strings.Contains(a, "*") {
				t.Errorf("statement %s: action %s: want one service per statement and no wildcards", sid, a)
			}
		}
		var wantRefs, notRefs []string
		switch {
		case slices.Equal(acts, []string{"logs:DescribeLogGroups"}):
			// A list action: the service authorizes it on the account's and
			// region's whole log-group space (":log-group::log-stream:"), so
			// it gets "log-group:*" of this account and region, in a
			// statement of its own, and no more.
			refs := m.refs(res)
			for r := range refs {
				if r != "local.log_group_arn_prefix" && !strings.HasPrefix(r, "data.aws_") {
					t.Errorf("statement %s: resources refer to %s, want only local.log_group_arn_prefix", sid, r)
				}
			}
			if !refs["local.log_group_arn_prefix"] {
				t.Errorf("statement %s: resources are not local.log_group_arn_prefix", sid)
			}
		case svc == "logs":
			// The groups created here and, through the prefix, those corral
			// creates.
			wantRefs = []string{"aws_cloudwatch_log_group.this", "var.log_group_prefix"}
		case svc == "s3":
			wantRefs = []string{"aws_s3_bucket.logs"}
		case svc == "sqs":
			wantRefs = []string{"aws_sqs_queue.objects"}
			notRefs = []string{"aws_sqs_queue.dead_letter"}
		default:
			t.Errorf("statement %s: service %s is not one corral calls as the shipper", sid, svc)
		}
		for _, r := range wantRefs {
			if !refs[r] {
				t.Errorf("statement %s: resources do not refer to %s", sid, r)
			}
		}
		for _, r := range notRefs {
			if refs[r] {
				t.Errorf("statement %s: resources refer to %s", sid, r)
			}
		}
	}
	slices.Sort(granted)
	granted = slices.Compact(granted)
	if diff := cmp.Diff(want, granted); diff != "" {
		t.Errorf("shipper policy actions (-called by corral +granted):\n%s", diff)
	}

	policies := m.attachedTo(t, "aws_iam_role.shipper")
	const shipperDoc = "data.aws_iam_policy_document.shipper"
	if len(policies) != 1 || !m.refs(attr(policies[0], "policy"))[shipperDoc] {
		t.Errorf("the shipper role has %d inline policies; want only %s", len(policies), shipperDoc)
	}
}

// TestTrustPolicy checks that only the workload accounts may assume the
// shipper role, and only with the external ID.
func TestTrustPolicy(t *testing.T) {
	m := loadModule(t, "logs-account")
	role := m.resources["aws_iam_role.shipper"]
	if role == nil {
		t.Fatal("no aws_iam_role.shipper")
	}
	if !m.refs(attr(role, "assume_role_policy"))["data.aws_iam_policy_document.trust"] {
		t.Fatal("the shipper role's trust policy is not data.aws_iam_policy_document.trust")
	}
	for _, st := range m.statements(t, "trust") {
		sid := literalString(st, "sid")
		if a := actions(t, st); !slices.Equal(a, []string{"sts:AssumeRole"}) {
			t.Errorf("statement %s: actions %q, want [sts:AssumeRole]", sid, a)
		}
		principals := nested(st, "principals")
		if len(principals) != 1 || literalString(principals[0], "type") != "AWS" {
			t.Fatalf("statement %s: want one AWS principals block", sid)
		}
		ids := attr(principals[0], "identifiers")
		if lit, ok := literal(ids); ok || !m.refs(ids)["var.workload_account_ids"] {
			t.Errorf("statement %s: principals %q are not the workload accounts", sid, lit)
		}
		external := false
		for _, c := range nested(st, "condition") {
			if literalString(c, "test") == "StringEquals" &&
				literalString(c, "variable") == "sts:ExternalId" &&
				m.refs(attr(c, "values"))["var.external_id"] {
				external = true
			}
		}
		if !external {
			t.Errorf("statement %s: no StringEquals sts:ExternalId condition on var.external_id", sid)
		}
	}
	v := m.vars["external_id"]
	if v == nil || attr(v, "sensitive") == nil {
		t.Fatal("variable external_id is missing or not sensitive")
	}
	if s, diags := attr(v, "sensitive").Value(nil); diags.HasErrors() || !s.True() {
		t.Error("variable external_id is not sensitive")
	}
}

// TestLogGroupsBucketAndQueues checks the resources the shipper works on:
// log groups with retention and optional KMS, and the bucket that
// announces new objects on a queue with a dead-letter queue.
func TestLogGroupsBucketAndQueues(t *testing.T) {
	m := loadModule(t, "logs-account")
	mustRefer := func(block, attrName, ref string) {
		t.Helper()
		b := m.resources[block]
		if b == nil {
			b = m.data[strings.TrimPrefix(block, "data.")]
		}
		if b == nil {
			t.Errorf("no %s", block)
			return
		}
		if e := attr(b, attrName); e == nil || !m.refs(e)[ref] {
			t.Errorf("%s.%s does not refer to %s", block, attrName, ref)
		}
	}
	mustRefer("aws_cloudwatch_log_group.this", "for_each", "var.log_group_names")
	mustRefer("aws_cloudwatch_log_group.this", "retention_in_days", "var.retention_in_days")
	mustRefer("aws_cloudwatch_log_group.this", "kms_key_id", "var.kms_key_arn")
	mustRefer("aws_sqs_queue.objects", "redrive_policy", "aws_sqs_queue.dead_letter")
	mustRefer("aws_sqs_queue_policy.objects", "policy", "data.aws_iam_policy_document.queue")
	mustRefer("aws_s3_bucket_policy.logs", "policy", "data.aws_iam_policy_document.bucket")

	notify := m.resources["aws_s3_bucket_notification.logs"]
	if notify == nil {
		t.Fatal("no aws_s3_bucket_notification.logs")
	}
	queues := nested(notify, "queue")
	if len(queues) != 1 || !m.refs(attr(queues[0], "queue_arn"))["aws_sqs_queue.objects"] {
		t.Error("the bucket does not notify aws_sqs_queue.objects")
	}

	// Only S3, for this bucket, may send to the queue.
	for _, st := range m.statements(t, "queue") {
		p := nested(st, "principals")
		if len(p) != 1 || literalString(p[0], "type") != "Service" {
			t.Fatal("queue policy: want one Service principal")
		}
		ids, _ := literal(attr(p[0], "identifiers"))
		if !slices.Equal(ids, []string{"s3.amazonaws.com"}) {
			t.Errorf("queue policy: principals %q, want s3.amazonaws.com", ids)
		}
		bound := false
		for _, c := range nested(st, "condition") {
			if literalString(c, "variable") == "aws:SourceArn" &&
				m.refs(attr(c, "values"))["aws_s3_bucket.logs"] {
				bound = true
			}
		}
		if !bound {
			t.Error("queue policy: no aws:SourceArn condition on the bucket")
		}
	}

	block := m.resources["aws_s3_bucket_public_access_block.logs"]
	for _, name := range []string{
		"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets",
	} {
		if block == nil || attr(block, name) == nil {
			t.Errorf("public access block: %s not set", name)
			continue
		}
		if v, diags := attr(block, name).Value(nil); diags.HasErrors() || !v.True() {
			t.Errorf("public access block: %s is not true", name)
		}
	}
}

// TestWorkloadAccount checks that the workload identities may do nothing
// but assume the shipper role (the STS calls corral's code makes), and that
// flow logs go to the logs bucket.
func TestWorkloadAccount(t *testing.T) {
	need := requiredActions(t)
	want := ofService(need, "sts")
	m := loadModule(t, "workload-account")

	var granted []string
	for _, st := range m.statements(t, "assume_shipper") {
		granted = append(granted, actions(t, st)...)
		res := attr(st, "resources")
		if res == nil {
			t.Fatal("assume_shipper: no resources")
		}
		if refs := m.refs(res); len(refs) != 1 || !refs["var.shipper_role_arn"] {
			t.Errorf("assume_shipper: resources refer to %v, want only var.shipper_role_arn", refs)
		}
	}
	slices.Sort(granted)
	if diff := cmp.Diff(want, granted); diff != "" {
		t.Errorf("workload policy actions (-called by corral +granted):\n%s", diff)
	}

	for _, role := range []string{"aws_iam_role.instance", "aws_iam_role.ecs_task"} {
		for _, p := range m.attachedTo(t, role) {
			refs := m.refs(attr(p, "policy"))
			if len(refs) != 1 || !refs["data.aws_iam_policy_document.assume_shipper"] {
				t.Errorf("%s has a policy other than assume_shipper: %v", role, refs)
			}
		}
	}
	profile := m.resources["aws_iam_instance_profile.instance"]
	if profile == nil || !m.refs(attr(profile, "role"))["aws_iam_role.instance"] {
		t.Error("no instance profile for aws_iam_role.instance")
	}

	flow := m.resources["aws_flow_log.vpc"]
	if flow == nil {
		t.Fatal("no aws_flow_log.vpc")
	}
	if got := literalString(flow, "log_destination_type"); got != "s3" {
		t.Errorf("flow log destination type %q, want s3", got)
	}
	if !m.refs(attr(flow, "log_destination"))["var.logs_bucket_arn"] {
		t.Error("the flow log does not go to var.logs_bucket_arn")
	}
}
