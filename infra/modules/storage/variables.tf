variable "name_prefix" {
  description = "Prefix of every bucket name and of the KMS key alias, e.g. \"s3is-dev\". Lower case letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-22 characters of lower case letters, digits and hyphens."
  }
}

variable "bucket_names" {
  description = "Explicit bucket names. Any name left null becomes <name_prefix>-<role>-<account id>-<region>."
  type = object({
    uploads   = optional(string)
    sanitized = optional(string)
    staging   = optional(string)
    audit     = optional(string)
    logs      = optional(string)
  })
  default = {}
}

variable "sse_algorithm" {
  description = "Default encryption of every bucket: \"aws:kms\" (a customer managed key created here, with S3 Bucket Keys) or \"AES256\" (SSE-S3, no KMS charges)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be \"aws:kms\" or \"AES256\"."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the storage KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "staging_expiration_days" {
  description = "Days after which staged (intermediate) objects expire."
  type        = number
  default     = 1

  validation {
    condition     = var.staging_expiration_days >= 1
    error_message = "staging_expiration_days must be at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted version stays in the uploads and sanitized buckets before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "audit_retention_mode" {
  description = "Object Lock mode of the audit bucket's default retention: GOVERNANCE (bypassable with s3:BypassGovernanceRetention) or COMPLIANCE (nobody, not even root, can shorten it)."
  type        = string
  default     = "GOVERNANCE"

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.audit_retention_mode)
    error_message = "audit_retention_mode must be GOVERNANCE or COMPLIANCE."
  }
}

variable "audit_retention_days" {
  description = "Object Lock default retention of every audit record, in days."
  type        = number
  default     = 365

  validation {
    condition     = var.audit_retention_days >= 1
    error_message = "audit_retention_days must be at least 1."
  }
}

variable "access_logging" {
  description = "Create a log bucket (SSE-S3, as S3 server access logging requires) and send server access logs of the four buckets to it."
  type        = bool
  default     = false
}

variable "access_log_expiration_days" {
  description = "Days access log objects are kept in the log bucket."
  type        = number
  default     = 90
}

variable "deny_write_principal_arns" {
  description = "IAM principals (the pipeline's roles) that bucket A's policy explicitly denies any write, delete or configuration change, whatever their own policies say."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets (never for the audit bucket, whose Object Lock forbids it anyway). Use only in throwaway environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
