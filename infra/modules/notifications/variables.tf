variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"s3is-dev\"."
  type        = string
}

variable "publisher_role_arn" {
  description = "ARN of the only IAM principal allowed to publish to the topic: the state machine's role."
  type        = string
}

variable "state_machine_arn" {
  description = "ARN of the state machine whose failed, timed-out and throttled executions raise alarms."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the EventBridge dead-letter queue whose depth raises an alarm."
  type        = string
}

variable "email_subscriptions" {
  description = "Email addresses subscribed to failure notifications and alarms (each must confirm by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_subscriptions must hold email addresses."
  }
}

variable "sqs_subscription_arns" {
  description = "ARNs of SQS queues subscribed to failure notifications and alarms (their queue policy must allow this topic, their KMS key, if any, SNS)."
  type        = list(string)
  default     = []
}

variable "sqs_raw_message_delivery" {
  description = "Deliver the published message itself to SQS subscribers, without the SNS envelope."
  type        = bool
  default     = true
}

variable "alarm_period_seconds" {
  description = "Period over which each alarm sums its metric, in seconds."
  type        = number
  default     = 300
}

variable "alarm_failed_threshold" {
  description = "Failed executions within one period that raise the failed-executions alarm."
  type        = number
  default     = 1
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the topic's KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
