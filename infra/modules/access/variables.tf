variable "name_prefix" {
  description = "Prefix of the user names, e.g. \"s3is-dev\"."
  type        = string
}

variable "uploads_bucket_arn" {
  description = "ARN of bucket A (uploads): user A reads, writes and lists its objects."
  type        = string
}

variable "sanitized_bucket_arn" {
  description = "ARN of bucket B (sanitized): user B reads and lists its objects."
  type        = string
}

variable "sse_algorithm" {
  description = "The buckets' default encryption, \"aws:kms\" or \"AES256\". With aws:kms the users may use kms_key_arn through S3."
  type        = string

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be \"aws:kms\" or \"AES256\"."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the buckets when sse_algorithm is aws:kms; null otherwise."
  type        = string
  default     = null
}

variable "user_names" {
  description = "Names of the two IAM users. Null names become <name_prefix>-uploader and <name_prefix>-reader."
  type = object({
    uploader = optional(string)
    reader   = optional(string)
  })
  default = {}
}

variable "path" {
  description = "IAM path of the users."
  type        = string
  default     = "/s3-image-sanitizer/"
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
