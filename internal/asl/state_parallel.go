package asl

import (
	"context"
	"sync"
)

// firstFailure keeps the failure that ended a group of branches or
// iterations: the first real one, not the interruptions it caused.
type firstFailure struct {
	mu sync.Mutex
	f  *Failure
}

func (ff *firstFailure) set(f *Failure) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.f == nil || ff.f.interrupted && !f.interrupted {
		ff.f = f
	}
}

// child starts a branch or iteration. It shares the enclosing variables:
// assignments copy them (varScope.with), so they never leak outwards.
func (fr *frame) child(last int64) *frame {
	return &frame{x: fr.x, vars: fr.vars, last: last}
}

func (fr *frame) parallel(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	in := eff
	if st.parameters != nil {
		env.input = eff
		var f *Failure
		if in, f = st.parameters.eval(env); f != nil {
			return nil, f
		}
	}
	started := fr.rec("ParallelStateStarted", nil)
	results := make([]any, len(st.branches))
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ff firstFailure
	var wg sync.WaitGroup
	runBranch := func(i int) {
		out, f := fr.child(started).run(bctx, st.branches[i].start, in)
		if f != nil {
			ff.set(f)
			cancel()
			return
		}
		results[i] = out
	}
	for i := 1; i < len(st.branches); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runBranch(i)
		}()
	}
	runBranch(0)
	wg.Wait()
	return fr.endGroup(ctx, env, st, raw, results, ff.f)
}

// endGroup ends a Parallel or Map state once its branches or iterations are
// done: Aborted, Failed or Succeeded, then ResultSelector and the usual exit.
func (fr *frame) endGroup(ctx context.Context, env *evalEnv, st *State, raw any, results []any, f *Failure) (any, *Failure) {
	if f != nil {
		if f.interrupted || ctx.Err() != nil {
			fr.rec(st.Type+"StateAborted", nil)
			return nil, interrupted()
		}
		fr.rec(st.Type+"StateFailed", nil)
		return nil, f
	}
	fr.rec(st.Type+"StateSucceeded", nil)
	var result any = results
	if st.resultSelector != nil {
		env.input = results
		if result, f = st.resultSelector.eval(env); f != nil {
			return nil, f
		}
	}
	return fr.exit(env, st, raw, result, results, nil)
}
