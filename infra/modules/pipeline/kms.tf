# The pipeline's own key: encrypts its log groups and the dead-letter queue. CloudWatch Logs may use it only for
# this account's log groups; EventBridge only when this module's rule delivers to the dead-letter queue.
resource "aws_kms_key" "pipeline" {
  description             = "${var.name_prefix}: pipeline log groups and EventBridge dead-letter queue"
  deletion_window_in_days = var.kms_deletion_window_days
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.pipeline_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "pipeline" {
  name          = "alias/${var.name_prefix}-pipeline"
  target_key_id = aws_kms_key.pipeline.key_id
}

data "aws_iam_policy_document" "pipeline_key" {
  statement {
    sid       = "AccountAdministersKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["${local.log_group_arn_pfx}:*"]
    }
  }

  statement {
    sid       = "EventBridgeDeliversToDeadLetterQueue"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.event_rule_arn]
    }
  }
}
