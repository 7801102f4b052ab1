{{/* Name of the chart, or nameOverride. */}}
{{- define "dms-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name added unless the release name contains it. */}}
{{- define "dms-operator.fullname" -}}
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

{{- define "dms-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dms-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dms-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dms-operator.labels" -}}
helm.sh/chart: {{ include "dms-operator.chart" . }}
{{ include "dms-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "dms-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dms-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when kopf peering is on: asked for, or needed by more than one replica. */}}
{{- define "dms-operator.peering" -}}
{{- if or .Values.peering.enabled (gt (int .Values.replicas) 1) }}true{{ end }}
{{- end }}

{{- define "dms-operator.peeringName" -}}
{{- default (include "dms-operator.fullname" .) .Values.peering.name }}
{{- end }}

{{- define "dms-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
RBAC rules for the namespaces the operator watches: its own kinds, the Secrets it
reads (credentials) and writes (connection details), and Events.
*/}}
{{- define "dms-operator.namespacedRules" -}}
- apiGroups: ["dms.tanzu.community"]
  resources: ["dmsdatabases", "dmsorganizations"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["dms.tanzu.community"]
  resources: ["dmsdatabases/status", "dmsorganizations/status"]
  verbs: ["get", "patch"]
# Connection Secrets carry an owner reference with blockOwnerDeletion, which clusters
# with the OwnerReferencesPermissionEnforcement admission plugin allow only to
# clients that may update the owner's finalizers.
- apiGroups: ["dms.tanzu.community"]
  resources: ["dmsdatabases/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if include "dms-operator.peering" . }}
{{- if .Values.watchNamespaces }}
- apiGroups: ["kopf.dev"]
  resources: ["kopfpeerings"]
  verbs: ["get", "list", "watch", "patch"]
{{- end }}
{{- end }}
{{- end }}

{{/*
Cluster-scoped reads kopf makes: CRDs, to notice the operator's kinds being installed
or changed, and, when limited to some namespaces, the namespaces themselves.
*/}}
{{- define "dms-operator.clusterRules" -}}
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
{{- if .Values.watchNamespaces }}
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
{{- else if include "dms-operator.peering" . }}
- apiGroups: ["kopf.dev"]
  resources: ["clusterkopfpeerings"]
  verbs: ["get", "list", "watch", "patch"]
{{- end }}
{{- end }}
