# One execution role per function, each allowed exactly what its step does (see CONTRACTS "S3 access per step"):
#   validate        reads A (s3:ListBucket on A so a key deleted before processing reads 404, not 403)
#   strip           reads A (and lists it, for the same 404), writes staging
#   write           copies staging -> B server-side (CopyObject: s3:GetObject[Version] on the staged object,
#                   s3:PutObject on B, the storage key's Decrypt and GenerateDataKey through S3), heads B;
#                   lists staging so a staged object the lifecycle rule expired reads 404, not 403
#   verify          reads B, deletes B versions (rollback of a bad publish)
#   record-failure  nothing beyond the common part
#   unpublish       heads A (404 needs s3:ListBucket), deletes from B
# and in common: write its own audit records, write its own log group, send X-Ray traces, use the storage key through S3.
# No role has any write on bucket A; bucket A's policy also denies them explicitly (storage module).

locals {
  function_s3_statements = {
    validate = [
      { sid = "ReadUploads", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${local.bucket_arn.uploads}/*"] },
      { sid = "ListUploadsForNotFound", actions = ["s3:ListBucket"], resources = [local.bucket_arn.uploads] },
    ]
    strip = [
      { sid = "ReadUploads", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${local.bucket_arn.uploads}/*"] },
      { sid = "ListUploadsForNotFound", actions = ["s3:ListBucket"], resources = [local.bucket_arn.uploads] },
      { sid = "WriteStaging", actions = ["s3:PutObject"], resources = ["${local.bucket_arn.staging}/*"] },
    ]
    write = [
      { sid = "ReadStaging", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${local.bucket_arn.staging}/*"] },
      { sid = "ListStagingForNotFound", actions = ["s3:ListBucket"], resources = [local.bucket_arn.staging] },
      { sid = "HeadAndWriteSanitized", actions = ["s3:GetObject", "s3:PutObject"], resources = ["${local.bucket_arn.sanitized}/*"] },
      { sid = "ListSanitizedForNotFound", actions = ["s3:ListBucket"], resources = [local.bucket_arn.sanitized] },
    ]
    verify = [
      { sid = "ReadSanitized", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${local.bucket_arn.sanitized}/*"] },
      { sid = "RollBackSanitizedVersion", actions = ["s3:DeleteObjectVersion"], resources = ["${local.bucket_arn.sanitized}/*"] },
    ]
    record-failure = []
    unpublish = [
      { sid = "HeadUploads", actions = ["s3:GetObject"], resources = ["${local.bucket_arn.uploads}/*"] },
      { sid = "ListUploadsForNotFound", actions = ["s3:ListBucket"], resources = [local.bucket_arn.uploads] },
      { sid = "DeleteSanitized", actions = ["s3:DeleteObject"], resources = ["${local.bucket_arn.sanitized}/*"] },
    ]
  }

  # Each step writes only its own audit records (internal/audit): executions/<hash>/<step>-<attempt>.json. The
  # steps an execution's trail starts or ends with also write its key-index entry keys/<hash>/<hash>-<step>.json.
  # Hashes are hex, so "<step>-" and "-<step>.json" cannot match another step's objects.
  audit_object_arns = {
    for step in keys(local.function_names) : step => concat(
      ["${local.bucket_arn.audit}/executions/*/${step}-*"],
      contains(["validate", "unpublish", "record-failure"], step) ? ["${local.bucket_arn.audit}/keys/*-${step}.json"] : [],
    )
  }
}

# The trust AWS documents for execution roles. Unlike Step Functions and EventBridge (see their roles), Lambda
# does not document aws:SourceAccount/aws:SourceArn on this call, and a condition on an absent key would keep
# every function from starting. Attaching these roles needs iam:PassRole, which no user or role here holds.
data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name                 = "${each.value}-lambda"
  description          = "Execution role of the ${each.key} step"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "function" {
  for_each = local.function_names

  dynamic "statement" {
    for_each = local.function_s3_statements[each.key]

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "WriteAuditRecords"
    actions   = ["s3:PutObject"]
    resources = local.audit_object_arns[each.key]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  # X-Ray accepts trace data only with Resource "*" (it has no resource-level permissions).
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = local.use_kms ? [1] : []

    content {
      sid       = "UseStorageKeyThroughS3"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.storage_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name   = "${each.key}-step"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
