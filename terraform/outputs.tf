output "predictions_table_name" {
  value = module.predictions_table.dynamodb_table_id
}

output "models_table_name" {
  value = module.models_table.dynamodb_table_id
}
