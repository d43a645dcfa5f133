# The lake bucket: versioned, SSE-KMS with a bucket key, TLS only, public access blocked,
# old versions and incomplete uploads cleaned up, cold data to STANDARD_IA.

locals {
  # Every key of the lake starts with "<lake_prefix>/" (never the bucket root, so every IAM grant
  # in iam.tf can be anchored at it); the lifecycle rules filter on it.
  lake_key_prefix = "${var.lake_prefix}/"
}

resource "aws_kms_key" "lake" {
  description         = "${var.name_prefix} lake encryption"
  enable_key_rotation = true
  tags                = var.tags
}

module "lake_bucket" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "5.15.4"

  bucket = var.lake_bucket_name

  versioning = { enabled = true }

  server_side_encryption_configuration = {
    rule = {
      bucket_key_enabled = true
      apply_server_side_encryption_by_default = {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = aws_kms_key.lake.arn
      }
    }
  }

  # The Java application's roles may write bronze/ and nothing else.
  attach_policy = length(var.bronze_writer_role_arns) > 0
  policy        = length(var.bronze_writer_role_arns) > 0 ? data.aws_iam_policy_document.bronze_writers.json : null

  attach_deny_insecure_transport_policy = true
  attach_require_latest_tls_policy      = true
  block_public_acls                     = true
  block_public_policy                   = true
  ignore_public_acls                    = true
  restrict_public_buckets               = true

  lifecycle_rule = [
    {
      id                                     = "lake-tiering"
      enabled                                = true
      abort_incomplete_multipart_upload_days = 7
      transition = [
        { days = 30, storage_class = "STANDARD_IA" },
      ]
      noncurrent_version_expiration = { days = 30 }
    },
    {
      # train-neural's checkpoints are only needed while a run can still be retried.
      id                                     = "expire-neural-checkpoints"
      enabled                                = true
      filter                                 = { prefix = "${local.lake_key_prefix}checkpoints/" }
      expiration                             = { days = 7 }
      abort_incomplete_multipart_upload_days = 1
    },
    {
      # features writes a cutoff folder per run (hourly: 24 a day per series); jobs read the newest,
      # and a backfill rewrites its own cutoff by rerunning features first. The newest _manifest.json
      # of a series is rewritten every run, so only a series that stopped getting data loses it.
      # The bucket is versioned: the expired versions go a day later, not after the lake's 30.
      id                                     = "expire-silver-cutoffs"
      enabled                                = true
      filter                                 = { prefix = "${local.lake_key_prefix}silver/" }
      expiration                             = { days = var.silver_retention_days }
      noncurrent_version_expiration          = { days = 1 }
      abort_incomplete_multipart_upload_days = 1
    },
    {
      # monitor keeps the served runs of one day's window (a folder per day and metric): only that
      # day's monitor runs read them. A lost late-run mark only makes monitor read the copies again.
      id                                     = "expire-monitor-served-runs"
      enabled                                = true
      filter                                 = { prefix = "${local.lake_key_prefix}monitor/served/" }
      expiration                             = { days = 3 }
      noncurrent_version_expiration          = { days = 1 }
      abort_incomplete_multipart_upload_days = 1
    },
  ]

  tags = var.tags
}

data "aws_iam_policy_document" "bronze_writers" {
  statement {
    sid       = "JavaAppWritesBronze"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${var.lake_bucket_name}/${var.lake_prefix}/bronze/*"]
    principals {
      type        = "AWS"
      identifiers = length(var.bronze_writer_role_arns) > 0 ? var.bronze_writer_role_arns : ["arn:aws:iam::000000000000:root"]
    }
  }
}
