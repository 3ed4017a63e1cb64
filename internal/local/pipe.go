package local

import (
	"context"
	"net"
	"sync"
)

// PipeListener is a net.Listener whose connections are in memory. The stack's
// own Lambda functions reach its APIs through it: over HTTP, with the same SDK
// clients and the same handlers (fault injection included) as any client on
// the TCP port, but without the kernel's loopback TCP, which cost each photo
// about a millisecond of system calls and socket copies.
type PipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewPipeListener returns an open PipeListener.
func NewPipeListener() *PipeListener {
	return &PipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a DialContext.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and DialContext; open connections stay open until the
// server closes them.
func (l *PipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the listener's (nominal) address.
func (l *PipeListener) Addr() net.Addr { return pipeAddr{} }

// DialContext connects to the listener; network and address are ignored, so it
// fits http.Transport.DialContext.
func (l *PipeListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return newQueuedConn(client), nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }

// queuedConn is the client's end of a net.Pipe whose writes return once
// queued, as a socket's return once in its send buffer. A net.Pipe write waits
// for the reader, so net/http's client would still be writing a request when
// the server's response arrived; it then tore the connection down under the
// response body ("read/write on closed pipe"), which a socket never provokes.
type queuedConn struct {
	net.Conn
	queue chan *[]byte
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	err   error // the first failed write, returned by every later one
}

// queuedWrites bounds what a connection holds unsent (chunks of at most
// queueChunk bytes): a full queue makes Write wait, as a full send buffer does.
const (
	queuedWrites = 32
	queueChunk   = 64 << 10
)

var chunks = sync.Pool{New: func() any { b := make([]byte, 0, queueChunk); return &b }}

func newQueuedConn(c net.Conn) *queuedConn {
	q := &queuedConn{Conn: c, queue: make(chan *[]byte, queuedWrites), done: make(chan struct{})}
	go q.send()
	return q
}

func (q *queuedConn) send() {
	for {
		select {
		case b := <-q.queue:
			_, err := q.Conn.Write(*b)
			*b = (*b)[:0]
			chunks.Put(b)
			if err != nil {
				q.mu.Lock()
				q.err = err
				q.mu.Unlock()
				q.Conn.Close()
				return
			}
		case <-q.done:
			return
		}
	}
}

func (q *queuedConn) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		q.mu.Lock()
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return n, err
		}
		b := chunks.Get().(*[]byte)
		k := min(len(p), queueChunk)
		*b = append((*b)[:0], p[:k]...)
		select {
		case q.queue <- b:
		case <-q.done:
			chunks.Put(b)
			return n, net.ErrClosed
		}
		n, p = n+k, p[k:]
	}
	return n, nil
}

// Close drops what is still queued, as closing a socket with unsent data
// may, and closes the pipe.
func (q *queuedConn) Close() error {
	q.once.Do(func() { close(q.done) })
	return q.Conn.Close()
}
