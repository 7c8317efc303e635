{{/* Names, labels and the pieces every workload shares. */}}

{{- define "wenze.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "wenze.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wenze.labels" -}}
{{ include "wenze.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* A component's workload: dict "root" $ "svc" "intake" "role" "api" */}}
{{- define "wenze.componentName" -}}
{{- printf "%s-%s-%s" (include "wenze.fullname" .root) .svc .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wenze.componentSelectorLabels" -}}
{{ include "wenze.selectorLabels" .root }}
app.kubernetes.io/component: {{ printf "%s-%s" .svc .role }}
wenze.dev/service: {{ .svc }}
wenze.dev/role: {{ .role }}
{{- end -}}

{{- define "wenze.componentLabels" -}}
{{ include "wenze.labels" .root }}
app.kubernetes.io/component: {{ printf "%s-%s" .svc .role }}
wenze.dev/service: {{ .svc }}
wenze.dev/role: {{ .role }}
{{- end -}}

{{/* The environment prefix of a service: sanction-execution → WENZE_SANCTION_EXECUTION_ */}}
{{- define "wenze.envPrefix" -}}
{{- printf "WENZE_%s_" (. | replace "-" "_" | upper) -}}
{{- end -}}

{{- define "wenze.module" -}}
{{- printf "wenze_%s" (. | replace "-" "_") -}}
{{- end -}}

{{- define "wenze.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := printf "%s/%s" $img.repositoryPrefix .svc -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $repo }}{{ end -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* A role's settings: the defaults with the component's own keys over them. */}}
{{- define "wenze.roleValues" -}}
{{- $defaults := deepCopy (index .root.Values.defaults .role) -}}
{{- $own := index .component .role | default dict -}}
{{- toYaml (mergeOverwrite $defaults (deepCopy $own)) -}}
{{- end -}}

{{- define "wenze.secretName.database" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "wenze.fullname" .)) -}}
{{- end -}}

{{- define "wenze.secretName.personReference" -}}
{{- .Values.personReference.existingSecret | default (printf "%s-person-reference" (include "wenze.fullname" .)) -}}
{{- end -}}

{{- define "wenze.configName.env" -}}
{{- printf "%s-env" (include "wenze.fullname" .) -}}
{{- end -}}

{{- define "wenze.configName.rulesets" -}}
{{- printf "%s-rulesets" (include "wenze.fullname" .) -}}
{{- end -}}

{{/* The rule packs of the deployment's tenants, as ConfigMap keys (no "/" allowed in a key):
     files/rulesets/kunshan/decisions/routing.yaml → kunshan.decisions.routing.yaml */}}
{{- define "wenze.rulesetFiles" -}}
{{- $files := dict -}}
{{- range $path, $_ := .Files.Glob "files/rulesets/**" -}}
{{- $rel := trimPrefix "files/rulesets/" $path -}}
{{- $tenant := first (splitList "/" $rel) -}}
{{- if has $tenant $.Values.tenants -}}
{{- $_ := set $files ($rel | replace "/" ".") $rel -}}
{{- end -}}
{{- end -}}
{{- toYaml $files -}}
{{- end -}}

{{/* Settings and secrets every process of a service reads: dict "root" $ "svc" "intake" "component" $c */}}
{{- define "wenze.env" -}}
{{- $prefix := include "wenze.envPrefix" .svc -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "wenze.secretName.database" .root }}
      key: {{ .root.Values.database.appUrlKey }}
{{- with .component.nats.credentials }}
{{- if .existingSecret }}
{{- if eq .kind "userPassword" }}
- name: {{ $prefix }}NATS_USER
  valueFrom:
    secretKeyRef: {name: {{ .existingSecret }}, key: user}
- name: {{ $prefix }}NATS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .existingSecret }}, key: password}
{{- else if eq .kind "nkey" }}
- name: {{ $prefix }}NATS_NKEY_SEED_FILE
  value: /etc/wenze/nats/{{ .key }}
{{- else }}
- name: {{ $prefix }}NATS_CREDS_FILE
  value: /etc/wenze/nats/{{ .key }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $value := .root.Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- range $name, $value := .component.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- range $name, $ref := .component.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef: {name: {{ $ref.secret }}, key: {{ $ref.key }}}
{{- end }}
{{- end -}}

{{- define "wenze.natsCredentialsVolume" -}}
{{- with .component.nats.credentials }}
{{- if and .existingSecret (ne .kind "userPassword") }}
- name: nats-credentials
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0400
    items:
      - key: {{ .key }}
        path: {{ .key }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "wenze.natsCredentialsMount" -}}
{{- with .component.nats.credentials }}
{{- if and .existingSecret (ne .kind "userPassword") }}
- name: nats-credentials
  mountPath: /etc/wenze/nats
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Egress every Wenze pod needs: DNS, PostgreSQL, NATS and, when traces are exported, OTLP. */}}
{{- define "wenze.egressRule" -}}
- ports:
  {{- range .ports }}
    - {protocol: {{ .protocol | default "TCP" }}, port: {{ .port }}}
  {{- end }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "wenze.baseEgress" -}}
{{- $v := .Values -}}
{{ include "wenze.egressRule" (dict "ports" (list (dict "port" 53 "protocol" "UDP") (dict "port" 53 "protocol" "TCP")) "peers" $v.networkPolicy.dns.peers) }}
{{ include "wenze.egressRule" (dict "ports" (list (dict "port" $v.database.port)) "peers" $v.database.peers) }}
{{ include "wenze.egressRule" (dict "ports" (list (dict "port" $v.nats.port)) "peers" $v.nats.peers) }}
{{- if $v.otel.endpoint }}
{{ include "wenze.egressRule" (dict "ports" (list (dict "port" $v.otel.port)) "peers" $v.otel.peers) }}
{{- end }}
{{- end -}}

