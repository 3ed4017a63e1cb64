data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.region
  partition   = data.aws_partition.current.partition
  topic_name  = "${var.name_prefix}-failures"
  topic_arn   = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.topic_name}"
  alarm_arn_p = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"
}

resource "aws_kms_key" "topic" {
  description             = "${var.name_prefix}: failure notifications topic"
  deletion_window_in_days = var.kms_deletion_window_days
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.topic_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "topic" {
  name          = "alias/${var.name_prefix}-notifications"
  target_key_id = aws_kms_key.topic.key_id
}

data "aws_iam_policy_document" "topic_key" {
  statement {
    sid       = "AccountAdministersKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch alarms publish to an encrypted topic only when the key lets them.
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic" "failures" {
  name              = local.topic_name
  display_name      = "s3-image-sanitizer failures"
  kms_master_key_id = aws_kms_key.topic.arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "failures" {
  arn    = aws_sns_topic.failures.arn
  policy = data.aws_iam_policy_document.topic.json
}

# Publishing is for the state machine (failure notifications) and this account's alarms only; the explicit deny
# holds even against a principal whose own policies allow sns:Publish on "*".
data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "StateMachinePublishes"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "AWS"
      identifiers = [var.publisher_role_arn]
    }
  }

  statement {
    sid       = "AlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_p]
    }
  }

  statement {
    sid       = "OnlyStateMachineAndAlarmsPublish"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = [var.publisher_role_arn]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalServiceName"
      values   = ["cloudwatch.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:*"]
    resources = [local.topic_arn]

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

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.email_subscriptions)

  topic_arn = aws_sns_topic.failures.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "sqs" {
  for_each = toset(var.sqs_subscription_arns)

  topic_arn            = aws_sns_topic.failures.arn
  protocol             = "sqs"
  endpoint             = each.value
  raw_message_delivery = var.sqs_raw_message_delivery
}
