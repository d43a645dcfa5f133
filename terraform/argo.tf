# Argo Workflows (controller and server) from the argo-helm chart, after the namespace it runs
# workflows in exists: workflowNamespaces makes the chart create a Role and RoleBinding there.

locals {
  argo_workflows_values = {
    # The Argo version the chart installs, stated rather than left to the chart's appVersion, so the
    # version the manifests are checked against (charts/, workflows/) is read from here.
    images = { tag = var.argo_workflows_app_version }
    controller = {
      workflowNamespaces = [var.namespace]
      # Keep finished workflows visible for a day; the WorkflowTemplate sets its own ttlStrategy too.
      workflowDefaults = { spec = { ttlStrategy = { secondsAfterCompletion = 86400 } } }
    }
    # Bearer tokens (kubectl create token / the argo CLI's kubeconfig) only. "sso" needs server.sso
    # (enabled, issuer, client id and secret); without it argo-server exits at start ("issuer empty").
    server = { authModes = ["client"] }
  }
}

resource "helm_release" "argo_workflows" {
  name             = "argo-workflows"
  namespace        = "argo"
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-workflows"
  version          = var.argo_workflows_version
  create_namespace = true

  values = [yamlencode(local.argo_workflows_values)]

  depends_on = [kubernetes_namespace_v1.gras]
}
