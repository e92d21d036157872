//go:build !dotnet

// The languages whose codegen is in the engine's own pkg/v3 (go.mod): the SDKs are those a
// Pulumi install of the same version writes.
package main

import (
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func init() {
	generators["nodejs"] = func(
		tool string, pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, loader schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return nodejs.GeneratePackage(tool, pkg, req.ExtraFiles, req.LocalDependencies, req.Local, loader)
	}
	generators["go"] = func(
		tool string, pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, _ schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return gogen.GeneratePackage(tool, pkg, req.LocalDependencies)
	}
	generators["python"] = func(
		tool string, pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, loader schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return python.GeneratePackage(tool, pkg, req.ExtraFiles, loader)
	}
}
