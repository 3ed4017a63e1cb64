package local

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
)

// ListenLocal opens a Unix socket in Linux's abstract namespace (no file to
// clean up) for the stack's own Lambda functions, and returns it with a dial
// function for http.Transport.DialContext. Served by the same HTTP server,
// handlers and fault injection as the TCP port, it spares the functions the
// kernel's TCP/IP processing on every byte they move; everything outside the
// process uses the port. Other systems have no abstract namespace: there it
// returns an error, and the functions use the port too.
func ListenLocal() (net.Listener, func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	if runtime.GOOS != "linux" {
		return nil, nil, errors.New("local: abstract Unix sockets are Linux's")
	}
	name := "@s3-image-sanitizer-" + strconv.Itoa(os.Getpid()) + "-" + randomHex(8)
	ln, err := net.Listen("unix", name)
	if err != nil {
		return nil, nil, err
	}
	var d net.Dialer
	return ln, func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "unix", name) }, nil
}
