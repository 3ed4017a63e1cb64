// Package eventpattern implements the Amazon EventBridge event pattern language:
// exact values, null and empty strings, prefix, suffix, equals-ignore-case,
// wildcard, anything-but (values, lists, prefix, suffix, equals-ignore-case,
// wildcard), numeric ranges, exists, cidr, $or at any level, nested objects and
// arrays in events.
//
// Compile validates a pattern once and reports problems as *InvalidPatternError
// with the reasons EventBridge (the Event Ruler library behind it) gives, so the
// local stack can answer PutRule and TestEventPattern as AWS does. Match runs a
// compiled pattern against an event without mutating it.
//
// Semantics follow the EventBridge user guide: every field in the pattern must
// match (and), any value in a field's array may match (or); when the event value
// is an array the field matches if any element matches; objects inside event
// arrays are matched element by element, so fields from different elements are
// never combined; exists only applies to leaves (an object is "absent" for
// exists:false).
package eventpattern
