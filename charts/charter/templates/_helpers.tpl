{{/* The chart's name, e.g. for app.kubernetes.io/name. */}}
{{- define "charter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects: fullnameOverride, else the release name when it contains the
chart's name, else <release>-<chart>. Cut to 63 characters (some fields are DNS labels).
*/}}
{{- define "charter.fullname" -}}
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

{{- define "charter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "charter.labels" -}}
helm.sh/chart: {{ include "charter.chart" . }}
{{ include "charter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels the Deployment selects its Pods by (never change them: a Deployment's selector is immutable). */}}
{{- define "charter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "charter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "charter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "charter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ConfigMap holding the catalog, or nothing for the built-in catalog. */}}
{{- define "charter.catalogConfigMap" -}}
{{- if and .Values.catalog.inline .Values.catalog.existingConfigMap }}
{{- fail "set catalog.inline or catalog.existingConfigMap, not both" }}
{{- else if .Values.catalog.inline }}
{{- printf "%s-catalog" (include "charter.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- else if .Values.catalog.existingConfigMap }}
{{- .Values.catalog.existingConfigMap }}
{{- end }}
{{- end }}

{{/* The image reference: repository:tag (tag defaults to the chart's appVersion), or repository@digest. */}}
{{- define "charter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the webhook's serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "charter.webhookSecretName" -}}
{{- if .Values.webhook.existingSecret }}
{{- .Values.webhook.existingSecret }}
{{- else }}
{{- printf "%s-webhook-tls" (include "charter.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The webhook's matchCondition (CEL) that leaves out the bypass users and groups at the API server, or nothing when
webhook.skipBypassAtApiServer is off or both lists are empty.
*/}}
{{- define "charter.webhookSkipCondition" -}}
{{- if .Values.webhook.skipBypassAtApiServer }}
{{- $parts := list }}
{{- with .Values.webhook.bypassUsers }}
{{- $users := list }}
{{- range . }}{{ $users = append $users (squote .) }}{{ end }}
{{- $parts = append $parts (printf "!(request.userInfo.username in [%s])" (join ", " $users)) }}
{{- end }}
{{- with .Values.webhook.bypassGroups }}
{{- $groups := list }}
{{- range . }}{{ $groups = append $groups (squote .) }}{{ end }}
{{- $parts = append $parts (printf "!request.userInfo.groups.exists(g, g in [%s])" (join ", " $groups)) }}
{{- end }}
{{- join " && " $parts }}
{{- end }}
{{- end }}

{{/*
A Kubernetes memory quantity (e.g. 2Gi, 1536Mi, 2G, 2000M, 2147483648) in MiB, as a float; fails naming `value`
when it cannot read it. Called with (dict "quantity" <quantity> "value" "<the value's name>").
*/}}
{{- define "charter.memoryMiB" -}}
{{- $q := toString .quantity }}
{{- if kindIs "float64" .quantity }}
{{- /* A plain number of bytes in a values file comes as a float64 (toString would give 2.147483648e+09). */}}
{{- $q = printf "%.0f" .quantity }}
{{- end }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q }}
{{- $unit := trimPrefix $number $q }}
{{- $mibPer := dict "" 0.00000095367431640625 "k" 0.0009536743164062 "Ki" 0.0009765625 "M" 0.95367431640625 "Mi" 1.0 "G" 953.67431640625 "Gi" 1024.0 "T" 953674.31640625 "Ti" 1048576.0 "P" 953674316.40625 "Pi" 1073741824.0 }}
{{- if or (not $number) (not (hasKey $mibPer $unit)) }}
{{- fail (printf "%s: cannot read %q as a memory quantity (a number with Ki, Mi, Gi, Ti, k, M, G or T)" .value $q) }}
{{- end }}
{{- mulf (float64 $number) (index $mibPer $unit) }}
{{- end }}

{{/*
The webhook's bypass identities that stand for everyone (system:authenticated, system:unauthenticated,
system:anonymous) or for every workload (system:serviceaccounts), comma-separated; empty when there are none. With
one of them, the webhook judges (almost) nobody.
*/}}
{{- define "charter.broadBypass" -}}
{{- $broad := list }}
{{- range .Values.webhook.bypassGroups }}
{{- if has . (list "system:authenticated" "system:unauthenticated" "system:serviceaccounts") }}{{ $broad = append $broad (printf "group %s" .) }}{{ end }}
{{- end }}
{{- range .Values.webhook.bypassUsers }}
{{- if eq . "system:anonymous" }}{{ $broad = append $broad (printf "user %s" .) }}{{ end }}
{{- end }}
{{- join ", " $broad }}
{{- end }}

{{/*
"true" when the admission webhook enforces Charter's rules on every non-platform write of the four kinds: enabled,
failurePolicy Fail (no write goes through unjudged while no replica answers), and no bypass identity that stands for
everyone (charter.broadBypass); else nothing. The chart aggregates Collaboration writes into Kubernetes' edit and
admin only then (templates/aggregated-roles.yaml), unless rbac.aggregateCollaborationWritesUnenforced says otherwise.
*/}}
{{- define "charter.webhookEnforces" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.failurePolicy "Fail") (not (include "charter.broadBypass" .)) }}true{{ end }}
{{- end }}

{{/* "true" when <fullname>-edit (Collaboration writes) is aggregated into edit and admin; else nothing. */}}
{{- define "charter.aggregateCollaborationWrites" -}}
{{- if or (include "charter.webhookEnforces" .) (.Values.rbac | default dict).aggregateCollaborationWritesUnenforced }}true{{ end }}
{{- end }}
