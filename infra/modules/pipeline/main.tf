data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  use_kms    = var.sse_algorithm == "aws:kms"

  bucket_arn = { for role, name in var.buckets : role => "arn:${local.partition}:s3:::${name}" }

  function_names = { for step in keys(var.functions) : step => "${var.name_prefix}-${step}" }

  state_machine_name = "${var.name_prefix}-sanitizer"
  event_rule_name    = "${var.name_prefix}-uploads"

  # ARNs built from names, so that policies can name a resource before it exists (and without dependency cycles).
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  event_rule_arn    = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.event_rule_name}"
  log_group_arn_pfx = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.pipeline.arn
  tags              = var.tags
}

resource "aws_lambda_function" "step" {
  for_each = local.function_names

  function_name    = each.value
  description      = "s3-image-sanitizer pipeline step: ${each.key}"
  role             = aws_iam_role.function[each.key].arn
  filename         = "${var.lambda_zip_dir}/${each.key}.zip"
  source_code_hash = filebase64sha256("${var.lambda_zip_dir}/${each.key}.zip")
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = var.functions[each.key].memory_size
  timeout          = var.functions[each.key].timeout

  environment {
    variables = {
      INPUT_BUCKET       = var.buckets.uploads
      OUTPUT_BUCKET      = var.buckets.sanitized
      STAGING_BUCKET     = var.buckets.staging
      AUDIT_BUCKET       = var.buckets.audit
      POLICY_ORIENTATION = var.policy_orientation
      MAX_BYTES          = tostring(var.max_bytes)
      MAX_PIXELS         = tostring(var.max_pixels)
      SSE                = var.sse_algorithm
      SSE_KMS_KEY_ID     = local.use_kms ? var.storage_kms_key_arn : ""
      # The Go collector keeps the heap under 90% of the function's memory
      # (a rotation's coefficients are most of it) instead of letting it grow
      # to twice what is live and the function die out of memory.
      GOMEMLIMIT = "${floor(var.functions[each.key].memory_size * 0.9)}MiB"
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tracing_config {
    mode = "Active"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}
