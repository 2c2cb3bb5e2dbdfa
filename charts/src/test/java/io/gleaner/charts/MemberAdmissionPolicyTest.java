package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER_MEMBER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.gleaner.sim.apiserver.admission.AdmissionRequest;
import io.gleaner.sim.apiserver.admission.Denial;
import io.gleaner.sim.apiserver.admission.PolicyException;
import io.gleaner.sim.apiserver.admission.ValidatingPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The member chart's ValidatingAdmissionPolicy, rendered and evaluated with CEL against the
 * requests Gleaner's identity makes in a member and against forged ones: every expression must
 * compile (a broken one fails the build), Gleaner's own work is allowed, everything else it could
 * do through its ClusterRole is refused, and other users are not matched.
 */
class MemberAdmissionPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAME = "glean-gleaner-member";
  private static final String GLEANER = "system:serviceaccount:gleaner-system:" + NAME;
  private static final String INSTANCE = "prod";
  private static final String MEMBER_POD = "gl-0123456789abcdef";
  private static final Map<String, String> OWN =
      Map.of("gleaner.io/managed", "true", "gleaner.io/instance", INSTANCE);
  private static final Map<String, String> OWN_COPY =
      Map.of(
          "gleaner.io/managed", "true", "gleaner.io/instance", INSTANCE, "gleaner.io/copy", "true");

  private final List<ValidatingPolicy.Decision> decisions = new ArrayList<>();

  private static JsonNode policyJson(Map<String, ?> values) {
    return JSON.valueToTree(
        render(GLEANER_MEMBER, values).get(ValidatingAdmissionPolicy.class, NAME));
  }

  private static ValidatingPolicy policy(Map<String, ?> values) {
    return ValidatingPolicy.compile(policyJson(values));
  }

  private final ValidatingPolicy policy = policy(values("instance", INSTANCE));

  private ValidatingPolicy.Decision decide(ValidatingPolicy p, AdmissionRequest r) {
    ValidatingPolicy.Decision d = p.evaluate(r, NAME);
    decisions.add(d);
    // the policy's variables are written never to fail, on any request
    assertThat(d.variableErrors()).as("variable errors for %s", r).isEmpty();
    return d;
  }

  private void allowed(AdmissionRequest r) {
    ValidatingPolicy.Decision d = decide(policy, r);
    assertThat(d.matched()).as("matched: %s", r).isTrue();
    assertThat(d.denial()).as("%s %s %s", r.operation(), r.resourcePath(), r.name()).isEmpty();
  }

  private Denial denied(AdmissionRequest r) {
    ValidatingPolicy.Decision d = decide(policy, r);
    assertThat(d.matched()).isTrue();
    assertThat(d.denial())
        .as("%s %s %s should be denied", r.operation(), r.resourcePath(), r.name())
        .isPresent();
    Denial denial = d.denial().get();
    assertThat(denial.code()).isEqualTo(403);
    assertThat(denial.cause())
        .startsWith(
            "ValidatingAdmissionPolicy '"
                + NAME
                + "' with binding '"
                + NAME
                + "' denied request: ");
    return denial;
  }

  // Objects.

  private static ObjectNode meta(String namespace, String name, Map<String, String> labels) {
    ObjectNode o = JSON.createObjectNode();
    ObjectNode m = o.putObject("metadata");
    m.put("name", name);
    if (namespace != null) {
      m.put("namespace", namespace);
    }
    if (labels != null) {
      labels.forEach(m.putObject("labels")::put);
    }
    return o;
  }

  private static ObjectNode pod(String namespace, String name, Map<String, String> labels) {
    ObjectNode p = meta(namespace, name, labels);
    p.put("apiVersion", "v1").put("kind", "Pod");
    ObjectNode spec = p.putObject("spec");
    spec.put("serviceAccountName", "default");
    spec.putArray("containers").addObject().put("name", "main").put("image", "busybox");
    return p;
  }

  private static ObjectNode namespace(String name, Map<String, String> labels) {
    return meta(null, name, labels).put("apiVersion", "v1").put("kind", "Namespace");
  }

  private static final ObjectNode GLEANER_NS =
      namespace("gleaner-team-a", Map.of("gleaner.io/managed", "true"));
  private static final ObjectNode KUBE_SYSTEM = namespace("kube-system", null);

  private static ObjectNode node(Map<String, String> labels, Map<String, String> annotations) {
    ObjectNode n = meta(null, "n1", labels).put("apiVersion", "v1").put("kind", "Node");
    annotations.forEach(((ObjectNode) n.path("metadata")).putObject("annotations")::put);
    n.putObject("spec").put("podCIDR", "10.0.1.0/24");
    return n;
  }

  private static final Map<String, String> NODE_LABELS =
      Map.of("kubernetes.io/hostname", "n1", "node-role", "online");
  private static final Map<String, String> NODE_ANNOTATIONS =
      Map.of("node.alpha.kubernetes.io/ttl", "0");

  private static ObjectNode secret(String namespace, String name, Map<String, String> labels) {
    ObjectNode s = meta(namespace, name, labels).put("apiVersion", "v1").put("kind", "Secret");
    s.put("type", "Opaque");
    s.putObject("data").put("k", "dg==");
    return s;
  }

  // Requests.

  private static AdmissionRequest request(
      String user,
      String op,
      String resource,
      String sub,
      JsonNode namespaceObject,
      String name,
      JsonNode object,
      JsonNode oldObject) {
    String ns =
        namespaceObject == null ? "" : namespaceObject.path("metadata").path("name").asText();
    return new AdmissionRequest(
        op,
        user,
        List.of("system:serviceaccounts"),
        "",
        "v1",
        resource,
        sub,
        ns,
        name,
        object,
        oldObject,
        namespaceObject);
  }

  private static AdmissionRequest createPod(JsonNode ns, ObjectNode pod) {
    return request(GLEANER, "CREATE", "pods", "", ns, pod.at("/metadata/name").asText(), pod, null);
  }

  private static AdmissionRequest deletePod(String user, JsonNode ns, ObjectNode pod) {
    return request(user, "DELETE", "pods", "", ns, pod.at("/metadata/name").asText(), null, pod);
  }

  private static AdmissionRequest evict(JsonNode ns, String pod) {
    ObjectNode eviction =
        meta(ns.at("/metadata/name").asText(), pod, null)
            .put("apiVersion", "policy/v1")
            .put("kind", "Eviction");
    return request(GLEANER, "CREATE", "pods", "eviction", ns, pod, eviction, null);
  }

  private static AdmissionRequest exec(JsonNode ns, String pod) {
    ObjectNode options = JSON.createObjectNode().put("kind", "PodExecOptions");
    options.putArray("command").add("sh");
    return request(GLEANER, "CONNECT", "pods", "exec", ns, pod, options, null);
  }

  private static AdmissionRequest patchNode(ObjectNode before, ObjectNode after) {
    return request(GLEANER, "UPDATE", "nodes", "", null, "n1", after, before);
  }

  private static AdmissionRequest write(
      String op, String resource, JsonNode ns, ObjectNode object, ObjectNode old) {
    String name = (object != null ? object : old).at("/metadata/name").asText();
    return request(GLEANER, op, resource, "", ns, name, object, old);
  }

  // The cases.

  @Test
  void everyExpressionCompilesAndTheBindingDeniesWithThePolicy() {
    RenderedChart chart = render(GLEANER_MEMBER);
    ValidatingAdmissionPolicy vap = chart.get(ValidatingAdmissionPolicy.class, NAME);
    int declared =
        vap.getSpec().getMatchConditions().size()
            + vap.getSpec().getVariables().size()
            + vap.getSpec().getValidations().size();
    assertThat(ValidatingPolicy.compile(JSON.valueToTree(vap)).expressions()).isEqualTo(declared);
    assertThat(vap.getSpec().getFailurePolicy()).isEqualTo("Fail");
    ValidatingAdmissionPolicyBinding binding =
        chart.get(ValidatingAdmissionPolicyBinding.class, NAME);
    assertThat(binding.getSpec().getPolicyName()).isEqualTo(NAME);
    assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
    assertThat(binding.getSpec().getMatchResources()).isNull();
  }

  @Test
  void aBrokenExpressionFailsNamingItsField() {
    ObjectNode broken = (ObjectNode) policyJson(Map.of()).deepCopy();
    ((ObjectNode) broken.at("/spec/validations/2")).put("expression", "variables.subResource in [");
    ((ObjectNode) broken.at("/spec/variables/1")).put("expression", "request.nope(");
    assertThatThrownBy(() -> ValidatingPolicy.compile(broken))
        .isInstanceOf(PolicyException.class)
        .satisfies(
            e ->
                assertThat(((PolicyException) e).problems())
                    .hasSize(2)
                    .anyMatch(p -> p.startsWith("spec.validations[2].expression: "))
                    .anyMatch(p -> p.startsWith("spec.variables[1].expression: ")));
  }

  @Test
  void gleanerCreatesAndDeletesItsOwnPods() {
    allowed(createPod(GLEANER_NS, pod("gleaner-team-a", MEMBER_POD, OWN)));
    allowed(deletePod(GLEANER, GLEANER_NS, pod("gleaner-team-a", MEMBER_POD, OWN)));
    // a pod left in a namespace that is not Gleaner's (the namespace mapping changed) is still its
    allowed(deletePod(GLEANER, KUBE_SYSTEM, pod("kube-system", MEMBER_POD, OWN)));
  }

  @Test
  void gleanerMayNotDeleteNorCreateOthersPods() {
    assertThat(
            denied(deletePod(GLEANER, KUBE_SYSTEM, pod("kube-system", "coredns-1", null)))
                .message())
        .isEqualTo(
            "Gleaner's identity creates, patches and deletes only Gleaner's pods (labels gleaner.io/managed=true and"
                + " gleaner.io/instance=prod), and creates them only in namespaces labelled"
                + " gleaner.io/managed=true");
    denied(
        deletePod(
            GLEANER,
            GLEANER_NS,
            pod(
                "gleaner-team-a",
                MEMBER_POD,
                Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "other"))));
    denied(deletePod(GLEANER, GLEANER_NS, pod("gleaner-team-a", "web-1", Map.of("app", "web"))));
    // Gleaner's labels on a pod in a namespace that is not Gleaner's
    denied(createPod(KUBE_SYSTEM, pod("kube-system", MEMBER_POD, OWN)));
    // another installation's labels
    denied(
        createPod(
            GLEANER_NS,
            pod(
                "gleaner-team-a",
                MEMBER_POD,
                Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "other"))));
    ObjectNode withAccount = pod("gleaner-team-a", MEMBER_POD, OWN);
    ((ObjectNode) withAccount.path("spec")).put("serviceAccountName", "admin");
    assertThat(denied(createPod(GLEANER_NS, withAccount)).message())
        .isEqualTo(
            "Gleaner's identity creates pods only with the namespace's default ServiceAccount");
  }

  private static AdmissionRequest patchPod(JsonNode ns, ObjectNode before, ObjectNode after) {
    return request(
        GLEANER, "UPDATE", "pods", "", ns, before.at("/metadata/name").asText(), after, before);
  }

  private static ObjectNode deadlined(ObjectNode pod) {
    ObjectNode p = pod.deepCopy();
    ((ObjectNode) p.path("spec")).put("activeDeadlineSeconds", 600);
    return p;
  }

  private static ObjectNode annotated(ObjectNode pod, Map<String, String> annotations) {
    ObjectNode p = pod.deepCopy();
    annotations.forEach(((ObjectNode) p.path("metadata")).putObject("annotations")::put);
    return p;
  }

  @Test
  void gleanerNotesOnItsOwnPodsWhyItEvictsThemAndChangesNothingElse() {
    ObjectNode own = annotated(pod("gleaner-team-a", MEMBER_POD, OWN), Map.of("a.io/x", "1"));
    ObjectNode noted =
        annotated(
            own,
            Map.of(
                "a.io/x",
                "1",
                "gleaner.io/reclaim-reason",
                "TeamGuarantee",
                "gleaner.io/reclaim-message",
                "Gleaner gave the pod's room to team ads"));
    allowed(patchPod(GLEANER_NS, own, noted));

    ObjectNode foreign = pod("default", "web-1", Map.of("app", "web"));
    denied(
        patchPod(
            namespace("default", null),
            foreign,
            annotated(foreign, Map.of("gleaner.io/reclaim-reason", "TeamGuarantee"))));
    String only =
        "Gleaner's identity changes on its pods only the annotations gleaner.io/reclaim-reason"
            + " and gleaner.io/reclaim-message, and spec.activeDeadlineSeconds";
    // another annotation, a label, the spec: no
    assertThat(denied(patchPod(GLEANER_NS, own, annotated(own, Map.of("a.io/x", "2")))).message())
        .isEqualTo(only);
    denied(patchPod(GLEANER_NS, own, annotated(own, Map.of())));
    ObjectNode relabelled = noted.deepCopy();
    ((ObjectNode) relabelled.at("/metadata/labels")).put("app", "x");
    assertThat(denied(patchPod(GLEANER_NS, own, relabelled)).message()).isEqualTo(only);
    // of the spec fields an update may change (the API server refuses the others), only the
    // deadline
    ObjectNode reimaged = noted.deepCopy();
    ((ObjectNode) reimaged.at("/spec/containers/0")).put("image", "evil:latest");
    assertThat(denied(patchPod(GLEANER_NS, own, reimaged)).message()).isEqualTo(only);
    ObjectNode tolerating = noted.deepCopy();
    ((ObjectNode) tolerating.path("spec"))
        .putArray("tolerations")
        .addObject()
        .put("key", "dedicated")
        .put("operator", "Exists");
    assertThat(denied(patchPod(GLEANER_NS, own, tolerating)).message()).isEqualTo(only);
    ObjectNode graced = noted.deepCopy();
    ((ObjectNode) graced.path("spec")).put("terminationGracePeriodSeconds", 1);
    denied(patchPod(GLEANER_NS, own, graced));
    ObjectNode deadline = own.deepCopy();
    ((ObjectNode) deadline.path("spec")).put("activeDeadlineSeconds", 600);
    allowed(patchPod(GLEANER_NS, own, deadline));
    denied(patchPod(namespace("default", null), foreign, deadlined(foreign)));
    ObjectNode finalized = noted.deepCopy();
    ((ObjectNode) finalized.path("metadata")).putArray("finalizers").add("x.io/keep");
    denied(patchPod(GLEANER_NS, own, finalized));
  }

  @Test
  void gleanerEvictsAndExecsOnlyItsMemberPodsInItsNamespaces() {
    allowed(evict(GLEANER_NS, MEMBER_POD));
    allowed(exec(GLEANER_NS, MEMBER_POD));
    Denial foreign = denied(evict(KUBE_SYSTEM, "coredns-1"));
    assertThat(foreign.statusMessage("pods", "coredns-1"))
        .isEqualTo(
            "pods \"coredns-1\" is forbidden: ValidatingAdmissionPolicy '"
                + NAME
                + "' with binding '"
                + NAME
                + "' denied request: Gleaner's identity evicts, execs into and attaches to only"
                + " Gleaner's member pods (gl-<16 hex digits>) in namespaces labelled"
                + " gleaner.io/managed=true");
    denied(evict(KUBE_SYSTEM, MEMBER_POD));
    denied(evict(GLEANER_NS, "web-1"));
    denied(exec(KUBE_SYSTEM, "etcd-0"));
    denied(exec(namespace("team-a", Map.of("gleaner.io/managed", "false")), MEMBER_POD));
  }

  @Test
  void scaleUpPlaceholdersArePausePodsInTheirNamespace() {
    JsonNode ns = namespace("gleaner-scale-up", null);
    ObjectNode placeholder =
        pod("gleaner-scale-up", "gleaner-up-abc", Map.of("gleaner.io/scale-up", "true"));
    ((ObjectNode) placeholder.at("/spec/containers/0")).put("image", "registry.k8s.io/pause:3.9");
    allowed(createPod(ns, placeholder));
    allowed(deletePod(GLEANER, ns, placeholder));
    denied(
        createPod(
            ns, pod("gleaner-scale-up", "gleaner-up-abc", Map.of("gleaner.io/scale-up", "true"))));
    denied(createPod(namespace("default", null), placeholder.deepCopy()));
  }

  @Test
  void gleanerLabelsAndAnnotatesNodesInItsOwnKeysOnly() {
    ObjectNode before = node(NODE_LABELS, NODE_ANNOTATIONS);
    Map<String, String> lent = new java.util.HashMap<>(NODE_LABELS);
    lent.put("gleaner.io/pool", "idle");
    lent.put("gleaner.io/lent-by", INSTANCE);
    Map<String, String> lentAnn = new java.util.HashMap<>(NODE_ANNOTATIONS);
    lentAnn.put("gleaner.io/lent-at", "2026-12-06T08:00:00Z");
    allowed(patchNode(before, node(lent, lentAnn)));
    // and back: labels removed, the cool-down written
    Map<String, String> returnedAnn = new java.util.HashMap<>(NODE_ANNOTATIONS);
    returnedAnn.put("gleaner.io/cooldown-until", "2026-12-06T09:00:00Z");
    allowed(patchNode(node(lent, lentAnn), node(NODE_LABELS, returnedAnn)));
    // co-location (or Volcano) room claimed, renewed, and the claim removed with the room
    Map<String, String> claimed = new java.util.HashMap<>(NODE_LABELS);
    claimed.put("gleaner.io/pool", "colocation");
    claimed.put("gleaner.io/lent-by", INSTANCE);
    Map<String, String> renewed = new java.util.HashMap<>(NODE_ANNOTATIONS);
    renewed.put("gleaner.io/lent-renewed-at", "2026-12-06T08:00:00Z");
    allowed(patchNode(before, node(claimed, renewed)));
    Map<String, String> later = new java.util.HashMap<>(NODE_ANNOTATIONS);
    later.put("gleaner.io/lent-renewed-at", "2026-12-06T08:00:30Z");
    allowed(patchNode(node(claimed, renewed), node(claimed, later)));
    allowed(patchNode(node(claimed, later), node(NODE_LABELS, NODE_ANNOTATIONS)));
  }

  @Test
  void gleanerMayNotChangeOtherNodeLabelsTaintsOrCordon() {
    ObjectNode before = node(NODE_LABELS, NODE_ANNOTATIONS);
    Map<String, String> relabelled = new java.util.HashMap<>(NODE_LABELS);
    relabelled.put("node-role", "batch");
    assertThat(denied(patchNode(before, node(relabelled, NODE_ANNOTATIONS))).message())
        .isEqualTo(
            "Gleaner's identity changes only node labels and annotations under gleaner.io/ (never"
                + " gleaner.io/exclude)");
    Map<String, String> dropped = new java.util.HashMap<>(NODE_LABELS);
    dropped.remove("node-role");
    denied(patchNode(before, node(dropped, NODE_ANNOTATIONS)));
    denied(patchNode(before, node(NODE_LABELS, Map.of("other.io/x", "1"))));
    Map<String, String> excluded = new java.util.HashMap<>(NODE_LABELS);
    excluded.put("gleaner.io/exclude", "true");
    denied(patchNode(node(excluded, NODE_ANNOTATIONS), before));

    ObjectNode tainted = node(NODE_LABELS, NODE_ANNOTATIONS);
    ((ObjectNode) tainted.path("spec"))
        .putArray("taints")
        .addObject()
        .put("key", "dedicated")
        .put("effect", "NoSchedule");
    assertThat(denied(patchNode(before, tainted)).message())
        .isEqualTo(
            "Gleaner's identity never changes a node's spec (taints, unschedulable), owner references"
                + " or finalizers");
    ObjectNode cordoned = node(NODE_LABELS, NODE_ANNOTATIONS);
    ((ObjectNode) cordoned.path("spec")).put("unschedulable", true);
    denied(patchNode(before, cordoned));
    ObjectNode owned = node(NODE_LABELS, NODE_ANNOTATIONS);
    ((ObjectNode) owned.path("metadata"))
        .putArray("ownerReferences")
        .addObject()
        .put("kind", "ConfigMap")
        .put("name", "x");
    denied(patchNode(before, owned));
  }

  private static ObjectNode psaNamespace(Map<String, String> labels, String level) {
    Map<String, String> l = new java.util.HashMap<>(labels);
    l.put("pod-security.kubernetes.io/enforce", level);
    l.put("pod-security.kubernetes.io/enforce-version", "latest");
    return namespace("gleaner-team-a", l);
  }

  private static AdmissionRequest patchNamespace(ObjectNode before, ObjectNode after) {
    return request(GLEANER, "UPDATE", "namespaces", "", null, "gleaner-team-a", after, before);
  }

  @Test
  void gleanerMovesOnlyItsOwnNamespacesToAnotherPodSecurityLevel() {
    Map<String, String> own = Map.of("gleaner.io/managed", "true", "gleaner.io/instance", INSTANCE);
    allowed(patchNamespace(psaNamespace(own, "baseline"), psaNamespace(own, "restricted")));

    Map<String, String> tenants = Map.of("team", "a");
    assertThat(
            denied(
                    patchNamespace(
                        psaNamespace(tenants, "restricted"), psaNamespace(tenants, "privileged")))
                .message())
        .isEqualTo(
            "Gleaner's identity changes only the pod-security.kubernetes.io/ labels of namespaces"
                + " it created (labels gleaner.io/managed=true and gleaner.io/instance=prod)");
    Map<String, String> other =
        Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "other");
    denied(patchNamespace(psaNamespace(other, "baseline"), psaNamespace(other, "restricted")));
    // its own namespace, but another label, or its own labels dropped
    Map<String, String> relabelled = new java.util.HashMap<>(own);
    relabelled.put("team", "b");
    denied(patchNamespace(psaNamespace(own, "baseline"), psaNamespace(relabelled, "baseline")));
    denied(patchNamespace(psaNamespace(own, "baseline"), psaNamespace(tenants, "baseline")));
    ObjectNode annotated = psaNamespace(own, "baseline");
    ((ObjectNode) annotated.path("metadata")).putObject("annotations").put("x", "y");
    denied(patchNamespace(psaNamespace(own, "baseline"), annotated));
  }

  @Test
  void gleanerWritesOnlyItsOwnConfigMapsAndSecrets() {
    ObjectNode copy = secret("gleaner-team-a", "db", OWN_COPY);
    allowed(write("CREATE", "secrets", GLEANER_NS, copy, null));
    allowed(write("UPDATE", "secrets", GLEANER_NS, copy, copy.deepCopy()));
    allowed(write("DELETE", "secrets", GLEANER_NS, null, copy));
    ObjectNode owner =
        meta(
            "gleaner-team-a",
            "gleaner-owner-0123456789",
            Map.of(
                "gleaner.io/managed",
                "true",
                "gleaner.io/instance",
                INSTANCE,
                "gleaner.io/pod-owner",
                "true"));
    allowed(write("CREATE", "configmaps", GLEANER_NS, owner, null));

    ObjectNode foreign = secret("team-a", "db", null);
    JsonNode teamA = namespace("team-a", null);
    // taking a member's Secret over by writing Gleaner's labels on it
    assertThat(denied(write("UPDATE", "secrets", teamA, copy.deepCopy(), foreign)).message())
        .isEqualTo(
            "Gleaner's identity creates, updates and deletes only Gleaner's ConfigMaps and Secrets"
                + " (labels gleaner.io/managed=true and gleaner.io/instance=prod)");
    denied(write("UPDATE", "secrets", teamA, foreign.deepCopy(), foreign));
    denied(write("DELETE", "secrets", teamA, null, foreign));
    denied(write("CREATE", "configmaps", teamA, meta("team-a", "settings", null), null));
    ObjectNode token = secret("gleaner-team-a", "steal", OWN_COPY);
    token.put("type", "kubernetes.io/service-account-token");
    assertThat(denied(write("CREATE", "secrets", GLEANER_NS, token, null)).message())
        .isEqualTo("Gleaner's identity never writes service-account-token Secrets");
  }

  @Test
  void gleanerWritesOnlyItsOwnPodGroups() {
    ObjectNode mirror =
        meta("gleaner-team-a", "team-a.train", OWN)
            .put("apiVersion", "scheduling.volcano.sh/v1beta1")
            .put("kind", "PodGroup");
    ObjectNode members = meta("ml", "train", null);
    allowed(podGroup("CREATE", GLEANER_NS, mirror, null));
    allowed(podGroup("UPDATE", GLEANER_NS, mirror, mirror.deepCopy()));
    allowed(podGroup("DELETE", GLEANER_NS, null, mirror));
    assertThat(
            denied(podGroup("UPDATE", namespace("ml", null), members.deepCopy(), members))
                .message())
        .isEqualTo(
            "Gleaner's identity creates, updates and deletes only Gleaner's PodGroups (labels"
                + " gleaner.io/managed=true and gleaner.io/instance=prod)");
    denied(podGroup("DELETE", namespace("ml", null), null, members));
  }

  private static AdmissionRequest podGroup(
      String op, JsonNode ns, ObjectNode object, ObjectNode old) {
    String name = (object != null ? object : old).at("/metadata/name").asText();
    return new AdmissionRequest(
        op,
        GLEANER,
        List.of(),
        "scheduling.volcano.sh",
        "v1beta1",
        "podgroups",
        "",
        ns.at("/metadata/name").asText(),
        name,
        object,
        old,
        ns);
  }

  @Test
  void requestsOfOtherUsersAreNotMatched() {
    for (String user :
        List.of(
            "system:serviceaccount:kube-system:admin",
            "system:serviceaccount:other:" + NAME,
            "system:node:n1",
            "kubernetes-admin")) {
      ValidatingPolicy.Decision d =
          decide(policy, deletePod(user, KUBE_SYSTEM, pod("kube-system", "coredns-1", null)));
      assertThat(d.matched()).as(user).isFalse();
      assertThat(d.allowed()).isTrue();
    }
    // nor reads, nor resources the policy does not cover
    assertThat(
            decide(
                    policy,
                    request(
                        GLEANER,
                        "CREATE",
                        "events",
                        "",
                        KUBE_SYSTEM,
                        "e1",
                        meta("kube-system", "e1", null),
                        null))
                .matched())
        .isFalse();
  }

  @Test
  void extraUsersAreMatchedToo() {
    ValidatingPolicy p = policy(values("admissionPolicy.users[0]", "gleaner-cert"));
    AdmissionRequest r =
        deletePod("gleaner-cert", KUBE_SYSTEM, pod("kube-system", "coredns-1", null));
    assertThat(decide(p, r).denial()).isPresent();
    assertThat(
            decide(p, deletePod(GLEANER, KUBE_SYSTEM, pod("kube-system", "coredns-1", null)))
                .denial())
        .isPresent();
  }

  @Test
  void withoutAnInstanceEveryInstallationsPodsAreGleaners() {
    ValidatingPolicy any = policy(Map.of());
    ObjectNode other =
        pod(
            "gleaner-team-a",
            MEMBER_POD,
            Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "other"));
    assertThat(decide(any, deletePod(GLEANER, GLEANER_NS, other)).denial()).isEmpty();
    Optional<Denial> foreign =
        decide(any, deletePod(GLEANER, KUBE_SYSTEM, pod("kube-system", "coredns-1", null)))
            .denial();
    assertThat(foreign).isPresent();
    assertThat(foreign.get().message()).contains("(labels gleaner.io/managed=true)");
  }

  @Test
  void thePolicyCanBeTurnedOffForClustersBefore130() {
    RenderedChart chart = render(GLEANER_MEMBER, values("admissionPolicy.enabled", false));
    assertThat(chart.all(ValidatingAdmissionPolicy.class)).isEmpty();
    assertThat(chart.all(ValidatingAdmissionPolicyBinding.class)).isEmpty();
    assertThatThrownBy(() -> render(GLEANER_MEMBER, values("admissionPolicy.users[0]", "a'b")))
        .hasMessageContaining("admissionPolicy.users");
  }

  @Test
  void anExpressionThatFailsToEvaluateDenies() {
    ObjectNode p = (ObjectNode) policyJson(Map.of()).deepCopy();
    ((ObjectNode) p.at("/spec/validations/0")).put("expression", "object.metadata.nope == 'x'");
    Optional<Denial> d =
        ValidatingPolicy.compile(p)
            .evaluate(createPod(GLEANER_NS, pod("gleaner-team-a", MEMBER_POD, OWN)), NAME)
            .denial();
    assertThat(d).isPresent();
    assertThat(d.get().code()).isEqualTo(422);
    assertThat(d.get().message())
        .startsWith("expression 'object.metadata.nope == 'x'' resulted in error: ");
    ArrayNode unused = JSON.createArrayNode();
    assertThat(unused).isEmpty();
  }
}
