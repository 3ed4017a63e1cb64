package audit_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

// mapObjects is the smallest honest audit.Objects: create-only puts into a map.
type mapObjects struct {
	mu   sync.Mutex
	objs map[string][]byte
	err  error
}

func (m *mapObjects) PutIfAbsent(_ context.Context, bucket, key string, body []byte, _ string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if m.objs == nil {
		m.objs = map[string][]byte{}
	}
	if _, ok := m.objs[bucket+"/"+key]; ok {
		return false, nil
	}
	m.objs[bucket+"/"+key] = append([]byte(nil), body...)
	return true, nil
}

func (m *mapObjects) ReadAll(_ context.Context, bucket, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, errors.New("no such key")
	}
	return b, nil
}

func (m *mapObjects) List(_ context.Context, bucket, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objs {
		if rest, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(rest, prefix) {
			keys = append(keys, rest)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func record(exec, step string, attempt int, at time.Time) audit.Record {
	return audit.Record{
		Execution: exec, Step: step, Attempt: attempt, Outcome: audit.Succeeded,
		Source:    audit.Object{Bucket: "in", Key: "photos/a b+c%20ü.jpg", VersionID: "v1", ETag: `"e"`, Sequencer: "0A"},
		StartedAt: at, FinishedAt: at.Add(1500 * time.Millisecond),
	}
}

func TestWriteReadByExecutionAndKey(t *testing.T) {
	ctx := context.Background()
	objs := &mapObjects{}
	w := &audit.Writer{Objects: objs, Bucket: "audit"}
	rd := &audit.Reader{Objects: objs, Bucket: "audit"}
	const e1, e2 = "arn:aws:states:us-east-1:1:execution:sm:one", "arn:aws:states:us-east-1:1:execution:sm:two"

	// Written out of order: readers sort by start time.
	for _, r := range []audit.Record{
		record(e1, audit.StepStrip, 1, t0.Add(2*time.Second)),
		record(e1, audit.StepValidate, 1, t0),
		record(e2, audit.StepValidate, 1, t0.Add(time.Hour)),
	} {
		if _, err := w.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rd.ByExecution(ctx, e1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Step != audit.StepValidate || got[1].Step != audit.StepStrip {
		t.Fatalf("by execution: %+v", got)
	}
	if got[0].Schema != audit.Schema || got[0].DurationMillis != 1500 {
		t.Errorf("schema %q duration %d", got[0].Schema, got[0].DurationMillis)
	}
	byKey, err := rd.ByKey(ctx, "photos/a b+c%20ü.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 3 || byKey[2].Execution != e2 {
		t.Fatalf("by key: %+v", byKey)
	}
	if other, _ := rd.ByKey(ctx, "photos/a b c ü.jpg"); len(other) != 0 {
		t.Errorf("a different key shares records: %+v", other)
	}
}

func TestWriteNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	objs := &mapObjects{}
	w := &audit.Writer{Objects: objs, Bucket: "audit"}
	first := record("exec", audit.StepWrite, 1, t0)
	first.Reason = "first"
	second := record("exec", audit.StepWrite, 1, t0.Add(time.Second))
	second.Reason = "second"
	n1, err := w.Write(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	n2, err := w.Write(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if n1 == n2 || !strings.HasSuffix(n1, "/write-1.json") || !strings.HasSuffix(n2, "/write-1.2.json") {
		t.Fatalf("names %q %q", n1, n2)
	}
	recs, err := (&audit.Reader{Objects: objs, Bucket: "audit"}).ByExecution(ctx, "exec")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Reason != "first" || recs[1].Reason != "second" {
		t.Fatalf("records %+v", recs)
	}
}

func TestWriteBoundedDuplicates(t *testing.T) {
	ctx := context.Background()
	w := &audit.Writer{Objects: &mapObjects{}, Bucket: "audit"}
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		_, err = w.Write(ctx, record("exec", audit.StepVerify, 2, t0.Add(time.Duration(i)*time.Second)))
	}
	if !errors.Is(err, audit.ErrTooManyRecords) {
		t.Fatalf("err = %v, want ErrTooManyRecords", err)
	}
}

func TestWriteRejectsIncompleteRecords(t *testing.T) {
	w := &audit.Writer{Objects: &mapObjects{}, Bucket: "audit"}
	for name, mutate := range map[string]func(*audit.Record){
		"no execution":     func(r *audit.Record) { r.Execution = "" },
		"attempt zero":     func(r *audit.Record) { r.Attempt = 0 },
		"failed, no error": func(r *audit.Record) { r.Outcome = audit.Failed },
		"bad outcome":      func(r *audit.Record) { r.Outcome = "done" },
		"no start":         func(r *audit.Record) { r.StartedAt = time.Time{} },
	} {
		r := record("exec", audit.StepValidate, 1, t0)
		mutate(&r)
		if _, err := w.Write(context.Background(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWriteStorageErrorSurfaces(t *testing.T) {
	boom := errors.New("503 slow down")
	w := &audit.Writer{Objects: &mapObjects{err: boom}, Bucket: "audit"}
	if _, err := w.Write(context.Background(), record("exec", audit.StepValidate, 1, t0)); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

// The key index gets one entry per execution, from the step that opens its
// trail, however many records the execution writes; an execution whose only
// record is record-failure's is indexed too. Records a former layout copied
// into the key index are still found (once).
func TestKeyIndexOneEntryPerExecution(t *testing.T) {
	ctx := context.Background()
	objs := &mapObjects{}
	w := &audit.Writer{Objects: objs, Bucket: "audit"}
	rd := &audit.Reader{Objects: objs, Bucket: "audit"}
	const key = "photos/a b+c%20ü.jpg"
	for i, step := range []string{audit.StepValidate, audit.StepStrip, audit.StepWrite, audit.StepVerify} {
		if _, err := w.Write(ctx, record("ok", step, 1, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write(ctx, record("crashed", audit.StepRecordFailure, 1, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	// A record as the earlier layout indexed it: a full copy under the key.
	old := record("old", audit.StepValidate, 1, t0.Add(-time.Hour))
	body, _ := old.Marshal()
	objs.PutIfAbsent(ctx, "audit", audit.ExecutionPrefix("old")+"validate-1.json", body, "")
	objs.PutIfAbsent(ctx, "audit", audit.KeyPrefix(key)+"20261122T070000.000000000Z-x-validate-1.json", body, "")

	index, _ := objs.List(ctx, "audit", audit.KeyPrefix(key))
	if len(index) != 3 {
		t.Errorf("key index %v: want one entry per execution", index)
	}
	recs, err := rd.ByKey(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Execution+"/"+r.Step)
	}
	want := []string{"old/validate", "ok/validate", "ok/strip", "ok/write", "ok/verify", "crashed/record-failure"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("by key: %v, want %v", got, want)
	}
}

// readCounter counts the objects read through it.
type readCounter struct {
	*mapObjects
	mu    sync.Mutex
	reads []string
}

func (c *readCounter) ReadAll(ctx context.Context, bucket, key string) ([]byte, error) {
	c.mu.Lock()
	c.reads = append(c.reads, key)
	c.mu.Unlock()
	return c.mapObjects.ReadAll(ctx, bucket, key)
}

// ByKeyStep returns exactly ByKey's records of that step, duplicates and
// retries included, and reads no record of another step.
func TestByKeyStepReadsOnlyThatStep(t *testing.T) {
	ctx := context.Background()
	objs := &readCounter{mapObjects: &mapObjects{}}
	w := &audit.Writer{Objects: objs, Bucket: "audit"}
	rd := &audit.Reader{Objects: objs, Bucket: "audit"}
	const key = "photos/a b+c%20ü.jpg"
	for i, r := range []audit.Record{
		record("one", audit.StepValidate, 1, t0),
		record("one", audit.StepStrip, 1, t0.Add(time.Second)),
		record("one", audit.StepWrite, 1, t0.Add(2*time.Second)),
		record("one", audit.StepVerify, 1, t0.Add(3*time.Second)),
		record("one", audit.StepVerify, 2, t0.Add(4*time.Second)),
		record("one", audit.StepVerify, 2, t0.Add(5*time.Second)), // a second run of one attempt: verify-2.2
		record("two", audit.StepValidate, 1, t0.Add(time.Hour)),
		record("two", audit.StepRecordFailure, 1, t0.Add(time.Hour+time.Second)),
	} {
		if _, err := w.Write(ctx, r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	all, err := rd.ByKey(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{audit.StepVerify, audit.StepValidate, audit.StepRecordFailure, audit.StepUnpublish} {
		objs.reads = nil
		got, err := rd.ByKeyStep(ctx, key, step)
		if err != nil {
			t.Fatal(err)
		}
		var want []audit.Record
		for _, r := range all {
			if r.Step == step {
				want = append(want, r)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d records, ByKey has %d", step, len(got), len(want))
		}
		for i := range got {
			if got[i].Execution != want[i].Execution || got[i].Attempt != want[i].Attempt || !got[i].StartedAt.Equal(want[i].StartedAt) {
				t.Errorf("%s record %d: %+v, want %+v", step, i, got[i], want[i])
			}
		}
		for _, k := range objs.reads {
			if strings.HasPrefix(k, "executions/") && !strings.HasPrefix(k[strings.LastIndex(k, "/")+1:], step+"-") {
				t.Errorf("%s: read %s", step, k)
			}
		}
	}
}
