// Package events holds the EventBridge side of the pipeline as data: the rule's
// event pattern (rule-pattern.json, with ${input_bucket} for the upload bucket) and
// sample events (samples/*.json) in the exact shapes S3 and the reprocess command send.
//
// The rule matches S3's "Object Created" and "Object Deleted" events, and the same
// detail-types from the custom source "s3-image-sanitizer.reprocess", for keys ending
// in .jpg or .jpeg in any case, in the input bucket only (a rule that matched the
// output bucket would loop). A reprocess event carries the S3 detail shape with just
// bucket.name and object.key (version-id and etag optional); the pipeline then reads
// the key's current version.
//
// Keys in EventBridge events are not URL-encoded (classic S3 notifications are):
// "a b+c%20.jpg" arrives as exactly that, and the pipeline never decodes it.
package events
