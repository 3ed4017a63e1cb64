output "uploads_bucket" {
  description = "Bucket A: user A uploads here."
  value       = module.storage.bucket_names["uploads"]
}

output "sanitized_bucket" {
  description = "Bucket B: sanitized copies, read by user B and the website."
  value       = module.storage.bucket_names["sanitized"]
}

output "staging_bucket" {
  description = "Intermediate bucket; objects expire after a day."
  value       = module.storage.bucket_names["staging"]
}

output "audit_bucket" {
  description = "Audit records (Object Lock): `sanitizer audit --bucket` reads them."
  value       = module.storage.bucket_names["audit"]
}

output "state_machine_arn" {
  description = "The sanitizer state machine: `sanitizer executions|replay|redrive --state-machine`."
  value       = module.pipeline.state_machine_arn
}

output "failure_topic_arn" {
  description = "SNS topic of failure notifications and alarms."
  value       = module.notifications.topic_arn
}

output "dead_letter_queue_url" {
  description = "SQS queue of events EventBridge could not deliver."
  value       = module.pipeline.dead_letter_queue_url
}

output "uploader_user_name" {
  description = "User A (uploads)."
  value       = module.access.uploader_user_name
}

output "reader_user_name" {
  description = "User B (reads sanitized images)."
  value       = module.access.reader_user_name
}

output "state_machine_log_group" {
  description = "CloudWatch Logs group of the state machine: the execution history when it is EXPRESS."
  value       = module.pipeline.state_machine_log_group
}
