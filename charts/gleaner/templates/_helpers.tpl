{{/*
The four services: values key -> CLI service name (also the object-name suffix and component label).
*/}}
{{- define "gleaner.services" -}}
broker: broker
idleDetector: idle-detector
virtualKubelet: virtual-kubelet
descheduler: descheduler
{{- end }}

{{- define "gleaner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name prefix; service suffixes (at most 16 characters) are appended to it, so keep it short.
*/}}
{{- define "gleaner.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gleaner.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gleaner.instance" -}}
{{- default .Release.Name .Values.instance }}
{{- end }}

{{- define "gleaner.labels" -}}
helm.sh/chart: {{ include "gleaner.chart" . }}
app.kubernetes.io/name: {{ include "gleaner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gleaner
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels of one component. Call with (dict "root" $ "component" "broker").
*/}}
{{- define "gleaner.componentLabels" -}}
{{ include "gleaner.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Labels every pod of this release carries (the four services and the bundled ZooKeeper).
*/}}
{{- define "gleaner.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "gleaner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gleaner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gleaner.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Image reference: (dict "image" <service image values> "global" <global image values> "appVersion" ...).
*/}}
{{- define "gleaner.image" -}}
{{- $img := merge (deepCopy (default dict .image)) .global }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default .appVersion $img.tag | toString) }}
{{- end }}
{{- end }}

{{- define "gleaner.imagePullPolicy" -}}
{{- $img := merge (deepCopy (default dict .image)) .global }}
{{- $img.pullPolicy }}
{{- end }}

{{- define "gleaner.zookeeperFullname" -}}
{{- printf "%s-zookeeper" (include "gleaner.fullname" .) }}
{{- end }}

{{/*
"true" when the bundled ensemble is deployed: enabled, and no external ensemble named in zookeeper.connect.
*/}}
{{- define "gleaner.zookeeperBundled" -}}
{{- if and .Values.zookeeper.bundled.enabled (not .Values.zookeeper.connect) }}true{{ end }}
{{- end }}

{{/*
"true" when the bundled ensemble serves TLS (zookeeper.bundled.tls): its certificate is of grpcTls's CA, so not without
grpcTls (grpcTls.enabled=false already means plaintext inside the release).
*/}}
{{- define "gleaner.zookeeperBundledTls" -}}
{{- if and (include "gleaner.zookeeperBundled" .) .Values.zookeeper.bundled.tls.enabled .Values.grpcTls.enabled }}
{{- "true" }}
{{- end }}
{{- end }}

{{/*
The CA file the services verify ZooKeeper with, when they connect over TLS: grpcTls's CA for the bundled ensemble,
the mounted zookeeper.tls.caSecret for an external one; empty for plaintext.
*/}}
{{- define "gleaner.zookeeperCaFile" -}}
{{- if eq (include "gleaner.zookeeperBundledTls" .) "true" }}/etc/gleaner/grpc-tls/ca.crt
{{- else if and .Values.zookeeper.connect .Values.zookeeper.tls.caSecret }}/etc/gleaner/zookeeper-tls/ca.crt
{{- end }}
{{- end }}

{{/*
A PEM EC P-256 private key as Helm's genPrivateKey "ecdsa" writes it (SEC 1) in PKCS#8, the only form ZooKeeper
reads: PrivateKeyInfo{version 0, {id-ecPublicKey, prime256v1}, OCTET STRING <the 121-byte SEC 1 key>}.
*/}}
{{- define "gleaner.pkcs8" -}}
{{- $sec1 := regexReplaceAll "-----[A-Z ]+-----|\\s" . "" | b64dec }}
{{- if ne (len $sec1) 121 }}
{{- fail (printf "internal: an EC P-256 key of %d bytes, expected 121" (len $sec1)) }}
{{- end }}
{{- $der := printf "%s%s" "\x30\x81\x93\x02\x01\x00\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x04\x79" $sec1 }}
{{- printf "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" (regexFindAll ".{1,64}" ($der | b64enc) -1 | join "\n") }}
{{- end }}

