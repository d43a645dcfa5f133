# AWS endpoints the jobs call, inside the VPC: gateway endpoints for S3 and DynamoDB (routes in the
# private route tables; traffic skips the NAT gateway and its per-GB charge), an interface endpoint
# with private DNS for STS (IRSA's AssumeRoleWithWebIdentity). The chart's NetworkPolicy allows 443
# to exactly these: the gateway endpoints' prefix lists plus the VPC CIDR (output
# network_policy_egress_cidrs). SSE-KMS needs no KMS endpoint: S3 calls KMS itself.

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = module.vpc.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = module.vpc.private_route_table_ids
  tags              = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = module.vpc.vpc_id
  service_name      = "com.amazonaws.${var.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = module.vpc.private_route_table_ids
  tags              = merge(var.tags, { Name = "${var.name_prefix}-dynamodb" })
}

resource "aws_security_group" "sts_endpoint" {
  name_prefix = "${var.name_prefix}-sts-endpoint-"
  description = "HTTPS from the VPC to the STS interface endpoint"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [module.vpc.vpc_cidr_block]
  }

  tags = var.tags
}

resource "aws_vpc_endpoint" "sts" {
  vpc_id              = module.vpc.vpc_id
  service_name        = "com.amazonaws.${var.region}.sts"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = module.vpc.private_subnets
  security_group_ids  = [aws_security_group.sts_endpoint.id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "${var.name_prefix}-sts" })
}

# The CIDRs behind each gateway endpoint (AWS-managed prefix lists).
data "aws_ec2_managed_prefix_list" "s3" {
  id = aws_vpc_endpoint.s3.prefix_list_id
}

data "aws_ec2_managed_prefix_list" "dynamodb" {
  id = aws_vpc_endpoint.dynamodb.prefix_list_id
}
