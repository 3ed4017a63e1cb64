package asl

import (
	"context"
	"sync"
	"sync/atomic"
)

// defaultMapConcurrency is how many inline Map iterations run at once when
// MaxConcurrency is 0; AWS documents up to 40.
const defaultMapConcurrency = 40

func (fr *frame) mapState(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	items := eff
	env.input = eff
	if st.itemsPath != nil {
		v, found, f := st.itemsPath.get(env)
		if f != nil {
			return nil, f
		}
		if !found {
			return nil, env.fail(ErrRuntime, "Invalid path '%s': No results for path", st.itemsPath.src)
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		// As AWS (per LocalStack's recorded snapshots): a catchable
		// States.QueryEvaluationError, with an EvaluationFailed event.
		f := fail(ErrQueryEvaluationError, "Map state input must be an array but was: %s", typeName(items))
		ed := errorDetails(f)
		fr.rec("EvaluationFailed", &EvaluationFailedEventDetails{Error: ed.Error, Cause: ed.Cause, State: st.Name})
		return nil, f
	}
	intAt := func(p *path, what string) (int64, *Failure) {
		v, found, f := p.get(env)
		if f != nil {
			return 0, f
		}
		n, ok := integer(v)
		if !found || !ok || n < 0 {
			return 0, env.fail(ErrRuntime, "%s at %s must be a non-negative integer, got %s", what, p.src, toJSON(v))
		}
		return n, nil
	}
	maxConc := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		var f *Failure
		if maxConc, f = intAt(st.maxConcurrencyPath, "MaxConcurrency"); f != nil {
			return nil, f
		}
	}
	tolerance := -1.0 // failures allowed; negative: none tolerated (fail fast)
	count, percent := st.toleratedCount, st.toleratedPercent
	hasCount, hasPercent := st.hasToleratedCount, st.hasToleratedPercent
	if st.toleratedCountPath != nil {
		var f *Failure
		if count, f = intAt(st.toleratedCountPath, "ToleratedFailureCount"); f != nil {
			return nil, f
		}
		hasCount = true
	}
	if st.toleratedPercentPath != nil {
		v, found, f := st.toleratedPercentPath.get(env)
		if f != nil {
			return nil, f
		}
		p, ok := number(v)
		if !found || !ok || p < 0 || p > 100 {
			return nil, env.fail(ErrRuntime, "ToleratedFailurePercentage at %s must be a number between 0 and 100", st.toleratedPercentPath.src)
		}
		percent, hasPercent = p, true
	}
	if hasCount {
		tolerance = float64(count)
	}
	if hasPercent {
		if t := percent / 100 * float64(len(arr)); tolerance < 0 || t > tolerance {
			tolerance = t
		}
	}

	started := fr.rec("MapStateStarted", &MapStateStartedEventDetails{Length: int64(len(arr))})
	results := make([]any, len(arr))
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ff firstFailure
	var failures atomic.Int64
	iterate := func(i int) {
		child := fr.child(started)
		in := arr[i]
		if st.itemSelector != nil {
			ienv := &evalEnv{input: eff, x: fr.x, st: st, entered: env.entered, item: &mapItem{index: int64(i), value: arr[i]}, vars: fr.vars, rnd: env.rnd}
			var f *Failure
			if in, f = st.itemSelector.eval(ienv); f != nil {
				ff.set(f)
				cancel()
				return
			}
		}
		child.rec("MapIterationStarted", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
		out, f := child.run(mctx, st.iterator.start, in)
		switch {
		case f == nil:
			child.rec("MapIterationSucceeded", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			results[i] = out
		case f.interrupted:
			child.rec("MapIterationAborted", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			ff.set(f)
		default:
			child.rec("MapIterationFailed", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			n := failures.Add(1)
			if tolerance >= 0 && float64(n) <= tolerance {
				results[i] = f.output()
				return
			}
			if tolerance >= 0 {
				f = fail(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
			}
			ff.set(f)
			cancel()
		}
	}
	workers := len(arr)
	if maxConc == 0 {
		maxConc = defaultMapConcurrency
	}
	workers = min(workers, int(maxConc))
	var next atomic.Int64
	work := func() {
		for mctx.Err() == nil {
			i := int(next.Add(1)) - 1
			if i >= len(arr) {
				return
			}
			iterate(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	if workers > 0 {
		work()
	}
	wg.Wait()
	return fr.endGroup(ctx, env, st, raw, results, ff.f)
}