{{/*
ZooKeeper connect string: the external ensemble if zookeeper.connect is set, else the bundled one.
Fails when there is neither.
*/}}
{{- define "gleaner.zookeeperConnect" -}}
{{- if .Values.zookeeper.connect }}
{{- .Values.zookeeper.connect }}
{{- else if .Values.zookeeper.bundled.enabled }}
{{- printf "%s.%s.svc:%d" (include "gleaner.zookeeperFullname" .) .Release.Namespace (ternary 2281 2181 (eq (include "gleaner.zookeeperBundledTls" .) "true")) }}
{{- else }}
{{- fail "zookeeper: Gleaner needs ZooKeeper; set zookeeper.connect to an existing ensemble (host:port,...) or zookeeper.bundled.enabled=true for a bundled StatefulSet" }}
{{- end }}
{{- end }}

{{- define "gleaner.brokerAddress" -}}
{{- if .Values.brokerAddress }}
{{- .Values.brokerAddress }}
{{- else }}
{{- printf "%s-broker.%s.svc:%v" (include "gleaner.fullname" .) .Release.Namespace .Values.broker.grpcPort }}
{{- end }}
{{- end }}

{{/*
Name of the Secret with the ZooKeeper credentials (zookeeper.auth): the user's own or the generated one.
*/}}
{{- define "gleaner.zookeeperAuthSecret" -}}
{{- default (printf "%s-zookeeper-auth" (include "gleaner.fullname" .)) .Values.zookeeper.auth.existingSecret }}
{{- end }}

{{- define "gleaner.memberSecretsNamespace" -}}
{{- default .Release.Namespace .Values.memberSecretsNamespace }}
{{- end }}

{{/*
The config file of one service (keys as in GleanerConfig): its own section, the shared `zk` and `leaderElection`
sections and the broker's address; the broker's also the virtual-kubelet's `namespaceMapping` when set. Connect string, chroot, leader election, metrics address and instance go on
the command line as flags. Call with (dict "root" $ "key" "broker").
*/}}
{{- define "gleaner.config" -}}
{{- $root := .root }}
{{- $svc := index $root.Values .key }}
{{- $section := deepCopy (default dict $svc.config) }}
{{- if eq .key "broker" }}
{{- $grpc := default dict (index $section "grpc") }}
{{- if not (hasKey $grpc "port") }}
{{- $_ := set $grpc "port" $svc.grpcPort }}
{{- end }}
{{- $_ := set $section "grpc" $grpc }}
{{- end }}
{{- if eq .key "virtualKubelet" }}
{{- if not (hasKey $section "nodeName") }}
{{- $_ := set $section "nodeName" $svc.nodeName }}
{{- end }}
{{- if not (hasKey $section "kubeletPort") }}
{{- $_ := set $section "kubeletPort" $svc.kubeletPort }}
{{- end }}
{{- if and (ne $svc.tls.mode "selfSigned") (not (hasKey $section "tls")) }}
{{- if eq $svc.tls.mode "secret" }}
{{- $_ := set $section "tls" (dict "certFile" "/etc/gleaner/tls/tls.crt" "keyFile" "/etc/gleaner/tls/tls.key") }}
{{- else }}
{{- $_ := set $section "tls" (dict "csr" true) }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq .key "descheduler" }}
{{- $hooks := default dict (index $section "hooks") }}
{{- $server := default dict (index $hooks "server") }}
{{- if not (hasKey $server "port") }}
{{- $_ := set $server "port" $svc.hooks.grpcPort }}
{{- end }}
{{- if and $svc.hooks.tls.secretName (not $root.Values.grpcTls.enabled) (not (hasKey $server "tls")) }}
{{- $_ := set $server "tls" (dict "certFile" "/etc/gleaner/hooks-tls/tls.crt" "keyFile" "/etc/gleaner/hooks-tls/tls.key") }}
{{- end }}
{{- if not (hasKey $server "subscribers") }}
{{- $_ := set $server "subscribers" $svc.hooks.subscribers }}
{{- end }}
{{- if not (hasKey $server "maxWatchersPerIdentity") }}
{{- $_ := set $server "maxWatchersPerIdentity" $svc.hooks.maxWatchersPerIdentity }}
{{- end }}
{{- $_ := set $hooks "server" $server }}
{{- $webhooks := default dict (index $hooks "webhooks") }}
{{- range $name, $w := $svc.hooks.webhooks }}
{{- $c := omit $w "signingKeySecret" }}
{{- $_ := set $c "secretFile" (printf "/etc/gleaner/webhooks/%s/%s" $name (default "key" $w.signingKeySecret.key)) }}
{{- $_ := set $webhooks $name $c }}
{{- end }}
{{- if $webhooks }}
{{- $_ := set $hooks "webhooks" $webhooks }}
{{- end }}
{{- $_ := set $section "hooks" $hooks }}
{{- end }}
{{- $cfg := dict .key $section }}
{{- if eq .key "broker" }}
{{- with (default dict $root.Values.virtualKubelet.config).namespaceMapping }}
{{- /* the broker finds the member ResourceQuotas that bind a pod where the virtual-kubelet puts it */}}
{{- $_ := set $cfg "virtualKubelet" (dict "namespaceMapping" .) }}
{{- end }}
{{- end }}
{{- if ne .key "broker" }}
{{- $_ := set $cfg "brokerAddress" (include "gleaner.brokerAddress" $root) }}
{{- end }}
{{- with $root.Values.zookeeper.config }}
{{- $_ := set $cfg "zk" . }}
{{- end }}
{{- with $root.Values.leaderElection }}
{{- $_ := set $cfg "leaderElection" . }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/*
`over` laid over `base`, two levels deep (e.g. securityContext.capabilities), as YAML. Unlike sprig's merge, a false
or empty value in `over` wins, so a service can turn off what the global value turns on.
Call with (dict "base" <map> "over" <map>).
*/}}
{{- define "gleaner.overlay" -}}
{{- $out := deepCopy (default dict .base) }}
{{- range $k, $v := default dict .over }}
{{- if and (kindIs "map" $v) (kindIs "map" (index $out $k)) }}
{{- $inner := deepCopy (index $out $k) }}
{{- range $k2, $v2 := $v }}
{{- $_ := set $inner $k2 $v2 }}
{{- end }}
{{- $_ := set $out $k $inner }}
{{- else }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Effective security contexts of one service: its own values over the global ones. Call with (dict "root" $ "svc" <values>).
*/}}
{{- define "gleaner.podSecurityContext" -}}
{{- include "gleaner.overlay" (dict "base" .root.Values.podSecurityContext "over" .svc.podSecurityContext) }}
{{- end }}

