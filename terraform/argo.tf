# Argo Workflows (controller and server) from the argo-helm chart.

resource "helm_release" "argo_workflows" {
  name             = "argo-workflows"
  namespace        = "argo"
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-workflows"
  version          = var.argo_workflows_version
  create_namespace = true

  values = [yamlencode({
    controller = {
      workflowNamespaces = [var.namespace]
      # Keep finished workflows visible for a day; the WorkflowTemplate sets its own ttlStrategy too.
      workflowDefaults = { spec = { ttlStrategy = { secondsAfterCompletion = 86400 } } }
    }
    server = { authModes = ["sso", "client"] }
  })]
}
