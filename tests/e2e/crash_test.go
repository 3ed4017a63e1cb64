package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Kill -9 during a burst of uploads, restart on the same data: every upload
// that reached the input bucket is sanitized into the output bucket exactly
// once (no upload published twice, B ends with the newest upload of each key),
// and no execution is left running.
func TestCrashDuringUploadBurst(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	const total, clients = 80, 4
	var next, done atomic.Int64
	var mu sync.Mutex
	var retry []int64 // uploads cut off by the kill, sent again after the restart
	var wg sync.WaitGroup
	send := func(c *s3.Client, i int64) error {
		key := fmt.Sprintf("burst/%03d photo.jpg", i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(inputBucket), Key: aws.String(key), Body: bytes.NewReader(photo(uint32(i)))},
			func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		if err == nil {
			done.Add(1)
		}
		return err
	}
	upload := func(s *stack) {
		defer wg.Done()
		c := s.s3()
		for {
			i := next.Add(1) - 1
			if i >= total {
				return
			}
			if err := send(c, i); err != nil {
				mu.Lock()
				retry = append(retry, i)
				mu.Unlock()
				return // the stack is gone
			}
		}
	}
	for range clients {
		wg.Add(1)
		go upload(s)
	}
	// Kill while uploads and executions are in flight.
	for done.Load() < total/3 {
		time.Sleep(time.Millisecond)
	}
	s.kill()
	wg.Wait()
	beforeKill := done.Load()

	s2 := start(t, dir)
	c := s2.s3()
	for _, i := range retry {
		if err := send(c, i); err != nil {
			t.Fatal(err)
		}
	}
	for range clients {
		wg.Add(1)
		go upload(s2)
	}
	wg.Wait()
	if done.Load() != total {
		t.Fatalf("%d of %d uploads succeeded", done.Load(), total)
	}

	latest := map[string]string{} // key → latest version ID in A
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(inputBucket), Prefix: aws.String("burst/")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			if aws.ToBool(v.IsLatest) {
				latest[aws.ToString(v.Key)] = aws.ToString(v.VersionId)
			}
		}
	}
	if len(latest) != total {
		t.Fatalf("A holds %d keys, want %d", len(latest), total)
	}
	waitNoneRunning(t, s2.sfn())
	for key := range latest {
		if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(outputBucket), Key: aws.String(key)}); err != nil {
			explain(t, s2, key)
			t.Errorf("%s: not in B: %v", key, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	versions := map[string][]string{}
	p2 := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(outputBucket), Prefix: aws.String("burst/")})
	for p2.HasMorePages() {
		page, err := p2.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			versions[aws.ToString(v.Key)] = append(versions[aws.ToString(v.Key)], aws.ToString(v.VersionId))
		}
	}
	for key, src := range latest {
		// A retried upload cut off by the kill may have landed twice in A, and
		// each upload may be published; but no upload may be published twice.
		seen := map[string]bool{}
		for _, v := range versions[key] {
			h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(outputBucket), Key: aws.String(key), VersionId: aws.String(v)})
			if err != nil {
				t.Fatal(err)
			}
			from := h.Metadata["source-version-id"]
			if seen[from] {
				explain(t, s2, key)
				t.Errorf("%s: upload %s was published into B twice", key, from)
			}
			seen[from] = true
		}
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(outputBucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if h.Metadata["source-version-id"] != src {
			t.Errorf("%s: B holds the output of version %s, A's latest is %s", key, h.Metadata["source-version-id"], src)
		}
	}
	t.Logf("%d uploads before the kill, %d cut off and sent again; all %d in B, none published twice", beforeKill, len(retry), total)
}

// explain logs the executions of a key and their histories.
func explain(t *testing.T, s *stack, key string) {
	out, _ := exec.Command(binary, "executions", "--endpoint-url", s.url, "--json", "--limit", "1000").Output()
	var rows []struct{ Key, Status, Error, ExecutionArn string }
	json.Unmarshal(out, &rows)
	for _, r := range rows {
		if r.Key == key {
			t.Logf("%s: %s %s %s", key, r.Status, r.Error, r.ExecutionArn)
			if out, err := exec.Command(binary, "audit", "--endpoint-url", s.url, "--execution", r.ExecutionArn, "--json").Output(); err == nil {
				var recs []struct {
					Step, Outcome, Reason string
					Source                struct{ VersionID, Sequencer string }
					Output                *struct{ VersionID, Sequencer string }
				}
				json.Unmarshal(out, &recs)
				for _, rec := range recs {
					t.Logf("  %s %s source %+v output %+v %s", rec.Step, rec.Outcome, rec.Source, rec.Output, rec.Reason)
				}
			}
		}
	}
}

func waitNoneRunning(t *testing.T, c *sfn.Client) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		l, err := c.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineArn), StatusFilter: sfntypes.ExecutionStatusRunning})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Executions) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d executions still running", len(l.Executions))
		}
	}
}
