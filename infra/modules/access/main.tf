# Two IAM users and nothing else: no access keys (issue them out of band, see the README), no groups, no
# wildcard actions.
#   user A (uploader): read, write and delete objects in bucket A, list bucket A.
#   user B (reader):   read objects in bucket B, list bucket B.

data "aws_region" "current" {}

locals {
  region   = data.aws_region.current.region
  use_kms  = var.sse_algorithm == "aws:kms"
  uploader = coalesce(var.user_names.uploader, "${var.name_prefix}-uploader")
  reader   = coalesce(var.user_names.reader, "${var.name_prefix}-reader")
}

resource "aws_iam_user" "uploader" {
  name = local.uploader
  path = var.path
  tags = merge(var.tags, { Role = "uploader" })
}

resource "aws_iam_user" "reader" {
  name = local.reader
  path = var.path
  tags = merge(var.tags, { Role = "reader" })
}

data "aws_iam_policy_document" "uploader" {
  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [var.uploads_bucket_arn]
  }

  statement {
    sid = "ReadWriteUploads"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${var.uploads_bucket_arn}/*"]
  }

  dynamic "statement" {
    for_each = local.use_kms ? [1] : []

    content {
      sid       = "UseBucketKeyThroughS3"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "reader" {
  statement {
    sid       = "ListSanitized"
    actions   = ["s3:ListBucket"]
    resources = [var.sanitized_bucket_arn]
  }

  statement {
    sid       = "ReadSanitized"
    actions   = ["s3:GetObject"]
    resources = ["${var.sanitized_bucket_arn}/*"]
  }

  dynamic "statement" {
    for_each = local.use_kms ? [1] : []

    content {
      sid       = "DecryptThroughS3"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_user_policy" "uploader" {
  name   = "uploads-read-write"
  user   = aws_iam_user.uploader.name
  policy = data.aws_iam_policy_document.uploader.json
}

resource "aws_iam_user_policy" "reader" {
  name   = "sanitized-read"
  user   = aws_iam_user.reader.name
  policy = data.aws_iam_policy_document.reader.json
}