{{/* The port Keycloak is reached on, from the URL the services fetch keys from. */}}
{{- define "wenze.keycloakPort" -}}
{{- $url := urlParse (.Values.keycloak.internalUrl | default .Values.keycloak.url) -}}
{{- $hostport := splitList ":" $url.host -}}
{{- if gt (len $hostport) 1 -}}
{{- last $hostport -}}
{{- else if eq $url.scheme "https" -}}
443
{{- else -}}
80
{{- end -}}
{{- end -}}

{{- define "wenze.checks" -}}
{{- if not .Values.tenants }}{{ fail "tenants: name at least one commission" }}{{ end -}}
{{- range .Values.tenants -}}
{{- if not ($.Files.Get (printf "files/rulesets/%s/pack.yaml" .)) -}}
{{- fail (printf "tenants: %q has no rule pack in the chart (files/rulesets/%s)" . .) -}}
{{- end -}}
{{- end -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.url) -}}
{{- fail "database: set existingSecret (a Secret with the application and migration URLs) or url" -}}
{{- end -}}
{{- if and .Values.keda.enabled (not .Values.nats.monitoringEndpoint) -}}
{{- fail "keda.enabled needs nats.monitoringEndpoint (host:port of NATS's monitoring endpoint)" -}}
{{- end -}}
{{- if .Values.console.enabled -}}
{{- /* The schema says so too (maximum 1); this says why, when schema checks are skipped. */ -}}
{{- if gt (int .Values.console.replicas) 1 -}}
{{- fail "console.replicas: at most 1; the console keeps its sessions in its memory (ADR 0039), so a second replica would not know the first one's sessions" -}}
{{- end -}}
{{- $web := urlParse (include "wenze.consoleUrl" .) -}}
{{- if $web.path -}}
{{- fail (printf "keycloak.realmImport.webUrl: the console is served at the root of its host; %q has a path" .Values.keycloak.realmImport.webUrl) -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.tls.enabled (ne $web.scheme "https") -}}
{{- fail (printf "keycloak.realmImport.webUrl: the Ingress serves TLS, so the console's address is https://%s, not %q" $web.host .Values.keycloak.realmImport.webUrl) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The console's public address (keycloak.realmImport.webUrl, the wenze-web client's base
     URL), without a trailing slash: its Ingress host, its login callbacks, the redirect URIs. */}}
{{- define "wenze.consoleUrl" -}}
{{- .Values.keycloak.realmImport.webUrl | trimSuffix "/" -}}
{{- end -}}

{{/* The console's host on the Ingress: the public address without scheme or port. */}}
{{- define "wenze.consoleHost" -}}
{{- first (splitList ":" (urlParse (include "wenze.consoleUrl" .)).host) -}}
{{- end -}}

{{- define "wenze.consoleName" -}}
{{- printf "%s-console" (include "wenze.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The console's pods, as a NetworkPolicy peer or a selector: dict "root" $ */}}
{{- define "wenze.consoleSelectorLabels" -}}
{{ include "wenze.componentSelectorLabels" (dict "root" .root "svc" "console" "role" "web") }}
{{- end -}}

{{/* Platform-wide settings: the env ConfigMap's data, and the hook Jobs' environment (hooks
     run before the release's ConfigMaps exist on a first install). */}}
{{- define "wenze.platformEnv" -}}
WENZE_TENANTS: {{ join "," .Values.tenants | quote }}
WENZE_PLATFORM_REALM: {{ .Values.platformRealm | quote }}
WENZE_OIDC_BASE_URL: {{ .Values.keycloak.url | quote }}
{{- with .Values.keycloak.internalUrl }}
WENZE_OIDC_INTERNAL_URL: {{ . | quote }}
{{- end }}
WENZE_OIDC_AUDIENCE: {{ .Values.keycloak.audience | quote }}
NATS_URL: {{ .Values.nats.url | quote }}
WENZE_STREAM_REPLICAS: {{ .Values.nats.streamReplicas | quote }}
WENZE_DATA_DIR: /var/lib/wenze
{{- with .Values.otel.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end -}}
