// Package asl is an Amazon States Language engine that behaves like AWS Step
// Functions, in both query languages (JSONPath, and JSONata through package
// jsonata): it parses and validates a definition once, runs executions with
// AWS's data flow, intrinsic functions, error names, Retry and Catch, and
// records AWS-shaped execution history.
//
// Use:
//
//	sm, err := asl.Parse(definition)            // *ValidationError lists diagnostics
//	eng := asl.New(asl.Options{Tasks: &asl.LambdaTasks{Functions: handlers}})
//	x, err := eng.Start(ctx, sm, "name", input)  // runs in the background
//	d, err := x.Wait(ctx)                       // Describe once it ends
//	x.History()                                 // []HistoryEvent (GetExecutionHistory)
//	x.Stop("Error", "cause")                    // ABORTED
//	x.Redrive(ctx)                              // from the state that failed
//	eng.Resume(ctx, sm, checkpoint, history)    // after a crash (Observer persisted both)
//	eng.RedriveStored(ctx, sm, checkpoint, history) // redrive after a restart
//
// Tasks run through a host-supplied TaskRunner; LambdaTasks invokes
// aws-lambda-go handlers in process and names their errors exactly as the
// Lambda Go runtime does. Time (Now, Sleep, Timer) and randomness are
// injected, so tests never wait. A definition is never mutated by running it:
// per-run state such as retry counters and variables lives on the execution.
//
// Objects keep their members' order where a result can show it
// (States.JsonToString, States.Format, wildcard paths, task inputs; see
// order.go); history and execution output are written with sorted keys.
//
// JSONata states (QueryLanguage "JSONata", see jsonata.go) compile every
// "{% %}" expression at Parse, so a syntax error is a diagnostic; evaluation
// errors are States.QueryEvaluationError. Distributed Map is refused at Parse
// with a diagnostic naming the field.
package asl
