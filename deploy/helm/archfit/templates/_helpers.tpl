{{/* Names, labels and the pieces both Deployments share. */}}

{{- define "archfit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "archfit.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Component names, short enough that Service DNS names stay valid. */}}
{{- define "archfit.webhook.fullname" -}}
{{- printf "%s-webhook" (include "archfit.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "archfit.exporter.fullname" -}}
{{- printf "%s-exporter" (include "archfit.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "archfit.policy.name" -}}
{{- printf "%s-policy" (include "archfit.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "archfit.webhook.tlsSecret" -}}
{{- printf "%s-tls" (include "archfit.webhook.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "archfit.webhook.certificate" -}}
{{- printf "%s-cert" (include "archfit.webhook.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "archfit.webhook.issuer" -}}
{{- printf "%s-issuer" (include "archfit.webhook.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "archfit.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "archfit.labels" -}}
helm.sh/chart: {{ include "archfit.chart" . }}
app.kubernetes.io/name: {{ include "archfit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "webhook"). */}}
{{- define "archfit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "archfit.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "archfit.componentLabels" -}}
{{ include "archfit.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "archfit.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end }}

{{/* Service DNS name of the webhook, the name its serving certificate is for. */}}
{{- define "archfit.webhook.serviceHost" -}}
{{ include "archfit.webhook.fullname" . }}.{{ .Release.Namespace }}.svc
{{- end }}

{{/* The namespaces never sent to the webhook: its own (a pod of the webhook must never wait
     for the webhook), kube-system, and the configured ones. */}}
{{- define "archfit.webhook.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- range (concat (list .Release.Namespace "kube-system") .Values.excludedNamespaces | uniq) }}
      - {{ . | quote }}
      {{- end }}
  - key: {{ .Values.optOutLabel.key | quote }}
    operator: NotIn
    values: [{{ .Values.optOutLabel.value | quote }}]
{{- end }}

{{- define "archfit.webhook.objectSelector" -}}
matchExpressions:
  - key: {{ .Values.optOutLabel.key | quote }}
    operator: NotIn
    values: [{{ .Values.optOutLabel.value | quote }}]
{{- end }}

{{/* Pod and container security: non-root, no privilege escalation, no capabilities, read-only
     root file system (the cache and /tmp are emptyDirs), the runtime's default seccomp profile. */}}
{{- define "archfit.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "archfit.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Both architectures are fine for archfit's own pods: the image is built for both. */}}
{{- define "archfit.archAffinity" -}}
requiredDuringSchedulingIgnoredDuringExecution:
  nodeSelectorTerms:
    - matchExpressions:
        - key: kubernetes.io/arch
          operator: In
          values: [amd64, arm64]
        - key: kubernetes.io/os
          operator: In
          values: [linux]
{{- end }}

{{/* Command-line arguments both servers share. */}}
{{- define "archfit.commonArgs" -}}
- --config
- /etc/archfit/config/archfit.yaml
{{- if .Values.lockfile.configMap }}
- --lock
- /etc/archfit/lock/archfit.lock
{{- end }}
- --cache-dir
- /var/cache/archfit
{{- end }}

{{- define "archfit.commonVolumeMounts" -}}
- name: config
  mountPath: /etc/archfit/config
  readOnly: true
{{- if .Values.lockfile.configMap }}
- name: lock
  mountPath: /etc/archfit/lock
  readOnly: true
{{- end }}
- name: cache
  mountPath: /var/cache/archfit
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Call with (dict "ctx" $ "cacheSizeLimit" "256Mi"). */}}
{{- define "archfit.commonVolumes" -}}
- name: config
  configMap:
    name: {{ include "archfit.policy.name" .ctx }}
{{- if .ctx.Values.lockfile.configMap }}
- name: lock
  configMap:
    name: {{ .ctx.Values.lockfile.configMap }}
    items:
      - key: {{ .ctx.Values.lockfile.key }}
        path: archfit.lock
{{- end }}
- name: cache
  emptyDir:
    sizeLimit: {{ .cacheSizeLimit }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- end }}

{{/* clientConfig of a webhook: call with (dict "ctx" $ "path" "/mutate" "caBundle" $ca). */}}
{{- define "archfit.webhook.clientConfig" -}}
service:
  name: {{ include "archfit.webhook.fullname" .ctx }}
  namespace: {{ .ctx.Release.Namespace }}
  path: {{ .path }}
  port: {{ .ctx.Values.webhook.service.port }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}
