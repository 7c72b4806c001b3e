package terraform

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// moduleRoot is corral's repository root, from this package's directory.
const moduleRoot = "../.."

// skipDirs are the folders whose AWS calls the shipper role never makes.
// Hidden folders (.git, .venv) and testdata are skipped too.
var skipDirs = map[string]string{
	"deploy":              "deployment files, and this test",
	"cmd/corral-demo":     "the demo talks to moto with its own credentials",
	"cmd/corral-bench":    "the benchmark talks to a fake endpoint",
	"internal/motoserver": "test support: starts moto and builds clients for tests",
}

// iamActions maps each AWS operation corral may call, as service.Operation,
// to the IAM actions it needs. An operation the code calls that is not here
// fails the test: add it here and to the Terraform. Where each is called is
// logged by TestPolicyMatchesCalls (go test -v).
var iamActions = map[string][]string{
	// sinks/cloudwatch: the hand-written PutLogEvents request (api.go), and
	// the SDK calls that create a missing stream or group (create.go).
	"logs.PutLogEvents":    {"logs:PutLogEvents"},
	"logs.CreateLogStream": {"logs:CreateLogStream"},
	// CreateLogGroup with tags (cloudwatch.tags) also needs TagResource
	// (CreateLogGroup API reference, tags parameter).
	"logs.CreateLogGroup":     {"logs:CreateLogGroup", "logs:TagResource"},
	"logs.PutRetentionPolicy": {"logs:PutRetentionPolicy"},
	// agent/doctor looks for a group before it creates one.
	"logs.DescribeLogGroups":  {"logs:DescribeLogGroups"},
	"logs.DescribeLogStreams": {"logs:DescribeLogStreams"},

	// sources/s3: objects (object.go) and listings in poll mode (poll.go).
	"s3.GetObject":     {"s3:GetObject"},
	"s3.HeadObject":    {"s3:GetObject"},
	"s3.ListObjectsV2": {"s3:ListBucket"},

	// sources/s3 (queue.go): batch calls are authorized by the
	// single-message actions.
	"sqs.ReceiveMessage":               {"sqs:ReceiveMessage"},
	"sqs.DeleteMessage":                {"sqs:DeleteMessage"},
	"sqs.DeleteMessageBatch":           {"sqs:DeleteMessage"},
	"sqs.ChangeMessageVisibility":      {"sqs:ChangeMessageVisibility"},
	"sqs.ChangeMessageVisibilityBatch": {"sqs:ChangeMessageVisibility"},
	"sqs.GetQueueAttributes":           {"sqs:GetQueueAttributes"},
	"sqs.GetQueueUrl":                  {"sqs:GetQueueUrl"},

	// agent/aws.go: the host's identity assumes the shipper role through
	// stscreds; GetCallerIdentity needs no permission.
	"sts.AssumeRole":        {"sts:AssumeRole"},
	"sts.GetCallerIdentity": nil,
}

// services maps the SDK's service packages to IAM service prefixes.
var services = map[string]string{
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs": "logs",
	"github.com/aws/aws-sdk-go-v2/service/s3":             "s3",
	"github.com/aws/aws-sdk-go-v2/service/sqs":            "sqs",
	"github.com/aws/aws-sdk-go-v2/service/sts":            "sts",
}

// stscredsPath is the SDK package whose assume-role provider calls
// sts:AssumeRole for corral.
const stscredsPath = "github.com/aws/aws-sdk-go-v2/credentials/stscreds"

// cloudWatchTarget is the X-Amz-Target prefix of CloudWatch Logs, which marks
// a package that makes hand-written requests through a `call(ctx, "Op",
// ...)` method, as sinks/cloudwatch does for PutLogEvents.
const cloudWatchTarget = `"Logs_20140328."`

// call is one AWS operation found in the code.
type call struct {
	op    string // service.Operation
	where string // file:line
}

