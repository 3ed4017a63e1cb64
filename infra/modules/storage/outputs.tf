output "bucket_names" {
  description = "Bucket names by role: uploads (A), sanitized (B), staging, audit."
  value       = { for role, bucket in aws_s3_bucket.this : role => bucket.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by role: uploads (A), sanitized (B), staging, audit."
  value       = { for role, bucket in aws_s3_bucket.this : role => bucket.arn }
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the buckets, or null when sse_algorithm is AES256."
  value       = local.use_kms ? aws_kms_key.storage[0].arn : null
}

output "sse_algorithm" {
  description = "The buckets' default encryption, as the Lambdas' SSE environment variable expects it."
  value       = var.sse_algorithm
}

output "log_bucket_name" {
  description = "Name of the access log bucket, or null when access_logging is off."
  value       = var.access_logging ? aws_s3_bucket.logs[0].id : null
}
