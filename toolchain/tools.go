//go:build tools

// Package tools pins the official Pulumi CLI's Go module, so scripts/install-pulumi builds
// `github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` from the versions recorded in go.sum.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
