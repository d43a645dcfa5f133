# DynamoDB tables read by the Java app and written by gras-forecast. The key schemas must match
# jobs/io/dynamo-tables.ts (tests/unit/io/terraform-tables.test.ts compares them).

# Contract version 1: one item per metric and forecast step, written while
# dynamodb.writePredictionsV1 is true, for series without dimensions only.
module "predictions_table" {
  source  = "terraform-aws-modules/dynamodb-table/aws"
  version = "4.4.0"

  name                           = "${var.name_prefix}-predictions"
  billing_mode                   = "PAY_PER_REQUEST"
  hash_key                       = "metric_id"
  range_key                      = "timestamp"
  ttl_enabled                    = true
  ttl_attribute_name             = "ttl"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = true
  server_side_encryption_enabled = true

  attributes = [
    { name = "metric_id", type = "S" },
    { name = "timestamp", type = "S" },
  ]

  tags = var.tags
}

# Contract version 2 (docs/contracts.md): one item per series and run holding the whole horizon;
# the newest forecast of a series is one Query (series_id, newest generated_at first, Limit 1).
module "forecasts_table" {
  source  = "terraform-aws-modules/dynamodb-table/aws"
  version = "4.4.0"

  name                           = "${var.name_prefix}-forecasts"
  billing_mode                   = "PAY_PER_REQUEST"
  hash_key                       = "series_id"
  range_key                      = "generated_at"
  ttl_enabled                    = true
  ttl_attribute_name             = "ttl"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = true
  server_side_encryption_enabled = true

  attributes = [
    { name = "series_id", type = "S" },
    { name = "generated_at", type = "S" },
  ]

  tags = var.tags
}

module "models_table" {
  source  = "terraform-aws-modules/dynamodb-table/aws"
  version = "4.4.0"

  name                           = "${var.name_prefix}-models"
  billing_mode                   = "PAY_PER_REQUEST"
  hash_key                       = "metric_id"
  range_key                      = "version"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = true
  server_side_encryption_enabled = true

  attributes = [
    { name = "metric_id", type = "S" },
    { name = "version", type = "S" },
  ]

  tags = var.tags
}

# Realised accuracy per metric and day (gras monitor), and the drift flag per metric (date "~drift").
module "accuracy_table" {
  source  = "terraform-aws-modules/dynamodb-table/aws"
  version = "4.4.0"

  name                           = "${var.name_prefix}-accuracy"
  billing_mode                   = "PAY_PER_REQUEST"
  hash_key                       = "metric_id"
  range_key                      = "date"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = true
  server_side_encryption_enabled = true

  attributes = [
    { name = "metric_id", type = "S" },
    { name = "date", type = "S" },
  ]

  tags = var.tags
}
