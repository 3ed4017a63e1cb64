// Package faults injects the failures a pipeline meets on AWS into the local
// stack, so tests and load runs can prove that nothing is lost or leaked when
// they happen: S3 answering 500 InternalError, 503 SlowDown or resetting the
// connection, S3 latency, Lambda handlers that panic, the Lambda service
// throttling invocations (Lambda.TooManyRequestsException), and EventBridge
// delivering events twice and out of order.
//
// Everything is off in a zero Config. Decisions come from one pseudo-random
// stream seeded by Config.Seed, so a run with the same seed and the same order
// of requests injects the same faults; concurrent requests may draw in a
// different order from run to run.
//
//	inj := faults.New(faults.Config{S3ErrorRate: 0.1, LambdaPanicRate: 0.02, Seed: 7})
//	handler = inj.S3(handler)                    // around the S3 API
//	h = inj.Handler(name, h)                     // around each Lambda handler
//	tasks = inj.Tasks(tasks)                     // throttling before the invocation
//	targets = inj.Targets(targets)               // event storms
package faults
