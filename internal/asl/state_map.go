package asl

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// defaultMapConcurrency is how many inline Map iterations run at once when
// MaxConcurrency is 0; AWS documents up to 40.
const defaultMapConcurrency = 40

func (fr *frame) mapState(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	items := eff
	env.input = eff
	if st.items != nil {
		var f *Failure
		if items, f = st.items.eval(env); f != nil {
			return nil, f
		}
	}
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
	if !ok && st.jsonata {
		return nil, env.queryFail("Items", "The Items of a Map state must be an array but was: %s", typeName(items))
	}
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
	if st.maxConcurrencyExpr != nil {
		var f *Failure
		if maxConc, f = intExpr(env, st.maxConcurrencyExpr, 0, math.MaxInt32); f != nil {
			return nil, f
		}
	}
	if st.maxConcurrencyPath != nil {
		var f *Failure
		if maxConc, f = intAt(st.maxConcurrencyPath, "MaxConcurrency"); f != nil {
			return nil, f
		}
	}
	started := fr.rec("MapStateStarted", &MapStateStartedEventDetails{Length: int64(len(arr))})
	results := make([]any, len(arr))
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ff firstFailure
	iterate := func(i int) {
		child := fr.child(started)
		in := arr[i]
		if st.itemSelector != nil {
			ienv := &evalEnv{input: eff, x: fr.x, st: st, entered: env.entered, retryCount: env.retryCount, enteredID: env.enteredID, item: &mapItem{index: int64(i), value: arr[i]}, vars: fr.vars, rnd: env.rnd}
			if st.jsonata {
				ienv.states = &statesVar{ctx: mctx, input: raw}
			}
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
			// Inline mode: any failed iteration fails the Map.
			child.rec("MapIterationFailed", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
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
