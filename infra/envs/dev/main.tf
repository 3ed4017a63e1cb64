# Development: small functions, short log retention, a short GOVERNANCE audit retention, and buckets that
# `terraform destroy` may empty.

locals {
  repo_root = "${path.root}/../../.."
  tags      = { Environment = var.environment }
}

module "storage" {
  source = "../../modules/storage"

  name_prefix                        = var.name_prefix
  sse_algorithm                      = var.sse_algorithm
  kms_deletion_window_days           = 7
  staging_expiration_days            = 1
  noncurrent_version_expiration_days = 7
  audit_retention_mode               = "GOVERNANCE"
  audit_retention_days               = 7
  access_logging                     = var.access_logging
  access_log_expiration_days         = 14
  deny_write_principal_arns          = module.pipeline.role_arns
  force_destroy                      = true
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
  log_retention_days          = 14
  kms_deletion_window_days    = 7
  event_max_age_seconds       = 3600
  event_max_retry_attempts    = 20

  functions = {
    validate       = { memory_size = 512, timeout = 60 }
    strip          = { memory_size = 512, timeout = 60 }
    write          = { memory_size = 256, timeout = 60 }
    verify         = { memory_size = 512, timeout = 60 }
    record-failure = { memory_size = 128, timeout = 30 }
    unpublish      = { memory_size = 128, timeout = 30 }
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
  kms_deletion_window_days = 7
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
