output "cluster_name" {
  value = module.eks.cluster_name
}

output "predictions_table_name" {
  value = module.predictions_table.dynamodb_table_id
}

output "models_table_name" {
  value = module.models_table.dynamodb_table_id
}

output "lake_uri" {
  description = "Chart value `lake` (append a prefix if the lake is not at the bucket root)."
  value       = "s3://${module.lake_bucket.s3_bucket_id}"
}

output "ecr_repository_url" {
  description = "Chart value image.repository."
  value       = aws_ecr_repository.gras.repository_url
}

output "irsa_role_arns" {
  description = "Chart values serviceAccounts.<job>.roleArn."
  value       = { for job, role in aws_iam_role.job : job => role.arn }
}

output "karpenter_interruption_queue" {
  value = module.karpenter.queue_name
}
