//go:build dotnet

// C#: its code generator has left pkg/v3 for the pulumi-dotnet repository (which the Go module
// proxy here does not serve), so this build uses pkg/v3 v3.206.0, which still has it and which the
// YAML language host's build already put in Go's module cache, through its own module file
// (go build -tags dotnet -modfile=dotnet.mod).
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A 1x1 transparent PNG: the NuGet icon when the package logo cannot be downloaded.
const placeholderLogo = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// offlineLogo lets the C# codegen finish without the internet: it downloads the package logo
// (the schema's logoUrl, else Pulumi's) for the NuGet icon, and only package registries are
// reachable here. A failed download becomes a placeholder icon, with a warning on stderr.
type offlineLogo struct{ next http.RoundTripper }

func (o offlineLogo) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	if err == nil {
		return resp, nil
	}
	fmt.Fprintf(os.Stderr, "warning: logo.png is a placeholder: could not download %s: %v\n", req.URL, err)
	png, _ := base64.StdEncoding.DecodeString(placeholderLogo)
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"image/png"}}, Body: io.NopCloser(bytes.NewReader(png)),
		ContentLength: int64(len(png)), Request: req,
	}, nil
}

func init() {
	http.DefaultClient.Transport = offlineLogo{next: http.DefaultTransport}
	generators["dotnet"] = func(
		tool string, pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, _ schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return dotnet.GeneratePackage(tool, pkg, req.ExtraFiles, req.LocalDependencies)
	}
}
