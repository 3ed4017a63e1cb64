# Production: larger functions for big photos, a year of logs, COMPLIANCE-mode audit retention, access
# logging on, and buckets that `terraform destroy` refuses to empty.

locals {
  repo_root = "${path.root}/../../.."
  tags      = { Environment = var.environment }
}

module "storage" {
  source = "../../modules/storage"

  name_prefix                        = var.name_prefix
  sse_algorithm                      = var.sse_algorithm
  kms_deletion_window_days           = 30
  staging_expiration_days            = 1
  noncurrent_version_expiration_days = 90
  audit_retention_mode               = "COMPLIANCE"
  audit_retention_days               = 365
  access_logging                     = var.access_logging
  access_log_expiration_days         = 365
  deny_write_principal_arns          = module.pipeline.role_arns
  force_destroy                      = false
  tags                               = local.tags
}

module "pipeline" {
  source = "../../modules/pipeline"

  name_prefix                 = var.name_prefix
  buckets                     = module.storage.bucket_names
  sse_algorithm               = module.storage.sse_algorithm
  storage_kms_key_arn         = module.storage.kms_key_arn
  failure_topic_arn           = module.notifications.topic_arn
  failure_topic_kms_key_arn   = module.notifications.topic_kms_key_arn
  lambda_zip_dir              = "${local.repo_root}/dist"
  state_machine_template_path = "${local.repo_root}/statemachine/sanitizer.asl.json"
  event_pattern_path          = "${local.repo_root}/events/rule-pattern.json"
  state_machine_type          = var.state_machine_type
  log_retention_days          = 365
  kms_deletion_window_days    = 30
  event_max_age_seconds       = 86400
  event_max_retry_attempts    = 185

  # Validate decodes and strip rotates the whole image, verify reads it back; 1769 MB is one full vCPU.
  functions = {
    validate       = { memory_size = 1769, timeout = 300 }
    strip          = { memory_size = 1769, timeout = 300 }
    write          = { memory_size = 512, timeout = 120 }
    verify         = { memory_size = 1769, timeout = 300 }
    record-failure = { memory_size = 256, timeout = 30 }
    unpublish      = { memory_size = 256, timeout = 30 }
  }

  tags = local.tags
}

module "notifications" {
  source = "../../modules/notifications"

  name_prefix              = var.name_prefix
  publisher_role_arn       = module.pipeline.state_machine_role_arn
  state_machine_arn        = module.pipeline.state_machine_arn
  dead_letter_queue_name   = module.pipeline.dead_letter_queue_name
  email_subscriptions      = var.alarm_emails
  sqs_subscription_arns    = var.alarm_sqs_queue_arns
  alarm_period_seconds     = 60
  kms_deletion_window_days = 30
  tags                     = local.tags
}

module "access" {
  source = "../../modules/access"

  name_prefix          = var.name_prefix
  uploads_bucket_arn   = module.storage.bucket_arns["uploads"]
  sanitized_bucket_arn = module.storage.bucket_arns["sanitized"]
  sse_algorithm        = module.storage.sse_algorithm
  kms_key_arn          = module.storage.kms_key_arn
  tags                 = local.tags
}
