# Uploads to bucket A start an execution. The pattern lives in one place, events/rule-pattern.json, and the
# local stack's matcher reads the same file.
resource "aws_cloudwatch_event_rule" "uploads" {
  name        = local.event_rule_name
  description = "Objects created or deleted in ${var.buckets.uploads} start the sanitizer"
  state       = "ENABLED"

  event_pattern = templatefile(var.event_pattern_path, {
    input_bucket = var.buckets.uploads
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "state_machine" {
  rule      = aws_cloudwatch_event_rule.uploads.name
  target_id = "sanitizer"
  arn       = aws_sfn_state_machine.sanitizer.arn
  role_arn  = aws_iam_role.events.arn

  retry_policy {
    maximum_event_age_in_seconds = var.event_max_age_seconds
    maximum_retry_attempts       = var.event_max_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.event_rule_arn]
    }
  }
}

resource "aws_iam_role" "events" {
  name                 = "${local.event_rule_name}-events"
  description          = "Lets the ${local.event_rule_name} rule start executions of ${local.state_machine_name}, nothing else"
  assume_role_policy   = data.aws_iam_policy_document.events_assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "StartSanitizerExecutions"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.sanitizer.arn]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "start-sanitizer"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

# Events EventBridge could not deliver after its retries land here instead of being dropped.
resource "aws_sqs_queue" "dlq" {
  name                              = "${local.event_rule_name}-dlq"
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = aws_kms_key.pipeline.arn
  kms_data_key_reuse_period_seconds = 3600
  tags                              = var.tags
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "EventBridgeRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.uploads.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
