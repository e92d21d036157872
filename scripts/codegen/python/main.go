// Command pulumi-codegen-python turns PCL into Python for the project's own language host
// (scripts/language_host.py), which answers the engine's GenerateProgram and GenerateProject
// calls with it: `pulumi import --generate-code` and `pulumi convert --language python` in a
// Python project. It binds the PCL with pkg/v3's binder, resolving packages through the engine's
// schema loader, and generates Python with pkg/v3's codegen/python, at the engine's version.
//
// One JSON request on stdin, one JSON answer on stdout:
//
//	program: {"source": {"main.pp": "..."}, "loaderTarget": "127.0.0.1:port", "strict": false}
//	         -> {"files": {"__main__.py": "<base64>"}, "diagnostics": [...]}
//	project: {"sourceDirectory": "...", "targetDirectory": "...", "project": "<Pulumi.yaml as JSON>",
//	          "localDependencies": {...}, "loaderTarget": "...", "strict": false}
//	         -> {"diagnostics": [...]} (the project is written to targetDirectory)
//
// Diagnostics are codegen.Diagnostic messages in protobuf JSON. Anything else that goes wrong is
// one line on stderr and exit code 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

type request struct {
	Source            map[string]string `json:"source"`
	SourceDirectory   string            `json:"sourceDirectory"`
	TargetDirectory   string            `json:"targetDirectory"`
	Project           string            `json:"project"`
	LocalDependencies map[string]string `json:"localDependencies"`
	LoaderTarget      string            `json:"loaderTarget"`
	Strict            bool              `json:"strict"`
}

type answer struct {
	Files       map[string][]byte `json:"files,omitempty"`
	Diagnostics []json.RawMessage `json:"diagnostics"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail(fmt.Errorf("reading the request: %w", err))
	}
	out, err := serve(req)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(out)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, strings.Join(strings.Fields(err.Error()), " "))
	os.Exit(1)
}

func serve(req request) (*answer, error) {
	if req.LoaderTarget == "" {
		return nil, errors.New("the request names no loaderTarget (the engine's schema loader)")
	}
	client, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, fmt.Errorf("connecting to the schema loader at %s: %w", req.LoaderTarget, err)
	}
	defer client.Close()
	loader := schema.NewCachedLoader(client)
	// Python programs call the output form of invokes (get_x_output), as upstream's host binds them.
	options := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.Strict {
		options = append(options, pcl.NonStrictBindOptions()...)
	}

	if req.SourceDirectory != "" {
		program, diags, err := pcl.BindDirectory(req.SourceDirectory, loader, options...)
		if err != nil || diags.HasErrors() {
			return withDiagnostics(nil, diags, err) // err: the directory could not be read
		}
		var project workspace.Project
		if err := json.Unmarshal([]byte(req.Project), &project); err != nil {
			return nil, fmt.Errorf("reading the project: %w", err)
		}
		err = python.GenerateProject(req.TargetDirectory, project, program, req.LocalDependencies, "", "")
		return withDiagnostics(nil, diags, err)
	}

	parser := syntax.NewParser()
	for _, name := range slices.Sorted(maps.Keys(req.Source)) {
		if err := parser.ParseFile(strings.NewReader(req.Source[name]), name); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	if parser.Diagnostics.HasErrors() {
		return withDiagnostics(nil, parser.Diagnostics, nil)
	}
	program, diags, err := pcl.BindProgram(parser.Files, loader, options...)
	if diags.HasErrors() {
		return withDiagnostics(nil, diags, nil) // err, if any, only repeats them
	}
	if err != nil {
		return nil, err
	}
	files, genDiags, err := python.GenerateProgram(program)
	return withDiagnostics(files, append(diags, genDiags...), err)
}

func withDiagnostics(files map[string][]byte, diags hcl.Diagnostics, err error) (*answer, error) {
	if err != nil {
		return nil, err
	}
	out := &answer{Files: files, Diagnostics: []json.RawMessage{}}
	for _, d := range plugin.HclDiagnosticsToRPCDiagnostics(diags) {
		text, err := protojson.Marshal(d)
		if err != nil {
			return nil, err
		}
		out.Diagnostics = append(out.Diagnostics, text)
	}
	return out, nil
}
