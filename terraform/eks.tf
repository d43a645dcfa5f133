# The cluster, with a small managed node group for system pods (Karpenter, Argo, CoreDNS);
# batch pods run on Karpenter's spot NodePools (karpenter/). Module versions are exact: their inputs
# are checked against the variables of these releases (tests/fixtures/terraform).

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name               = "${var.name_prefix}-vpc"
  cidr               = "10.42.0.0/16"
  azs                = ["${var.region}a", "${var.region}b", "${var.region}c"]
  private_subnets    = ["10.42.0.0/19", "10.42.32.0/19", "10.42.64.0/19"]
  public_subnets     = ["10.42.96.0/22", "10.42.100.0/22", "10.42.104.0/22"]
  enable_nat_gateway = true
  single_nat_gateway = true
  # The STS interface endpoint's private DNS needs both.
  enable_dns_support   = true
  enable_dns_hostnames = true

  private_subnet_tags = {
    "karpenter.sh/discovery" = var.name_prefix
  }

  tags = var.tags
}

# The VPC CNI enforces Kubernetes NetworkPolicy (the chart's default deny) only when its network policy
# agent is switched on; otherwise every NetworkPolicy is accepted and ignored.
locals {
  vpc_cni_configuration = { enableNetworkPolicy = "true" }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name                                     = var.name_prefix
  kubernetes_version                       = var.kubernetes_version
  vpc_id                                   = module.vpc.vpc_id
  subnet_ids                               = module.vpc.private_subnets
  endpoint_private_access                  = true
  endpoint_public_access                   = length(var.cluster_endpoint_public_access_cidrs) > 0
  endpoint_public_access_cidrs             = var.cluster_endpoint_public_access_cidrs
  enable_cluster_creator_admin_permissions = true
  enable_irsa                              = true

  # The private endpoint from networks inside or connected to the VPC (a bastion's subnet, a VPN).
  security_group_additional_rules = {
    for i, cidr in var.cluster_endpoint_private_access_cidrs : "api_private_${i}" => {
      description = "Kubernetes API from ${cidr}"
      type        = "ingress"
      protocol    = "tcp"
      from_port   = 443
      to_port     = 443
      cidr_blocks = [cidr]
    }
  }

  addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni = {
      before_compute       = true
      configuration_values = jsonencode(local.vpc_cni_configuration)
    }
    eks-pod-identity-agent = { before_compute = true }
  }

  eks_managed_node_groups = {
    system = {
      instance_types = ["m6i.large"]
      min_size       = 2
      max_size       = 3
      desired_size   = 2
      labels         = { "gras-forecast/pool" = "system" }
    }
  }

  node_security_group_tags = {
    "karpenter.sh/discovery" = var.name_prefix
  }

  tags = var.tags
}
