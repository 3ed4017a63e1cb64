package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Objects is the storage the writer and reader need: an S3 bucket, or anything with
// its create-only write and prefix listing.
type Objects interface {
	// PutIfAbsent creates bucket/key (If-None-Match: *); created is false when the
	// key already exists, in which case nothing was written.
	PutIfAbsent(ctx context.Context, bucket, key string, body []byte, contentType string) (created bool, err error)
	// ReadAll returns the whole object.
	ReadAll(ctx context.Context, bucket, key string) ([]byte, error)
	// List returns every key under prefix, in lexical order.
	List(ctx context.Context, bucket, prefix string) ([]string, error)
}

// maxDuplicates bounds how many records one (execution, step, attempt) may hold: the
// same attempt can run twice when Lambda itself re-invokes, and both runs are kept.
const maxDuplicates = 16

// ErrTooManyRecords reports that maxDuplicates records already exist for one attempt.
var ErrTooManyRecords = errors.New("audit: too many records for one step attempt")

// Hash is the hex SHA-256 used in object names: execution ARNs and object keys hold
// characters that make poor (or too long) path segments.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ExecutionPrefix is where one execution's records live.
func ExecutionPrefix(execution string) string { return "executions/" + Hash(execution) + "/" }

// KeyPrefix is where the records about one object key live.
func KeyPrefix(key string) string { return "keys/" + Hash(key) + "/" }

// Writer stores records in Bucket.
type Writer struct {
	Objects Objects
	Bucket  string
}

// Write stores r under its execution. It never replaces a record: when the
// attempt's name is taken it uses the next free suffix. The steps that open or
// close an execution's trail (validate, unpublish, record-failure) also index
// the execution under the record's source key, create-only, so the index gets
// one entry per execution and step however many records and retries there are
// (the step in the name lets IAM keep each step to its own entries).
// It returns the name of the execution record.
func (w *Writer) Write(ctx context.Context, r Record) (string, error) {
	body, err := r.Marshal()
	if err != nil {
		return "", err
	}
	base := fmt.Sprintf("%s-%d", r.Step, r.Attempt)
	name := ""
	for n := 1; n <= maxDuplicates; n++ {
		candidate := base
		if n > 1 {
			candidate = fmt.Sprintf("%s.%d", base, n)
		}
		created, err := w.Objects.PutIfAbsent(ctx, w.Bucket, ExecutionPrefix(r.Execution)+candidate+".json", body, "application/json")
		if err != nil {
			return "", fmt.Errorf("audit write %s: %w", candidate, err)
		}
		if created {
			name = candidate
			break
		}
	}
	if name == "" {
		return "", fmt.Errorf("%w: %s %s", ErrTooManyRecords, r.Execution, base)
	}
	if r.Source.Key != "" && indexes(r.Step) {
		entry, err := json.Marshal(indexEntry{Execution: r.Execution, Key: r.Source.Key})
		if err != nil {
			return "", err
		}
		if _, err := w.Objects.PutIfAbsent(ctx, w.Bucket, KeyPrefix(r.Source.Key)+Hash(r.Execution)+"-"+r.Step+".json", entry, "application/json"); err != nil {
			return "", fmt.Errorf("audit index %s: %w", name, err)
		}
	}
	return ExecutionPrefix(r.Execution) + name + ".json", nil
}

// indexes reports whether step's records index their execution by key: every
// execution's trail starts with validate or unpublish, and one that failed
// before either wrote a record ends with record-failure.
func indexes(step string) bool {
	return step == StepValidate || step == StepUnpublish || step == StepRecordFailure
}

// indexEntry is what the key index holds for one execution. Earlier versions
// stored a full copy of each record there instead; a record's "execution"
// field reads the same, so the reader takes both.
type indexEntry struct {
	Execution string `json:"execution"`
	Key       string `json:"key"`
}

// Reader reads records back from Bucket.
type Reader struct {
	Objects Objects
	Bucket  string
}