{{- define "gleaner.securityContext" -}}
{{- include "gleaner.overlay" (dict "base" .root.Values.securityContext "over" .svc.securityContext) }}
{{- end }}

{{/*
What in a pod and container security context breaks the restricted Pod Security Standard, one "- where: rule" line
each (empty when nothing does). Call with (dict "where" "broker" "pod" <podSecurityContext> "container" <securityContext>).
*/}}
{{- define "gleaner.restrictedViolations" -}}
{{- $p := default dict .pod }}
{{- $c := default dict .container }}
{{- $w := .where }}
{{- if and (hasKey $c "runAsNonRoot") (not $c.runAsNonRoot) }}
- {{ $w }}: securityContext.runAsNonRoot must not be false
{{- else if and (not $p.runAsNonRoot) (not $c.runAsNonRoot) }}
- {{ $w }}: podSecurityContext.runAsNonRoot must be true
{{- end }}
{{- if and (hasKey $p "runAsUser") (eq (int $p.runAsUser) 0) }}
- {{ $w }}: podSecurityContext.runAsUser must not be 0
{{- end }}
{{- if and (hasKey $c "runAsUser") (eq (int $c.runAsUser) 0) }}
- {{ $w }}: securityContext.runAsUser must not be 0
{{- end }}
{{- $podSeccomp := dig "seccompProfile" "type" "" $p }}
{{- $seccomp := dig "seccompProfile" "type" "" $c }}
{{- if and $podSeccomp (not (has $podSeccomp (list "RuntimeDefault" "Localhost"))) }}
- {{ $w }}: podSecurityContext.seccompProfile.type must be RuntimeDefault or Localhost
{{- end }}
{{- if and $seccomp (not (has $seccomp (list "RuntimeDefault" "Localhost"))) }}
- {{ $w }}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost
{{- end }}
{{- if not (or $podSeccomp $seccomp) }}
- {{ $w }}: podSecurityContext.seccompProfile.type must be RuntimeDefault or Localhost
{{- end }}
{{- if not (and (hasKey $c "allowPrivilegeEscalation") (eq (toString $c.allowPrivilegeEscalation) "false")) }}
- {{ $w }}: securityContext.allowPrivilegeEscalation must be false
{{- end }}
{{- if $c.privileged }}
- {{ $w }}: securityContext.privileged must not be true
{{- end }}
{{- if not $c.readOnlyRootFilesystem }}
- {{ $w }}: securityContext.readOnlyRootFilesystem must be true
{{- end }}
{{- if not (has "ALL" (dig "capabilities" "drop" list $c)) }}
- {{ $w }}: securityContext.capabilities.drop must contain ALL
{{- end }}
{{- if without (dig "capabilities" "add" list $c) "NET_BIND_SERVICE" }}
- {{ $w }}: securityContext.capabilities.add may hold only NET_BIND_SERVICE
{{- end }}
{{- end }}

