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

{{/* Container settings every gras job shares: the CLI as PID 1, settings, no privileges. */}}
{{- define "gras.container" -}}
image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
command: [node, dist/jobs/cli.js]
env:
  - { name: GRAS_CONFIG, value: /etc/gras }
  - { name: GRAS_LOG_LEVEL, value: {{ .Values.logLevel | quote }} }
  - { name: GRAS_PUSHGATEWAY_URL, value: {{ .Values.pushgateway.url | quote }} }
  - { name: AWS_REGION, value: {{ .Values.aws.region | quote }} }
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: { drop: [ALL] }
volumeMounts:
  - { name: config, mountPath: /etc/gras, readOnly: true }
  - { name: tmp, mountPath: /tmp }
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

{{/* The metric list of a run as a JSON array, for withParam (Argo expression over the workflow parameter). */}}
{{- define "gras.eachMetric" -}}
{{`"{{=toJson(sprig.splitList(',', workflow.parameters.metrics))}}"`}}
{{- end }}
