// Package oracle runs command-line tools (libjpeg-turbo's cjpeg, djpeg and
// jpegtran, exiftool) as test oracles: tests compare this project's output
// with what the reference tools produce. `make tools` installs them; a test
// whose tool is missing is skipped, not failed.
package oracle

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Need skips the test unless every named tool is on PATH.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make tools): %v", tool, err)
		}
	}
}

// Run runs name with args, stdin on its standard input, and returns its
// standard output; a non-zero exit is an error carrying its standard error.
func Run(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// MustRun is Run that fails the test on error.
func MustRun(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := Run(stdin, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// JpegtranArgs are jpegtran's options for the transform that displays an
// image with Exif Orientation o (2-8) upright, as exiftran -a chooses it.
var JpegtranArgs = map[int][]string{
	2: {"-flip", "horizontal"}, 3: {"-rotate", "180"}, 4: {"-flip", "vertical"}, 5: {"-transpose"},
	6: {"-rotate", "90"}, 7: {"-transverse"}, 8: {"-rotate", "270"},
}
