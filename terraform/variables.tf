variable "name_prefix" {
  description = "Prefix of every resource name; the tables become <prefix>-predictions and <prefix>-models (config/gras.yaml dynamodb.*Table)."
  type        = string
  default     = "gras"
}

variable "region" {
  description = "AWS region of the cluster, the lake and the tables."
  type        = string
  default     = "eu-west-1"
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.33"
}

variable "namespace" {
  description = "Namespace the chart is installed in (its ServiceAccount is trusted by the IRSA role)."
  type        = string
  default     = "gras"
}

variable "service_account" {
  description = "ServiceAccount of every gras pod (chart value serviceAccount.name)."
  type        = string
  default     = "gras-forecast"
}

variable "lake_bucket_name" {
  description = "S3 bucket of the lake (bronze/, silver/, models/, predictions/, quarantine/)."
  type        = string
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