{{/*
Subjects of the gRPC mutual-TLS certificates (grpcTls), as YAML: identity (the certificate's CN) -> DNS names. Each
enabled service gets its Service's names plus grpcTls.extraDnsNames; each of grpcTls.clients gets none.
*/}}
{{- define "gleaner.grpcTlsSubjects" -}}
{{- $fullname := include "gleaner.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $out := dict }}
{{- range $key, $cli := include "gleaner.services" . | fromYaml }}
{{- if (index $.Values $key).enabled }}
{{- $svc := printf "%s-%s" $fullname $cli }}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- $_ := set $out $cli (concat $names $.Values.grpcTls.extraDnsNames) }}
{{- end }}
{{- end }}
{{- range .Values.grpcTls.clients }}
{{- $_ := set $out . list }}
{{- end }}
{{- if eq (include "gleaner.zookeeperBundledTls" .) "true" }}
{{- $zk := include "gleaner.zookeeperFullname" . }}
{{- $names := list $zk (printf "%s.%s" $zk $ns) (printf "%s.%s.svc" $zk $ns) (printf "%s.%s.svc.cluster.local" $zk $ns) (printf "*.%s-headless.%s.svc" $zk $ns) (printf "*.%s-headless.%s.svc.cluster.local" $zk $ns) }}
{{- $_ := set $out "zookeeper" $names }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Name of the Secret holding one identity's gRPC certificate. Call with (dict "root" $ "id" "broker").
*/}}
{{- define "gleaner.grpcTlsSecret" -}}
{{- printf "%s-%s-grpc-tls" (include "gleaner.fullname" .root) .id }}
{{- end }}

{{/*
Flags that point one service at its mounted gRPC certificate (grpcTls): the broker serves it and requires client
certificates of its CA; every other service presents it to the broker and verifies the broker; the descheduler also
serves reclaim hooks with it. A TLS section the service's own `config` sets wins. Call with (dict "root" $ "key" "broker").
*/}}
{{- define "gleaner.grpcTlsArgs" -}}
{{- $svc := index .root.Values .key }}
{{- $section := default dict $svc.config }}
{{- $dir := "/etc/gleaner/grpc-tls" }}
{{- if eq .key "broker" }}
{{- if not (hasKey (default dict (index $section "grpc")) "tls") }}
- --set=broker.grpc.tls.certFile={{ $dir }}/tls.crt
- --set=broker.grpc.tls.keyFile={{ $dir }}/tls.key
- --set=broker.grpc.tls.clientCaFile={{ $dir }}/ca.crt
{{- end }}
{{- else }}
- --set=brokerTls.caFile={{ $dir }}/ca.crt
- --set=brokerTls.certFile={{ $dir }}/tls.crt
- --set=brokerTls.keyFile={{ $dir }}/tls.key
{{- end }}
{{- if eq .key "descheduler" }}
{{- if not (hasKey (default dict (index (default dict (index $section "hooks")) "server")) "tls") }}
- --set=descheduler.hooks.server.tls.certFile={{ $dir }}/tls.crt
- --set=descheduler.hooks.server.tls.keyFile={{ $dir }}/tls.key
- --set=descheduler.hooks.server.tls.clientCaFile={{ $dir }}/ca.crt
{{- end }}
{{- end }}
{{- end }}
