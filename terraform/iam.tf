# IRSA: one role per job, each trusted only by its own ServiceAccount (StringEquals on sub and aud)
# and allowed only the lake prefixes and tables that job touches.
#   features: read bronze/, write silver/ and quarantine/
#   train:    read silver/ and models/, write models/, the models table; train-neural runs under
#             it too and also reads and writes its checkpoints/
#   infer:    read silver/, models/ and predictions/, write predictions/, the predictions table, read the
#             models table, the accuracy table (the monitor step runs under this role too)

locals {
  oidc_provider = replace(module.eks.cluster_oidc_issuer_url, "https://", "")
  lake_arn      = module.lake_bucket.s3_bucket_arn

  jobs = {
    features = {
      read_prefixes  = ["bronze", "silver", "quarantine"]
      write_prefixes = ["silver", "quarantine"]
      table_actions  = {}
    }
    train = {
      read_prefixes  = ["silver", "models", "checkpoints"]
      write_prefixes = ["models", "checkpoints"]
      table_actions = {
        (module.models_table.dynamodb_table_arn)   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DescribeTable"]
        (module.accuracy_table.dynamodb_table_arn) = ["dynamodb:GetItem", "dynamodb:PutItem"]
      }
    }
    infer = {
      read_prefixes  = ["silver", "models", "predictions"]
      write_prefixes = ["predictions"]
      table_actions = {
        (module.predictions_table.dynamodb_table_arn) = ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DescribeTable"]
        (module.models_table.dynamodb_table_arn)      = ["dynamodb:GetItem", "dynamodb:Query"]
        (module.accuracy_table.dynamodb_table_arn)    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
      }
    }
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.jobs

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [module.eks.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_provider}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}-${each.key}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "job" {
  for_each = local.jobs

  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = flatten([for p in each.value.read_prefixes : ["${p}/*", "*/${p}/*"]])
    }
  }

  statement {
    sid       = "ReadPrefixes"
    actions   = ["s3:GetObject"]
    resources = flatten([for p in each.value.read_prefixes : ["${local.lake_arn}/${p}/*", "${local.lake_arn}/*/${p}/*"]])
  }

  statement {
    sid       = "WritePrefixes"
    actions   = ["s3:PutObject"]
    resources = flatten([for p in each.value.write_prefixes : ["${local.lake_arn}/${p}/*", "${local.lake_arn}/*/${p}/*"]])
  }

  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }

  dynamic "statement" {
    for_each = each.value.table_actions
    content {
      actions   = statement.value
      resources = [statement.key]
    }
  }
}

resource "aws_iam_role" "job" {
  for_each = local.jobs

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust[each.key].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "job" {
  for_each = local.jobs

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.job[each.key].id
  policy = data.aws_iam_policy_document.job[each.key].json
}
