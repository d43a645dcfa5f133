{{/* Labels every object of the chart carries. */}}
{{- define "gras.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Where a gras pod may run: its Karpenter NodePool, on amd64 only (the image is built for
linux/amd64: tfjs-node-gpu's GPU backend exists only for x64). Argo replaces, not merges, a
template's nodeSelector, so each pod states both keys. Argument: the NodePool name.
*/}}
{{- define "gras.nodeSelector" -}}
karpenter.sh/nodepool: {{ . }}
kubernetes.io/arch: amd64
{{- end }}

{{/*
Container settings every gras job shares: the CLI as PID 1, settings, no privileges. Argument: a
dict of root (the chart context) and, optionally, extraEnv (a list of env entries added last).
*/}}
{{- define "gras.container" -}}
{{- $values := .root.Values -}}
image: {{ $values.image.repository }}:{{ $values.image.tag }}
imagePullPolicy: {{ $values.image.pullPolicy }}
command: [node, dist/jobs/cli.js]
env:
  - { name: GRAS_CONFIG, value: /etc/gras }
  - { name: GRAS_LOG_LEVEL, value: {{ $values.logLevel | quote }} }
  - { name: GRAS_PUSHGATEWAY_URL, value: {{ $values.pushgateway.url | quote }} }
  - { name: AWS_REGION, value: {{ $values.aws.region | quote }} }
  # Threads for the metrics: the container's CPU request, rounded up (a node's core count is not the pod's share).
  - name: GRAS_WORKERS
    valueFrom:
      resourceFieldRef: { resource: requests.cpu, divisor: "1" }
  {{- with .extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: { drop: [ALL] }
volumeMounts:
  - { name: config, mountPath: /etc/gras, readOnly: true }
  - { name: tmp, mountPath: /tmp }
{{- end }}

{{/* The pod settings every gras pod shares: a fixed non-root user, the default seccomp profile. */}}
{{- define "gras.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The volumes gras.container mounts: the settings ConfigMap and a writable /tmp. */}}
{{- define "gras.volumes" -}}
- name: config
  configMap:
    name: {{ .Release.Name }}-config
- name: tmp
  emptyDir: {}
{{- end }}

{{/*
One step of the gras-pipeline WorkflowTemplate: a pod that runs one gras job, with its own IRSA
ServiceAccount, resources and retries. The steps differ only in what this dict holds:
  root       the chart context (.)
  name       the template name, also the job's name
  key        the job's key under serviceAccounts and resources (camelCase: trainNeural)
  args       the CLI arguments; an Argo placeholder ("{{...}}") is quoted, the rest written as is
  perShard   true when the step runs one shard of a plan: inputs shard (i/K) and plan, passed as --shard and --plan
  inputs     optional, with perShard: names of further inputs every task of the template passes (args use them)
  activeDeadlineSeconds  optional: a deadline of the pod's own, under the workflow's
  gpu        true for the GPU step: the GPU NodePool and its taint; never consolidated away
*/}}
{{- define "gras.jobTemplate" -}}
{{- $values := .root.Values -}}
- name: {{ .name }}
  serviceAccountName: {{ (index $values.serviceAccounts .key).name }}
  {{- if .perShard }}
  inputs:
    parameters: [{ name: shard }, { name: plan }{{ range .inputs }}, { name: {{ . }} }{{ end }}]
  {{- end }}
  {{- with .activeDeadlineSeconds }}
  activeDeadlineSeconds: {{ . }}
  {{- end }}
  {{- if .gpu }}
  metadata:
    annotations:
      # Blocks voluntary disruption (consolidation) only; spot loss is handled by retries.
      karpenter.sh/do-not-disrupt: "true"
  {{- end }}
  retryStrategy:
    {{- include "gras.retryStrategy" .root | nindent 4 }}
  nodeSelector:
    {{- include "gras.nodeSelector" (ternary $values.nodePools.gpu $values.nodePools.cpu (default false .gpu)) | nindent 4 }}
  {{- if .gpu }}
  tolerations:
    - { key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }
  {{- end }}
  container:
    name: main
    {{- $args := .args }}
    {{- if .perShard }}{{ $args = concat .args (list "--shard" "{{inputs.parameters.shard}}" "--plan" "{{inputs.parameters.plan}}") }}{{ end }}
    args: [{{ range $i, $arg := $args }}{{ if $i }}, {{ end }}{{ if hasPrefix "{{" $arg }}{{ quote $arg }}{{ else }}{{ $arg }}{{ end }}{{ end }}]
    resources:
      {{- toYaml (index $values.resources .key) | nindent 6 }}
    {{- include "gras.container" (dict "root" .root) | nindent 4 }}
{{- end }}

{{/*
Retries of one pod (set on each container template, never on a DAG: a DAG with a retryStrategy
reruns all its children, the GPU step included). Spot loss (pod deleted, node shutting down,
eviction), Argo-level errors and our transient exit code 75 (and 143, SIGTERM) are retried on
another node; bad input (65, 66) and bugs (70) are not.
*/}}
{{- define "gras.retryStrategy" -}}
limit: {{ .Values.workflow.retryLimit }}
retryPolicy: Always
expression: {{`'lastRetry.status == "Error" || (lastRetry.status == "Failed" && (asInt(lastRetry.exitCode) in [75, 143] || lastRetry.message matches "pod deleted|imminent node shutdown|node is shutting down|Evicted"))'`}}
backoff:
  duration: 30s
  factor: "2"
  maxDuration: 10m
affinity:
  nodeAntiAffinity: {}
{{- end }}

{{/*
A CronWorkflow that runs an entry point of the gras-pipeline WorkflowTemplate. Argument: a dict of
root (the chart context), name, schedule (cron), entrypoint and, optionally, trainScope (the
template's train-scope parameter; its default is all).
*/}}
{{- define "gras.cronWorkflow" -}}
{{- $values := .root.Values -}}
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "gras.labels" .root | nindent 4 }}
spec:
  schedules:
    - {{ .schedule | quote }}
  timezone: {{ $values.schedules.timezone | quote }}
  concurrencyPolicy: Forbid
  # A run missed while the controller was down still happens if it is this late at most.
  startingDeadlineSeconds: {{ $values.schedules.startingDeadlineSeconds }}
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 5
  workflowMetadata:
    labels:
      app.kubernetes.io/part-of: gras-forecast
  workflowSpec:
    workflowTemplateRef:
      name: gras-pipeline
    entrypoint: {{ .entrypoint }}
    {{- with .trainScope }}
    arguments:
      parameters:
        - name: train-scope
          value: {{ . }}
    {{- end }}
{{- end }}
