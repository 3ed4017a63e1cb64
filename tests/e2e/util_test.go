package e2e

import (
	"errors"
	"os"
	"os/exec"
)

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o644) }

func asExit(err error, target **exec.ExitError) bool { return errors.As(err, target) }
