variable "name_prefix" {
  description = "Prefix of every resource name; the tables become <prefix>-forecasts, <prefix>-predictions, <prefix>-models and <prefix>-accuracy (config/gras.yaml dynamodb.*Table, monitor.accuracyTable)."
  type        = string
  default     = "gras"
}

variable "region" {
  description = "AWS region of the cluster, the lake and the tables."
  type        = string
  default     = "eu-west-1"
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version, the only place it is set. The AMI release pinned in karpenter/ec2nodeclass.yaml (al2023@vYYYYMMDD) must ship AMIs for it, or Karpenter launches no node."
  type        = string
  default     = "1.33"
}

variable "namespace" {
  description = "Namespace the chart is installed in (its ServiceAccount is trusted by the IRSA role)."
  type        = string
  default     = "gras"
}

variable "service_account" {
  description = "Prefix of the per-job ServiceAccounts <service_account>-<job> the chart creates; each job's IRSA role trusts only its own."
  type        = string
  default     = "gras-forecast"
}

variable "lake_bucket_name" {
  description = "S3 bucket of the lake (bronze/, silver/, models/, predictions/, quarantine/)."
  type        = string
}

variable "lake_prefix" {
  description = "Key prefix of the lake in the bucket (chart value lake = s3://<lake_bucket_name>/<lake_prefix>); every IAM grant is anchored here."
  type        = string
  default     = "gras"
  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.lake_prefix))
    error_message = "lake_prefix must be non-empty path segments without leading or trailing slashes (e.g. gras or teams/gras)."
  }
}

variable "silver_retention_days" {
  description = "Days the lake keeps silver feature cutoffs (features writes one per run); a backfill further back reruns features for its cutoff."
  type        = number
  default     = 35
  validation {
    condition     = var.silver_retention_days >= 2
    error_message = "silver_retention_days must be at least 2: jobs of one run read the features it wrote."
  }
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the EKS API's public endpoint. Empty (the default): no public endpoint; terraform, kubectl, helm and argo then run from inside the VPC (README \"Deploy to EKS\")."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for cidr in var.cluster_endpoint_public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "cluster_endpoint_public_access_cidrs: IPv4 CIDRs such as 203.0.113.7/32; 0.0.0.0/0 is refused."
  }
}

variable "cluster_endpoint_private_access_cidrs" {
  description = "CIDRs inside or connected to the VPC (a bastion's subnet, a VPN) allowed to the EKS API's private endpoint on 443."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for cidr in var.cluster_endpoint_private_access_cidrs : can(cidrhost(cidr, 0))])
    error_message = "cluster_endpoint_private_access_cidrs: IPv4 CIDRs such as 10.42.128.0/24."
  }
}

variable "bronze_writer_role_arns" {
  description = "IAM roles of the Java application that writes bronze/ (granted PutObject there only)."
  type        = list(string)
  default     = []
}

variable "argo_workflows_version" {
  description = "Argo Workflows Helm chart version (argo-helm); its appVersion is argo_workflows_app_version."
  type        = string
  default     = "0.45.15"
}

variable "argo_workflows_app_version" {
  description = "Argo Workflows image tag the chart runs (>= v3.6 for CronWorkflow schedules and plural mutexes); the appVersion of chart argo_workflows_version (0.45.15 ships v3.6.7). The chart and workflows/ must satisfy this version's CRDs and validation."
  type        = string
  default     = "v3.6.7"
}

variable "karpenter_version" {
  description = "Karpenter Helm chart version (v1 APIs)."
  type        = string
  default     = "1.5.0"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