// ByExecution returns an execution's records in the order they started.
func (rd *Reader) ByExecution(ctx context.Context, execution string) ([]Record, error) {
	recs, err := rd.read(ctx, ExecutionPrefix(execution))
	if err != nil {
		return nil, err
	}
	sort.SliceStable(recs, func(i, j int) bool { return before(recs[i], recs[j]) })
	return recs, nil
}

// ByKey returns every record about an object key, oldest first, across
// executions: the key index names the executions, their records are read in full.
func (rd *Reader) ByKey(ctx context.Context, key string) ([]Record, error) {
	return rd.byKey(ctx, key, "")
}

// ByKeyStep is ByKey for one step's records: only those are read, which
// on S3 saves a round trip for each record of the other steps.
func (rd *Reader) ByKeyStep(ctx context.Context, key, step string) ([]Record, error) {
	return rd.byKey(ctx, key, step)
}

// byKey reads the records about key, of every step or only of step.
func (rd *Reader) byKey(ctx context.Context, key, step string) ([]Record, error) {
	entries, err := readAll[indexEntry](ctx, rd, KeyPrefix(key), nil)
	if err != nil {
		return nil, err
	}
	var keep func(name string) bool
	if step != "" {
		// A record's name is its step, its attempt and a suffix for a
		// duplicate (verify-2.json, verify-2.3.json); no step's name is
		// another's followed by "-" and a digit.
		keep = func(name string) bool {
			rest, ok := strings.CutPrefix(name, step+"-")
			return ok && rest != "" && rest[0] >= '0' && rest[0] <= '9'
		}
	}
	seen := map[string]bool{}
	var out []Record
	for _, e := range entries {
		if e.Execution == "" || seen[e.Execution] {
			continue
		}
		seen[e.Execution] = true
		recs, err := readAll[Record](ctx, rd, ExecutionPrefix(e.Execution), keep)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if (r.Source.Key == key || r.Source.Key == "") && (step == "" || r.Step == step) {
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out, nil
}

func (rd *Reader) read(ctx context.Context, prefix string) ([]Record, error) {
	return readAll[Record](ctx, rd, prefix, nil)
}

// readAll decodes every JSON object under prefix whose name (without the
// prefix and ".json") keep accepts, or all of them when keep is nil, in key
// order. The objects are read a few at a time: on S3 each read is a round
// trip of tens of milliseconds, and an execution has a record per step and
// attempt.
func readAll[T any](ctx context.Context, rd *Reader, prefix string, keep func(name string) bool) ([]T, error) {
	keys, err := rd.Objects.List(ctx, rd.Bucket, prefix)
	if err != nil {
		return nil, fmt.Errorf("audit list %s: %w", prefix, err)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool {
		name, ok := strings.CutSuffix(strings.TrimPrefix(k, prefix), ".json")
		return !ok || keep != nil && !keep(name)
	})
	out := make([]T, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, readAhead)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			body, err := rd.Objects.ReadAll(ctx, rd.Bucket, k)
			if err != nil {
				errs[i] = fmt.Errorf("audit read %s: %w", k, err)
				return
			}
			if err := json.Unmarshal(body, &out[i]); err != nil {
				errs[i] = fmt.Errorf("audit decode %s: %w", k, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readAhead is how many of a prefix's records readAll reads at once.
const readAhead = 8

// before orders records by start time; ties (a coarse clock) fall back to the
// pipeline's step order and then the attempt.
func before(a, b Record) bool {
	if !a.StartedAt.Equal(b.StartedAt) {
		return a.StartedAt.Before(b.StartedAt)
	}
	if a.Execution != b.Execution {
		return a.Execution < b.Execution
	}
	if sa, sb := stepOrder(a.Step), stepOrder(b.Step); sa != sb {
		return sa < sb
	}
	return a.Attempt < b.Attempt
}

func stepOrder(step string) int {
	for i, s := range []string{StepValidate, StepStrip, StepWrite, StepVerify, StepUnpublish, StepRecordFailure} {
		if s == step {
			return i
		}
	}
	return 99
}
