package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER_MEMBER;
import static io.gleaner.charts.RenderedChart.NAMESPACE;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Renders and lints charts/gleaner-member (installed in every member cluster). */
class GleanerMemberChartTest {

  private static final String NAME = "glean-gleaner-member";

  private static Set<String> permissions(RenderedChart chart) {
    return Rbac.permissions(chart.get(ClusterRole.class, NAME).getRules());
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = new Helm(GLEANER_MEMBER).lint().strict().call();

    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void priorityClassesAreLowAndNeverPreempt() {
    RenderedChart chart = render(GLEANER_MEMBER);

    PriorityClass nearLine = chart.get(PriorityClass.class, "gleaner-near-line");
    PriorityClass offline = chart.get(PriorityClass.class, "gleaner-offline");
    for (PriorityClass pc : new PriorityClass[] {nearLine, offline}) {
      assertThat(pc.getPreemptionPolicy()).isEqualTo("Never");
      assertThat(pc.getGlobalDefault()).isFalse();
      // Below the default priority 0 of online pods, and below the cluster-autoscaler's expendable
      // cutoff (-10).
      assertThat(pc.getValue()).isLessThan(-10);
    }
    assertThat(nearLine.getValue()).isGreaterThan(offline.getValue());
    assertThat(nearLine.getMetadata().getLabels()).containsEntry("gleaner.io/class", "near-line");
  }

  @Test
  void scaleUpPlaceholdersCountForTheAutoscalerButNeverPreemptNorCountAsOnlineWork() {
    PriorityClass scaleUp =
        render(GLEANER_MEMBER).get(PriorityClass.class, GleanerKeys.SCALE_UP_PRIORITY_CLASS);
    assertThat(scaleUp.getPreemptionPolicy()).isEqualTo("Never");
    assertThat(scaleUp.getGlobalDefault()).isFalse();
    // at or above the cluster-autoscaler's expendable cutoff (-10), below online pods' 0 (the
    // descheduler's default threshold)
    assertThat(scaleUp.getValue()).isBetween(-10, -1);
  }

  @Test
  void priorityClassNamesAreTheOnesTheVirtualKubeletUses() {
    assertThat(render(GLEANER_MEMBER).all(PriorityClass.class))
        .extracting(pc -> pc.getMetadata().getName())
        .containsExactlyInAnyOrder(
            GleanerKeys.PRIORITY_NEAR_LINE,
            GleanerKeys.PRIORITY_OFFLINE,
            GleanerKeys.SCALE_UP_PRIORITY_CLASS);
    assertThatThrownBy(
            () -> render(GLEANER_MEMBER, values("priorityClasses.offline.name", "batch-low")))
        .hasMessageContaining("name");
  }

  @Test
  void priorityClassesCanBeLeftToTheClusterOwner() {
    assertThat(
            render(GLEANER_MEMBER, values("priorityClasses.create", false))
                .all(PriorityClass.class))
        .isEmpty();
  }

  @Test
  void nearLineMustOutrankOffline() {
    assertThatThrownBy(() -> render(GLEANER_MEMBER, values("priorityClasses.nearLine.value", -300)))
        .hasMessageContaining(
            "priorityClasses.nearLine.value (-300) must be greater than priorityClasses.offline.value (-200)");
  }

  @Test
  void serviceAccountWithALongLivedTokenSecret() {
    RenderedChart chart = render(GLEANER_MEMBER);

    ServiceAccount sa = chart.get(ServiceAccount.class, NAME);
    assertThat(sa.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
    Secret token = chart.get(Secret.class, NAME + "-token");
    assertThat(token.getType()).isEqualTo("kubernetes.io/service-account-token");
    assertThat(token.getMetadata().getAnnotations())
        .containsEntry("kubernetes.io/service-account.name", NAME);
    ClusterRoleBinding binding = chart.get(ClusterRoleBinding.class, NAME);
    assertThat(binding.getRoleRef().getName()).isEqualTo(NAME);
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(NAME);
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
  }

  @Test
  void tokenSecretAndNameAreConfigurable() {
    RenderedChart chart =
        render(
            GLEANER_MEMBER, values("tokenSecret.create", false, "serviceAccount.name", "gleaner"));
    assertThat(chart.all(Secret.class)).isEmpty();
    assertThat(chart.get(ClusterRoleBinding.class, NAME).getSubjects().get(0).getName())
        .isEqualTo("gleaner");
    assertThat(chart.has("ServiceAccount", "gleaner")).isTrue();
  }

  @Test
  void rbacCoversWhatGleanerDoesAndNoMore() {
    Set<String> p = permissions(render(GLEANER_MEMBER));

    assertThat(p)
        .contains(
            "/pods:create",
            "/pods:delete",
            "/pods:watch",
            "/pods/eviction:create",
            // the descheduler notes on a pod it evicts for a team's guarantee why
            "/pods:patch",
            "/pods/log:get",
            "/pods/exec:create",
            "/pods/exec:get",
            "/nodes:list",
            "/nodes:watch",
            "/nodes:patch",
            "/events:create",
            "/events:watch",
            "/configmaps:create",
            "/secrets:get",
            "/secrets:list",
            "/namespaces:create",
            "/namespaces:get",
            // a namespace Gleaner created follows the policy's pod-security level
            "/namespaces:patch",
            "/resourcequotas:list",
            "/resourcequotas:watch",
            "scheduling.volcano.sh/podgroups:watch",
            // gangs mirrored as PodGroups of Gleaner's own, and collected
            "scheduling.volcano.sh/podgroups:create",
            "scheduling.volcano.sh/podgroups:update",
            "scheduling.volcano.sh/podgroups:delete",
            "metrics.k8s.io/nodes:list",
            "metrics.k8s.io/pods:list");
    assertThat(p)
        .doesNotContain(
            "/nodes:update",
            "/nodes:delete",
            "/nodes:create",
            "/namespaces:delete",
            "/pods/status:update",
            "scheduling.volcano.sh/podgroups:patch",
            "metrics.k8s.io/nodes:watch",
            // unused by every service (InstallIT measures it from the audit trail)
            "/nodes:get",
            "/events:patch",
            "events.k8s.io/events:create",
            "/configmaps:watch",
            "/secrets:patch",
            "/namespaces:list",
            "/resourcequotas:create",
            "/resourcequotas:update",
            "policy/poddisruptionbudgets:list",
            "rbac.authorization.k8s.io/clusterroles:create",
            "/serviceaccounts:create");
    assertThat(Rbac.allTokens(render(GLEANER_MEMBER).get(ClusterRole.class, NAME).getRules()))
        .doesNotContain("*");
  }

  @Test
  void optionalPermissionsCanBeTurnedOff() {
    Set<String> p =
        permissions(
            render(
                GLEANER_MEMBER,
                values("rbac.volcano", false, "rbac.metrics", false, "rbac.podProxy", false)));
    assertThat(p)
        .noneMatch(
            s ->
                s.startsWith("scheduling.volcano.sh/")
                    || s.startsWith("metrics.k8s.io/")
                    || s.startsWith("/pods/exec")
                    || s.startsWith("/pods/log"));
    assertThat(p).contains("/pods/eviction:create");
  }

  @Test
  void schemaRejectsBadValues() {
    assertThatThrownBy(() -> render(GLEANER_MEMBER, values("priorityClasses.offline.value", "low")))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining("priorityClasses.offline.value");
    assertThatThrownBy(
            () -> render(GLEANER_MEMBER, values("priorityClasses.nearLine.value", 2_000_000_000)))
        .hasMessageContaining("priorityClasses.nearLine.value");
    assertThatThrownBy(() -> render(GLEANER_MEMBER, values("rbac.everything", true)))
        .hasMessageContaining("everything");
  }
}
