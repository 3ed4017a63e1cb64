variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"s3is-dev\"."
  type        = string
}

variable "buckets" {
  description = "Bucket names by role, as the storage module outputs them: uploads (A), sanitized (B), staging, audit."
  type = object({
    uploads   = string
    sanitized = string
    staging   = string
    audit     = string
  })
}

variable "sse_algorithm" {
  description = "Encryption the Lambdas request on their writes: \"aws:kms\" or \"AES256\" (the buckets' default encryption)."
  type        = string

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be \"aws:kms\" or \"AES256\"."
  }
}

variable "storage_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the buckets (null with SSE-S3). The Lambdas may use it only through S3."
  type        = string
  default     = null
}

variable "failure_topic_arn" {
  description = "ARN of the SNS topic the state machine publishes failures to."
  type        = string
}

variable "failure_topic_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the failure topic; the state machine may use it only through SNS."
  type        = string
}

variable "lambda_zip_dir" {
  description = "Directory holding <function>.zip for each function, as `make package` writes them (dist/)."
  type        = string
}

variable "state_machine_template_path" {
  description = "Path of statemachine/sanitizer.asl.json, rendered with templatefile() and the function and topic ARNs."
  type        = string
}

variable "event_pattern_path" {
  description = "Path of events/rule-pattern.json, rendered with templatefile() and the uploads bucket name."
  type        = string
}

variable "functions" {
  description = "Sizing of each Lambda function: memory in MB and timeout in seconds. Keys are the six pipeline steps."
  type = map(object({
    memory_size = number
    timeout     = number
  }))
  default = {
    validate       = { memory_size = 512, timeout = 60 }
    strip          = { memory_size = 512, timeout = 120 }
    write          = { memory_size = 256, timeout = 60 }
    verify         = { memory_size = 512, timeout = 120 }
    record-failure = { memory_size = 128, timeout = 30 }
    unpublish      = { memory_size = 128, timeout = 30 }
  }

  validation {
    condition     = length(setsubtract(["validate", "strip", "write", "verify", "record-failure", "unpublish"], keys(var.functions))) == 0 && length(keys(var.functions)) == 6
    error_message = "functions must size exactly validate, strip, write, verify, record-failure and unpublish."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.memory_size >= 128 && f.memory_size <= 10240 && f.timeout >= 1 && f.timeout <= 900])
    error_message = "memory_size must be 128-10240 MB and timeout 1-900 s."
  }
}

variable "policy_orientation" {
  description = "Orientation policy of the sanitizer (POLICY_ORIENTATION): transform (rotate losslessly, no Exif; keep where impossible), keep or drop."
  type        = string
  default     = "transform"

  validation {
    condition     = contains(["keep", "drop", "transform"], var.policy_orientation)
    error_message = "policy_orientation must be keep, drop or transform."
  }
}

variable "max_bytes" {
  description = "Largest upload accepted, in bytes (MAX_BYTES)."
  type        = number
  default     = 268435456
}

variable "max_pixels" {
  description = "Largest image accepted, in pixels (MAX_PIXELS); guards against decompression bombs."
  type        = number
  default     = 100000000
}

variable "state_machine_type" {
  description = "STANDARD (exactly-once steps, console history for 90 days, redrive) or EXPRESS (about 30x cheaper at volume; history from CloudWatch Logs and the audit bucket, replay instead of redrive)."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.state_machine_type)
    error_message = "state_machine_type must be STANDARD or EXPRESS."
  }
}

variable "state_machine_log_level" {
  description = "Step Functions log level: ALL, ERROR or FATAL. EXPRESS machines have no other history than these logs, so keep ALL there."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR or FATAL."
  }
}

variable "log_execution_data" {
  description = "Include execution input and output (bucket, key, version; never image bytes) in the state machine's logs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of every log group of the pipeline, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "event_max_age_seconds" {
  description = "How long EventBridge keeps retrying to start an execution for an event (60-86400 s) before it goes to the dead-letter queue."
  type        = number
  default     = 86400

  validation {
    condition     = var.event_max_age_seconds >= 60 && var.event_max_age_seconds <= 86400
    error_message = "event_max_age_seconds must be between 60 and 86400."
  }
}

variable "event_max_retry_attempts" {
  description = "How many times EventBridge retries StartExecution for an event (0-185) before it goes to the dead-letter queue."
  type        = number
  default     = 185

  validation {
    condition     = var.event_max_retry_attempts >= 0 && var.event_max_retry_attempts <= 185
    error_message = "event_max_retry_attempts must be between 0 and 185."
  }
}

variable "dlq_retention_seconds" {
  description = "How long undeliverable events stay in the dead-letter queue (60-1209600 s)."
  type        = number
  default     = 1209600
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the pipeline's KMS key (logs, dead-letter queue) is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
