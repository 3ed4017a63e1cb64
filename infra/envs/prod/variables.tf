variable "region" {
  description = "AWS Region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, used in resource names and tags."
  type        = string
  default     = "prod"
}

variable "name_prefix" {
  description = "Prefix of every resource name. Bucket names also carry the account id and Region, so they stay unique."
  type        = string
  default     = "s3is-prod"
}

variable "state_machine_type" {
  description = "STANDARD (console history and redrive) or EXPRESS (cheaper at volume; history from logs and audit records)."
  type        = string
  default     = "STANDARD"
}

variable "sse_algorithm" {
  description = "Default encryption of the buckets: \"aws:kms\" (customer managed key, S3 Bucket Keys) or \"AES256\" (SSE-S3)."
  type        = string
  default     = "aws:kms"
}

variable "access_logging" {
  description = "Send S3 server access logs of the buckets to a log bucket."
  type        = bool
  default     = true
}

variable "alarm_emails" {
  description = "Email addresses subscribed to failure notifications and alarms."
  type        = list(string)
  default     = []
}

variable "alarm_sqs_queue_arns" {
  description = "SQS queues subscribed to failure notifications and alarms."
  type        = list(string)
  default     = []
}
