package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register(command{name: "version", summary: "print the build's module version and VCS revision", run: runVersion})
}

func runVersion(_ context.Context, _ []string, s stdio) error {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(s.out, "sanitizer (unknown build)")
		return nil
	}
	rev := "unknown"
	for _, kv := range info.Settings {
		if kv.Key == "vcs.revision" {
			rev = kv.Value
		}
	}
	fmt.Fprintf(s.out, "sanitizer %s (%s, %s)\n", info.Main.Version, rev, info.GoVersion)
	return nil
}
