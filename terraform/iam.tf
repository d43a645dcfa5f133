# IRSA: one role per job, each trusted only by its own ServiceAccount (StringEquals on sub and aud)
# and allowed exactly the calls that job makes: tests/integration/iam-behaviour.test.ts records
# every AWS request of a real run of each job and fails on a request these policies deny and on a
# grant no request uses. Object grants are anchored at the lake prefix (the chart's `lake` is
# s3://<bucket>/<lake_prefix>), so no job reaches another prefix's objects through a wildcard.

locals {
  oidc_provider = replace(module.eks.cluster_oidc_issuer_url, "https://", "")
  lake_bucket   = module.lake_bucket.s3_bucket_arn
  lake          = "${module.lake_bucket.s3_bucket_arn}/${var.lake_prefix}"
  models_table  = module.models_table.dynamodb_table_arn

  # One statement each: actions on resources; `prefixes` (under the lake prefix) become the
  # s3:prefix condition of a listing.
  list_silver = { sid = "ListSilver", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = ["silver/*"] }
  lake_key    = { sid = "LakeKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [aws_kms_key.lake.arn], prefixes = [] }

  job_statements = {
    # bronze -> silver; bad bronze files are copied to quarantine/ with a reason file. It lists and
    # reads the metric's newest-cutoff silver manifest so that a backfill never moves it back. The
    # workflow's plan step runs under this role too: it sizes bronze and writes plans/.
    features = [
      { sid = "ListBronzeSilverAndPlans", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = ["bronze/*", "silver/*", "plans/*"] },
      { sid = "ReadBronzeSilverManifestAndPlans", actions = ["s3:GetObject"], resources = ["${local.lake}/bronze/*", "${local.lake}/silver/*", "${local.lake}/plans/*"], prefixes = [] },
      { sid = "WriteSilverQuarantineAndPlans", actions = ["s3:PutObject"], resources = ["${local.lake}/silver/*", "${local.lake}/quarantine/*", "${local.lake}/plans/*"], prefixes = [] },
      local.lake_key,
    ]
    # silver and the neural model -> per-metric models and the registry, under the lease lock;
    # `train --only drifted` reads and clears the monitor's drift flags. The run's report (reports/)
    # shows each metric's newest stored forecast (predictions/) and realised accuracy (a Query).
    train = [
      # models/: whether an earlier attempt of the run wrote the group's models pack (kept, not replaced).
      { sid = "ListSilverModelsPredictionsAndPlans", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = ["silver/*", "models/*", "predictions/*", "plans/*"] },
      { sid = "ReadSilverModelsPredictionsAndPlans", actions = ["s3:GetObject"], resources = ["${local.lake}/silver/*", "${local.lake}/models/*", "${local.lake}/predictions/*", "${local.lake}/plans/*"], prefixes = [] },
      { sid = "WriteMetricModelsAndReport", actions = ["s3:PutObject"], resources = ["${local.lake}/models/metric=*", "${local.lake}/reports/*"], prefixes = [] },
      local.lake_key,
      { sid = "RegistryAndLease", actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources = [local.models_table], prefixes = [] },
      { sid = "DriftFlagsAndAccuracy", actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], resources = [module.accuracy_table.dynamodb_table_arn], prefixes = [] },
    ]
    # silver -> the global neural model (models/neural/) and its checkpoints. It reads keys that may
    # not exist yet (a checkpoint to resume from, a member already trained): S3 answers such a read
    # 404 only to a caller allowed s3:ListBucket on the bucket, else 403, which the job would take
    # for a failure; hence MissingKeysRead404 (key names only, objects stay limited).
    "train-neural" = [
      local.list_silver,
      { sid = "MissingKeysRead404", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = [] },
      { sid = "ReadSilverNeuralAndCheckpoints", actions = ["s3:GetObject"], resources = ["${local.lake}/silver/*", "${local.lake}/models/neural/*", "${local.lake}/checkpoints/*"], prefixes = [] },
      { sid = "WriteNeuralAndCheckpoints", actions = ["s3:PutObject"], resources = ["${local.lake}/models/neural/*", "${local.lake}/checkpoints/*"], prefixes = [] },
      local.lake_key,
      { sid = "RegisterNeuralVersion", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = [local.models_table], prefixes = [] },
    ]
    # silver and the approved models -> predictions (Parquet and the tables), under the lease lock.
    # Version 2: one conditional PutItem per series (a second, returning the replaced item, when
    # another run forecast the same cutoff). Version 1 (while writePredictionsV1): new steps in
    # batches, a step already forecast replaced by a conditional PutItem after a Query.
    infer = [
      # predictions/: whether an earlier attempt of the run wrote the group's copy (its other series kept).
      { sid = "ListSilverPredictionsAndPlans", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = ["silver/*", "predictions/*", "plans/*"] },
      { sid = "ReadSilverModelsAndPlans", actions = ["s3:GetObject"], resources = ["${local.lake}/silver/*", "${local.lake}/models/*", "${local.lake}/plans/*"], prefixes = [] },
      # monitor/served/metric=<id>/_late-run.json: a copy written into a day that had ended voids
      # monitor's kept served runs of that metric.
      { sid = "WritePredictionsAndLateRunMark", actions = ["s3:PutObject"], resources = ["${local.lake}/predictions/*", "${local.lake}/monitor/served/metric=*/_late-run.json"], prefixes = [] },
      local.lake_key,
      { sid = "WriteForecastsTable", actions = ["dynamodb:PutItem"], resources = [module.forecasts_table.dynamodb_table_arn], prefixes = [] },
      { sid = "WritePredictionsTable", actions = ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query"], resources = [module.predictions_table.dynamodb_table_arn], prefixes = [] },
      { sid = "ApprovedModelAndLease", actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources = [local.models_table], prefixes = [] },
    ]
    # served predictions against silver actuals -> the accuracy table and drift flags. The run's
    # report (reports/) reads back the accuracy (a Query), the drift flag (a GetItem) and each
    # metric's approved version.
    # monitor/: the served runs it keeps per group and window, and what it last wrote per group.
    monitor = [
      { sid = "ListSilverPredictionsPlansAndMonitor", actions = ["s3:ListBucket"], resources = [local.lake_bucket], prefixes = ["silver/*", "predictions/*", "plans/*", "monitor/*"] },
      { sid = "ReadSilverPredictionsModelsPlansAndMonitor", actions = ["s3:GetObject"], resources = ["${local.lake}/silver/*", "${local.lake}/predictions/*", "${local.lake}/models/metric=*", "${local.lake}/plans/*", "${local.lake}/monitor/*"], prefixes = [] },
      { sid = "WriteReportAndMonitor", actions = ["s3:PutObject"], resources = ["${local.lake}/reports/*", "${local.lake}/monitor/served/metric=*/window=*", "${local.lake}/monitor/written/*"], prefixes = [] },
      local.lake_key,
      { sid = "WriteAndReadAccuracy", actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], resources = [module.accuracy_table.dynamodb_table_arn], prefixes = [] },
      { sid = "ReadApprovedModels", actions = ["dynamodb:GetItem"], resources = [local.models_table], prefixes = [] },
    ]
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.job_statements

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
  for_each = local.job_statements

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
      dynamic "condition" {
        for_each = length(statement.value.prefixes) > 0 ? [statement.value.prefixes] : []
        content {
          test     = "StringLike"
          variable = "s3:prefix"
          values   = [for p in condition.value : "${var.lake_prefix}/${p}"]
        }
      }
    }
  }
}

resource "aws_iam_role" "job" {
  for_each = local.job_statements

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust[each.key].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "job" {
  for_each = local.job_statements

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.job[each.key].id
  policy = data.aws_iam_policy_document.job[each.key].json
}

# The Java application reads forecasts and accuracy; attach this policy to its role
# (output java_reader_policy_arn).
data "aws_iam_policy_document" "java_reader" {
  statement {
    sid       = "JavaReadsForecastsAndAccuracy"
    actions   = ["dynamodb:GetItem", "dynamodb:Query"]
    resources = [module.forecasts_table.dynamodb_table_arn, module.predictions_table.dynamodb_table_arn, module.accuracy_table.dynamodb_table_arn]
  }
}

resource "aws_iam_policy" "java_reader" {
  name        = "${var.name_prefix}-java-reader"
  description = "Read-only access of the Java application to the forecasts and accuracy tables"
  policy      = data.aws_iam_policy_document.java_reader.json
  tags        = var.tags
}
