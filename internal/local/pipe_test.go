package local_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/local"
)

func TestPipeListenerCarriesHTTP(t *testing.T) {
	pl := local.NewPipeListener()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte(strings.ToUpper(string(b))))
	})}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pl) }()
	client := &http.Client{Transport: &http.Transport{DialContext: pl.DialContext}}

	body := strings.Repeat("photo bytes ", 100_000) // larger than any buffer on the way
	for range 3 {                                   // the second and third reuse the connection
		resp, err := client.Post("http://in-process/x", "text/plain", strings.NewReader(body))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, strings.ToUpper(body), string(got))
	}

	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-done, http.ErrServerClosed)
	_, err := pl.DialContext(context.Background(), "tcp", "x")
	assert.True(t, errors.Is(err, net.ErrClosed), "dial after close: %v", err)
}

func TestPipeListenerDialHonoursContext(t *testing.T) {
	pl := local.NewPipeListener() // nobody accepts
	defer pl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pl.DialContext(ctx, "tcp", "x")
	assert.ErrorIs(t, err, context.Canceled)
}
