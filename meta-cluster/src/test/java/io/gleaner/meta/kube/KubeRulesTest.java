package io.gleaner.meta.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes rules against the cases of the Kubernetes documentation: "Taints and Tolerations",
 * "Assigning Pods to Nodes", "Init Containers" and "Sidecar Containers" (resource sharing within
 * containers) and "Pod Overhead". Each row is one case: a description, the input and the expected
 * answer.
 */
class KubeRulesTest {

  // ---- Taints and tolerations --------------------------------------------------------------

  /** (case, toleration as key/operator/value/effect, taint as key=value:effect, tolerated). */
  static Stream<Arguments> tolerations() {
    return Stream.of(
        row(
            "Equal: key, value and effect equal",
            tol("key1", "Equal", "value1", "NoSchedule"),
            "key1=value1:NoSchedule",
            true),
        row(
            "Exists: key and effect equal, no value",
            tol("key1", "Exists", "", "NoSchedule"),
            "key1=value1:NoSchedule",
            true),
        row(
            "operator defaults to Equal",
            tol("key1", "", "value1", "NoSchedule"),
            "key1=value1:NoSchedule",
            true),
        row(
            "Equal: another value",
            tol("key1", "Equal", "value2", "NoSchedule"),
            "key1=value1:NoSchedule",
            false),
        row(
            "Equal: taint without value needs an empty value",
            tol("key1", "Equal", "", ""),
            "key1:NoSchedule",
            true),
        row("another key", tol("key2", "Exists", "", ""), "key1=value1:NoSchedule", false),
        row(
            "another effect",
            tol("key1", "Equal", "value1", "NoSchedule"),
            "key1=value1:NoExecute",
            false),
        row(
            "empty effect matches all effects with key1",
            tol("key1", "Exists", "", ""),
            "key1=value1:NoExecute",
            true),
        row(
            "empty effect matches PreferNoSchedule too",
            tol("key1", "Equal", "value1", ""),
            "key1=value1:PreferNoSchedule",
            true),
        row(
            "empty key with Exists matches every key, value and effect",
            tol("", "Exists", "", ""),
            "anything=at-all:NoExecute",
            true),
        row(
            "empty key with Exists and an effect matches only that effect",
            tol("", "Exists", "", "NoSchedule"),
            "anything:NoExecute",
            false),
        row(
            "empty key with Exists and an effect matches any key with it",
            tol("", "Exists", "", "NoSchedule"),
            "anything:NoSchedule",
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tolerations")
  void tolerationMatchesTaint(String doc, KubeToleration toleration, String taint, boolean ok) {
    assertThat(toleration.tolerates(taint(taint))).isEqualTo(ok);
  }

  /** (case, key, operator, value, effect, tolerationSeconds, expected error or null if valid). */
  static Stream<Arguments> tolerationValidation() {
    return Stream.of(
        // The broker refused this and the descheduler accepted it and matched nothing: now both
        // refuse it, as the API server does.
        Arguments.of("empty key with Equal", "", "Equal", "", "", null, "must be Exists"),
        Arguments.of(
            "empty key with the default operator", "", "", "v", "", null, "must be Exists"),
        Arguments.of("Exists with a value", "k", "Exists", "v", "", null, "value must be empty"),
        Arguments.of("unknown operator", "k", "Like", "", "", null, "\"Like\""),
        Arguments.of("unknown effect", "k", "Exists", "", "Sometimes", null, "\"Sometimes\""),
        Arguments.of(
            "tolerationSeconds with NoSchedule", "k", "Exists", "", "NoSchedule", 60L, "NoExecute"),
        Arguments.of(
            "tolerationSeconds with every effect", "k", "Exists", "", "", 60L, "NoExecute"),
        Arguments.of("tolerationSeconds with NoExecute", "k", "Exists", "", "NoExecute", 60L, null),
        Arguments.of("empty key with Exists", "", "Exists", "", "", null, null),
        Arguments.of("null fields: key k Equal empty value", "k", null, null, null, null, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tolerationValidation")
  void tolerationValidation(
      String doc, String key, String op, String value, String effect, Long seconds, String error) {
    if (error == null) {
      assertThat(KubeToleration.of(key, op, value, effect, seconds)).isNotNull();
    } else {
      assertThatThrownBy(() -> KubeToleration.of(key, op, value, effect, seconds))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(error);
    }
  }

  @Test
  void aNodeWithSeveralTaintsNeedsEveryBlockingOneTolerated() {
    // The documentation's example: the pod tolerates the first two taints, not the third, so it
    // cannot be scheduled onto the node.
    List<KubeTaint> node =
        List.of(
            taint("key1=value1:NoSchedule"),
            taint("key1=value1:NoExecute"),
            taint("key2=value2:NoSchedule"));
    List<KubeToleration> pod =
        List.of(
            tol("key1", "Equal", "value1", "NoSchedule"),
            tol("key1", "Equal", "value1", "NoExecute"));
    assertThat(KubeToleration.firstUntolerated(node, pod)).isEqualTo(node.get(2));
    // A PreferNoSchedule taint only scores: it never blocks.
    assertThat(
            KubeToleration.firstUntolerated(List.of(taint("soft=x:PreferNoSchedule")), List.of()))
        .isNull();
    assertThat(KubeToleration.firstUntolerated(node, List.of(KubeToleration.exists("")))).isNull();
  }

  @Test
  void taintsNeedAKeyAndAnEffect() {
    assertThatThrownBy(() -> KubeTaint.of("", "v", "NoSchedule")).hasMessageContaining("key");
    assertThatThrownBy(() -> KubeTaint.of("k", "v", "")).hasMessageContaining("effect");
    assertThatThrownBy(() -> KubeTaint.of("k", "v", "Never")).hasMessageContaining("\"Never\"");
  }

  // ---- Node selectors and required node affinity -------------------------------------------

  private static final Map<String, String> NODE =
      Map.of(
          "disktype", "ssd",
          "topology.kubernetes.io/zone", "antarctica-east1",
          "gpu-count", "4",
          "kernel", "6.1");

  /** (case, nodeSelector, required terms, node name, allowed on NODE). */
  static Stream<Arguments> affinity() {
    KubeNodeSelectorRequirement zoneIn =
        req("topology.kubernetes.io/zone", "In", "antarctica-east1", "antarctica-west1");
    KubeNodeSelectorRequirement zoneElsewhere = req("topology.kubernetes.io/zone", "In", "mars");
    return Stream.of(
        Arguments.of("nodeSelector label equal", Map.of("disktype", "ssd"), List.of(), "n", true),
        Arguments.of(
            "nodeSelector label differs", Map.of("disktype", "hdd"), List.of(), "n", false),
        Arguments.of("nodeSelector label missing", Map.of("rack", "r1"), List.of(), "n", false),
        Arguments.of("In", Map.of(), terms(term(zoneIn)), "n", true),
        Arguments.of("In: other values", Map.of(), terms(term(zoneElsewhere)), "n", false),
        Arguments.of(
            "NotIn: label has another value",
            Map.of(),
            terms(term(req("disktype", "NotIn", "hdd"))),
            "n",
            true),
        Arguments.of(
            "NotIn: a missing label is not in",
            Map.of(),
            terms(term(req("rack", "NotIn", "r1"))),
            "n",
            true),
        Arguments.of(
            "NotIn: label in the set",
            Map.of(),
            terms(term(req("disktype", "NotIn", "ssd"))),
            "n",
            false),
        Arguments.of("Exists", Map.of(), terms(term(req("disktype", "Exists"))), "n", true),
        Arguments.of("DoesNotExist", Map.of(), terms(term(req("rack", "DoesNotExist"))), "n", true),
        Arguments.of(
            "DoesNotExist: label present",
            Map.of(),
            terms(term(req("disktype", "DoesNotExist"))),
            "n",
            false),
        Arguments.of("Gt", Map.of(), terms(term(req("gpu-count", "Gt", "3"))), "n", true),
        Arguments.of(
            "Gt: equal is not greater",
            Map.of(),
            terms(term(req("gpu-count", "Gt", "4"))),
            "n",
            false),
        Arguments.of("Lt", Map.of(), terms(term(req("gpu-count", "Lt", "5"))), "n", true),
        Arguments.of(
            "Gt on a label that is not an integer",
            Map.of(),
            terms(term(req("kernel", "Gt", "1"))),
            "n",
            false),
        Arguments.of(
            "Lt on a missing label", Map.of(), terms(term(req("rack", "Lt", "1"))), "n", false),
        Arguments.of(
            "expressions of a term are ANDed",
            Map.of(),
            terms(term(zoneIn, req("disktype", "In", "hdd"))),
            "n",
            false),
        Arguments.of(
            "terms are ORed",
            Map.of(),
            terms(term(zoneElsewhere), term(req("disktype", "In", "ssd"))),
            "n",
            true),
        Arguments.of(
            "nodeSelector and affinity must both hold",
            Map.of("disktype", "hdd"),
            terms(term(zoneIn)),
            "n",
            false),
        Arguments.of("an empty term matches no node", Map.of(), terms(term()), "n", false),
        Arguments.of(
            "matchFields metadata.name In",
            Map.of(),
            terms(nameTerm("In", "node-1")),
            "node-1",
            true),
        Arguments.of(
            "matchFields metadata.name In, another node",
            Map.of(),
            terms(nameTerm("In", "node-1")),
            "node-2",
            false),
        Arguments.of(
            "matchFields metadata.name NotIn",
            Map.of(),
            terms(nameTerm("NotIn", "node-1")),
            "node-2",
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("affinity")
  void nodeAffinity(
      String doc,
      Map<String, String> selector,
      List<KubeNodeSelectorTerm> terms,
      String nodeName,
      boolean ok) {
    assertThat(new KubeNodeAffinity(selector, terms).matches(nodeName, NODE)).isEqualTo(ok);
  }

  /** (case, key, operator, values, expected error). */
  static Stream<Arguments> requirementValidation() {
    return Stream.of(
        Arguments.of("In without values", "k", "In", List.of(), "must not be empty"),
        Arguments.of("NotIn without values", "k", "NotIn", List.of(), "must not be empty"),
        Arguments.of("Exists with values", "k", "Exists", List.of("a"), "must be empty"),
        Arguments.of("Gt with two values", "k", "Gt", List.of("1", "2"), "exactly one integer"),
        Arguments.of("Lt with a word", "k", "Lt", List.of("x"), "exactly one integer"),
        Arguments.of("unknown operator", "k", "Near", List.of("a"), "\"Near\""),
        Arguments.of("empty key", "", "Exists", List.of(), "key"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requirementValidation")
  void requirementValidation(String doc, String key, String op, List<String> values, String e) {
    assertThatThrownBy(() -> KubeNodeSelectorRequirement.of(key, op, values))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(e);
  }

  @Test
  void matchFieldsSelectOnlyTheNodeName() {
    assertThatThrownBy(
            () ->
                new KubeNodeSelectorTerm(
                    List.of(),
                    List.of(KubeNodeSelectorRequirement.of("spec.x", "In", List.of("a")))))
        .hasMessageContaining("metadata.name");
    assertThatThrownBy(() -> nameTerm("Exists")).hasMessageContaining("In or NotIn");
  }

  @Test
  void aPodsRequiredAffinityIsReadWithItsMatchFields() {
    // The descheduler used to read matchExpressions only: a term of matchFields alone became an
    // empty term and matched no node.
    PodSpec spec =
        new PodSpecBuilder()
            .withNodeSelector(Map.of("disktype", "ssd"))
            .withNewAffinity()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .withNodeSelectorTerms(
                new NodeSelectorTermBuilder()
                    .withMatchFields(
                        new NodeSelectorRequirementBuilder()
                            .withKey("metadata.name")
                            .withOperator("In")
                            .withValues("node-1")
                            .build())
                    .build())
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .endAffinity()
            .build();
    KubeNodeAffinity a = KubeNodeAffinity.from(spec);
    assertThat(a.matches("node-1", NODE)).isTrue();
    assertThat(a.matches("node-2", NODE)).isFalse();
    assertThat(a.matches("node-1", Map.of("disktype", "hdd"))).isFalse();
    assertThat(KubeNodeAffinity.from(new PodSpec()).matches("any", Map.of())).isTrue();
  }

  // ---- Effective pod requests ---------------------------------------------------------------

  /** (case, pod spec, expected effective requests). */
  static Stream<Arguments> requests() {
    return Stream.of(
        Arguments.of(
            "app containers are summed",
            pod().app("a", "cpu", "100m", "memory", "64Mi").app("b", "cpu", "200m").build(),
            Resources.of("cpu", "300m", "memory", "64Mi")),
        Arguments.of(
            "the largest init container, if larger than the apps, wins",
            pod()
                .init("i1", "cpu", "1")
                .init("i2", "cpu", "500m", "memory", "1Gi")
                .app("a", "cpu", "300m", "memory", "100Mi")
                .build(),
            Resources.of("cpu", "1", "memory", "1Gi")),
        Arguments.of(
            "init containers run one at a time: they are not summed",
            pod().init("i1", "cpu", "1").init("i2", "cpu", "1").app("a", "cpu", "100m").build(),
            Resources.of("cpu", "1")),
        Arguments.of(
            "a limit without a request is the request",
            pod().app("a", "cpu", "1", "memory", "1Gi").appWithLimit("b", "cpu", "500m").build(),
            Resources.of("cpu", "1500m", "memory", "1Gi")),
        Arguments.of(
            "pod overhead (Pod Overhead page: 2 x 500m/100Mi + 250m/120Mi)",
            pod()
                .app("a", "cpu", "500m", "memory", "100Mi")
                .app("b", "cpu", "500m", "memory", "100Mi")
                .overhead("cpu", "250m", "memory", "120Mi")
                .build(),
            Resources.of("cpu", "1250m", "memory", "320Mi")),
        // The descheduler used to take max(apps, sidecar) = 1 cpu here.
        Arguments.of(
            "a sidecar keeps running: it adds to the apps",
            pod().sidecar("log", "cpu", "500m").app("a", "cpu", "1").build(),
            Resources.of("cpu", "1500m")),
        Arguments.of(
            "an init container after a sidecar runs beside it",
            pod()
                .sidecar("proxy", "cpu", "500m")
                .init("migrate", "cpu", "2")
                .app("a", "cpu", "1")
                .build(),
            Resources.of("cpu", "2500m")),
        Arguments.of(
            "an init container before a sidecar runs alone",
            pod()
                .init("migrate", "cpu", "2")
                .sidecar("proxy", "cpu", "500m")
                .app("a", "cpu", "1")
                .build(),
            Resources.of("cpu", "2")),
        Arguments.of(
            "init max, sidecars and overhead together",
            pod()
                .app("a", "cpu", "1", "memory", "1Gi")
                .appWithLimit("b", "cpu", "500m")
                .init("big-init", "cpu", "4")
                .sidecar("sidecar", "memory", "1Gi")
                .overhead("cpu", "100m")
                .build(),
            Resources.of("cpu", "4100m", "memory", "2Gi")),
        Arguments.of("no containers", new PodSpec(), Resources.ZERO));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void effectiveRequests(String doc, PodSpec spec, Resources expected) {
    assertThat(PodRequests.effective(spec)).isEqualTo(expected);
    assertThat(PodRequests.effectiveWithPodSlot(spec, PodRequests.InvalidQuantities.THROW))
        .isEqualTo(expected.with(Resources.PODS, 1));
  }

  @Test
  void aMalformedQuantityFailsNamingItOrIsSkippedWhenAsked() {
    PodSpec spec = pod().app("a", "cpu", "1").app("b", "cpu", "lots").build();
    assertThatThrownBy(() -> PodRequests.effective(spec))
        .hasMessageContaining("container b requests.cpu")
        .hasMessageContaining("\"lots\"");
    List<String> skipped = new ArrayList<>();
    assertThat(PodRequests.effective(spec, (field, e) -> skipped.add(field)))
        .isEqualTo(Resources.of("cpu", "1"));
    assertThat(skipped).containsExactly("container b requests.cpu");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Arguments row(String doc, KubeToleration t, String taint, boolean ok) {
    return Arguments.of(doc, t, taint, ok);
  }

  private static KubeToleration tol(String key, String op, String value, String effect) {
    return KubeToleration.of(key, op, value, effect);
  }

  /** {@code key[=value]:effect}. */
  private static KubeTaint taint(String s) {
    String[] ke = s.split(":");
    String[] kv = ke[0].split("=", 2);
    return KubeTaint.of(kv[0], kv.length > 1 ? kv[1] : "", ke[1]);
  }

  private static KubeNodeSelectorRequirement req(String key, String op, String... values) {
    return KubeNodeSelectorRequirement.of(key, op, List.of(values));
  }

  private static KubeNodeSelectorTerm term(KubeNodeSelectorRequirement... rs) {
    return KubeNodeSelectorTerm.of(rs);
  }

  private static KubeNodeSelectorTerm nameTerm(String op, String... values) {
    return new KubeNodeSelectorTerm(
        List.of(),
        List.of(
            KubeNodeSelectorRequirement.of(
                KubeNodeSelectorTerm.NODE_NAME_FIELD, op, List.of(values))));
  }

  private static List<KubeNodeSelectorTerm> terms(KubeNodeSelectorTerm... ts) {
    return List.of(ts);
  }

  private static PodSpecs pod() {
    return new PodSpecs();
  }

  /** Builds pod specs from name/quantity pairs. */
  private static final class PodSpecs {
    private final PodSpecBuilder b = new PodSpecBuilder();

    PodSpecs app(String name, String... requests) {
      b.addToContainers(container(name, false, requests));
      return this;
    }

    PodSpecs appWithLimit(String name, String... limits) {
      b.addToContainers(
          new ContainerBuilder()
              .withName(name)
              .withNewResources()
              .withLimits(quantities(limits))
              .endResources()
              .build());
      return this;
    }

    PodSpecs init(String name, String... requests) {
      b.addToInitContainers(container(name, false, requests));
      return this;
    }

    PodSpecs sidecar(String name, String... requests) {
      b.addToInitContainers(container(name, true, requests));
      return this;
    }

    PodSpecs overhead(String... quantities) {
      b.withOverhead(quantities(quantities));
      return this;
    }

    PodSpec build() {
      return b.build();
    }

    private static Container container(String name, boolean sidecar, String... requests) {
      return new ContainerBuilder()
          .withName(name)
          .withRestartPolicy(sidecar ? "Always" : null)
          .withNewResources()
          .withRequests(quantities(requests))
          .endResources()
          .build();
    }

    private static Map<String, Quantity> quantities(String... pairs) {
      Map<String, Quantity> m = new java.util.LinkedHashMap<>();
      for (int i = 0; i < pairs.length; i += 2) {
        m.put(pairs[i], new Quantity(pairs[i + 1]));
      }
      return m;
    }
  }
}
