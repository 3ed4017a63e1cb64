data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  use_kms    = var.sse_algorithm == "aws:kms"

  # The four buckets of the system, by role. Every one gets the same protections below.
  roles = ["uploads", "sanitized", "staging", "audit"]

  bucket_names = {
    for role in concat(local.roles, ["logs"]) :
    role => coalesce(var.bucket_names[role], "${var.name_prefix}-${role}-${local.account_id}-${local.region}")
  }

  buckets = { for role in local.roles : role => local.bucket_names[role] }

  # Object writes and configuration changes that bucket A denies to the pipeline's roles.
  uploads_write_actions = [
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:RestoreObject",
    "s3:AbortMultipartUpload",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketNotification",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
  ]
}

resource "aws_kms_key" "storage" {
  count = local.use_kms ? 1 : 0

  description             = "${var.name_prefix}: default encryption of the uploads, sanitized, staging and audit buckets"
  deletion_window_in_days = var.kms_deletion_window_days
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.storage_key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "storage" {
  count = local.use_kms ? 1 : 0

  name          = "alias/${var.name_prefix}-storage"
  target_key_id = aws_kms_key.storage[0].key_id
}

# The account administers the key and grants its use through IAM policies: each pipeline role and user gets
# kms:Decrypt / kms:GenerateDataKey on this key only through S3 (kms:ViaService).
data "aws_iam_policy_document" "storage_key" {
  count = local.use_kms ? 1 : 0

  statement {
    sid       = "AccountAdministersKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

# S3 server access logging is an option (var.access_logging, on in prod): tfsec cannot see the conditional
# aws_s3_bucket_logging when it is off. Without it, CloudTrail S3 data events and the pipeline's audit records
# remain the trail of who touched what.
#tfsec:ignore:aws-s3-enable-bucket-logging
resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket              = each.value
  force_destroy       = each.key == "audit" ? false : var.force_destroy
  object_lock_enabled = each.key == "audit"
  tags                = merge(var.tags, { Role = each.key })
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_algorithm
      kms_master_key_id = local.use_kms ? aws_kms_key.storage[0].arn : null
    }
    bucket_key_enabled = local.use_kms
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  # A policy applied before the public access block could be judged public; apply it after.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      "arn:${local.partition}:s3:::${each.value}",
      "arn:${local.partition}:s3:::${each.value}/*",
    ]

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

  # Bucket A is written by its users only: the pipeline can never change an upload, whatever its roles allow.
  dynamic "statement" {
    for_each = each.key == "uploads" && length(var.deny_write_principal_arns) > 0 ? [1] : []

    content {
      sid     = "DenyPipelineWrites"
      effect  = "Deny"
      actions = local.uploads_write_actions
      resources = [
        "arn:${local.partition}:s3:::${each.value}",
        "arn:${local.partition}:s3:::${each.value}/*",
      ]

      principals {
        type        = "AWS"
        identifiers = var.deny_write_principal_arns
      }
    }
  }
}

# Staged objects are intermediate: they expire after staging_expiration_days, versions included.
resource "aws_s3_bucket_lifecycle_configuration" "staging" {
  bucket = aws_s3_bucket.this["staging"].id

  rule {
    id     = "expire-staged-objects"
    status = "Enabled"

    filter {}

    expiration {
      days = var.staging_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.staging_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "versions" {
  for_each = toset(["uploads", "sanitized"])

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Audit records are immutable: every version is retained by default for audit_retention_days.
resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.this["audit"].id

  rule {
    default_retention {
      mode = var.audit_retention_mode
      days = var.audit_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Every event of bucket A goes to EventBridge; the rule in the pipeline module picks what starts an execution.
resource "aws_s3_bucket_notification" "uploads" {
  bucket      = aws_s3_bucket.this["uploads"].id
  eventbridge = true
}
