// Command gen writes the subset of the hashicorp/aws schema that infra/ uses, from the .jsii file of the npm
// package @cdktf/provider-aws. infra/schema/regenerate.sh fetches the pinned package and runs it.
//
//	go run ./internal/tfschema/gen -jsii package/.jsii -infra infra -o internal/tfschema/aws.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/tfschema"
)

func main() {
	jsiiPath := flag.String("jsii", "", "path of the .jsii file of @cdktf/provider-aws")
	infraDir := flag.String("infra", "infra", "Terraform directory whose resource types to keep")
	out := flag.String("o", "internal/tfschema/aws.json", "output file")
	flag.Parse()
	if err := run(*jsiiPath, *infraDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(jsiiPath, infraDir, out string) error {
	if jsiiPath == "" {
		return fmt.Errorf("-jsii is required")
	}
	resources, dataSources, err := tfschema.TypesUsed(infraDir)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(jsiiPath)
	if err != nil {
		return err
	}
	s, err := tfschema.FromJSII(data, resources, dataSources)
	if err != nil {
		return err
	}
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d resource types, %d data sources from %s (%s %s)\n", out, len(s.Resources), len(s.DataSources), s.Package, s.Provider, s.ProviderVersion)
	return os.WriteFile(out, b, 0o644)
}