// findCalls returns the AWS operations corral's code calls, found in the
// source of every package outside skipDirs, test files excluded: each
// composite literal of an SDK operation's input type (<svc>.<Op>Input),
// each stscreds.NewAssumeRoleProvider, and each hand-written CloudWatch
// Logs call.
func findCalls(t *testing.T) []call {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{} // by directory, relative to moduleRoot
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleRoot, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			hidden := rel != "." && strings.HasPrefix(d.Name(), ".")
			if _, skip := skipDirs[rel]; skip || hidden || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(rel)] = append(pkgs[filepath.Dir(rel)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls []call
	for _, files := range pkgs {
		handWritten := slices.ContainsFunc(files, hasCloudWatchTarget)
		for _, f := range files {
			calls = append(calls, callsIn(fset, f, handWritten)...)
		}
	}
	slices.SortFunc(calls, func(a, b call) int { return strings.Compare(a.where, b.where) })
	return calls
}

func hasCloudWatchTarget(f *ast.File) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Value == cloudWatchTarget {
			found = true
		}
		return !found
	})
	return found
}

// callsIn returns the calls in one parsed file; handWritten says that its
// package makes hand-written CloudWatch Logs requests.
func callsIn(fset *token.FileSet, f *ast.File, handWritten bool) []call {
	imports := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imports[name] = p
	}
	var calls []call
	at := func(n ast.Node) string {
		pos := fset.Position(n.Pos())
		rel, _ := filepath.Rel(moduleRoot, pos.Filename)
		return filepath.ToSlash(rel) + ":" + strconv.Itoa(pos.Line)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			pkg, name, ok := qualified(n.Type)
			if svc, known := services[imports[pkg]]; ok && known && strings.HasSuffix(name, "Input") {
				calls = append(calls, call{svc + "." + strings.TrimSuffix(name, "Input"), at(n)})
			}
		case *ast.CallExpr:
			pkg, name, ok := qualified(n.Fun)
			if ok && imports[pkg] == stscredsPath && name == "NewAssumeRoleProvider" {
				calls = append(calls, call{"sts.AssumeRole", at(n)})
			}
			sel, isSel := n.Fun.(*ast.SelectorExpr)
			if handWritten && isSel && sel.Sel.Name == "call" && len(n.Args) >= 2 {
				if lit, ok := n.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					op, _ := strconv.Unquote(lit.Value)
					calls = append(calls, call{"logs." + op, at(n)})
				}
			}
		}
		return true
	})
	return calls
}

// qualified splits pkg.Name, also behind a &.
func qualified(e ast.Expr) (pkg, name string, ok bool) {
	if u, isUnary := e.(*ast.UnaryExpr); isUnary {
		e = u.X
	}
	sel, isSel := e.(*ast.SelectorExpr)
	if !isSel {
		return "", "", false
	}
	id, isIdent := sel.X.(*ast.Ident)
	if !isIdent {
		return "", "", false
	}
	return id.Name, sel.Sel.Name, true
}

// requiredActions maps each IAM action corral's calls need to where they
// are called, failing for a call iamActions does not know.
func requiredActions(t *testing.T) map[string][]string {
	t.Helper()
	need := map[string][]string{}
	for _, c := range findCalls(t) {
		actions, known := iamActions[c.op]
		if !known {
			t.Errorf("%s calls %s, which iamActions does not map to IAM actions: "+
				"add it there and to the Terraform", c.where, c.op)
			continue
		}
		for _, a := range actions {
			need[a] = append(need[a], c.where)
		}
	}
	if len(need) == 0 {
		t.Fatal("found no AWS calls in corral's code: the scan is broken")
	}
	return need
}

// ofService returns the sorted actions in need whose prefix is one of
// prefixes.
func ofService(need map[string][]string, prefixes ...string) []string {
	var out []string
	for _, a := range slices.Sorted(maps.Keys(need)) {
		svc, _, _ := strings.Cut(a, ":")
		if slices.Contains(prefixes, svc) {
			out = append(out, a)
		}
	}
	return out
}
