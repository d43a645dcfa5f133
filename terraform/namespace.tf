# The namespace the gras chart is installed in and Argo runs its workflows in. Terraform creates it
# because the Argo release puts a Role into it (workflowNamespaces); `helm install -n gras` then
# finds it. Pod Security "restricted" is audited, not enforced: Argo's own init and wait containers
# are not configured here to meet it.
resource "kubernetes_namespace_v1" "gras" {
  metadata {
    name = var.namespace
    labels = {
      "pod-security.kubernetes.io/audit" = "restricted"
    }
  }
}
