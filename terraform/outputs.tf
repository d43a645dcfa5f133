output "cluster_name" {
  value = module.eks.cluster_name
}

output "predictions_table_name" {
  value = module.predictions_table.dynamodb_table_id
}

output "forecasts_table_name" {
  description = "Chart value tables.forecasts (config dynamodb.forecastsTable): contract version 2."
  value       = module.forecasts_table.dynamodb_table_id
}

output "models_table_name" {
  value = module.models_table.dynamodb_table_id
}

output "lake_uri" {
  description = "Chart value `lake`: the bucket and var.lake_prefix, where every IAM grant is anchored."
  value       = "s3://${module.lake_bucket.s3_bucket_id}/${var.lake_prefix}"
}

output "ecr_repository_url" {
  description = "Chart value image.repository."
  value       = aws_ecr_repository.gras.repository_url
}

output "irsa_role_arns" {
  description = "Chart values serviceAccounts.<job>.roleArn."
  value       = { for job, role in aws_iam_role.job : job => role.arn }
}

output "java_reader_policy_arn" {
  description = "Attach to the Java application's role: GetItem and Query on the forecasts, predictions and accuracy tables."
  value       = aws_iam_policy.java_reader.arn
}

output "karpenter_interruption_queue" {
  value = module.karpenter.queue_name
}

output "network_policy_egress_cidrs" {
  description = "Chart value networkPolicy.awsEgressCidrs: the S3 and DynamoDB gateway endpoints' prefix lists and the VPC CIDR (the STS interface endpoint and the API server's private endpoint)."
  value = concat(
    sort([for entry in data.aws_ec2_managed_prefix_list.s3.entries : entry.cidr]),
    sort([for entry in data.aws_ec2_managed_prefix_list.dynamodb.entries : entry.cidr]),
    [module.vpc.vpc_cidr_block],
  )
}

output "cluster_endpoint_public_access_cidrs" {
  description = "CIDRs that may reach the EKS API's public endpoint; empty means private only (reach it from inside the VPC)."
  value       = var.cluster_endpoint_public_access_cidrs
}
