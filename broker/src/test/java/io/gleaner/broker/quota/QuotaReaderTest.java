package io.gleaner.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.WorkloadClass;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuotaReaderTest {
  private static ResourceQuotaBuilder quota() {
    return new ResourceQuotaBuilder()
        .withNewMetadata()
        .withNamespace("gleaner-ml")
        .withName("q")
        .endMetadata();
  }

  @Test
  void readsRequestLimitsFromStatusTheTighterNameWinning() {
    ResourceQuota q =
        quota()
            .withNewSpec()
            .addToHard("cpu", new Quantity("8"))
            .endSpec()
            .withNewStatus()
            .addToHard("cpu", new Quantity("8"))
            .addToHard("requests.cpu", new Quantity("4"))
            .addToHard("limits.cpu", new Quantity("2"))
            .addToHard("requests.memory", new Quantity("1Gi"))
            .addToHard("count/pods", new Quantity("3"))
            .addToHard("requests.nvidia.com/gpu", new Quantity("2"))
            .addToHard("services", new Quantity("1"))
            .addToUsed("cpu", new Quantity("1"))
            .addToUsed("requests.cpu", new Quantity("3500m"))
            .addToUsed("requests.memory", new Quantity("512Mi"))
            .endStatus()
            .build();
    MemberQuota m = QuotaReader.read(q).orElseThrow();
    assertThat(m.hard())
        .isEqualTo(Map.of("cpu", 4000L, "memory", 1L << 30, "pods", 3L, "nvidia.com/gpu", 2L));
    assertThat(m.room("cpu")).isEqualTo(500);
    assertThat(m.room("memory")).isEqualTo(512L << 20);
    assertThat(m.classes()).containsExactlyInAnyOrder(WorkloadClass.values());
  }

  @Test
  void scopesDecideWhichClassesTheQuotaMatches() {
    ResourceQuota offlineOnly =
        quota()
            .withNewSpec()
            .addToHard("pods", new Quantity("1"))
            .withScopes("NotTerminating")
            .withNewScopeSelector()
            .addNewMatchExpression()
            .withScopeName("PriorityClass")
            .withOperator("In")
            .withValues("gleaner-offline")
            .endMatchExpression()
            .endScopeSelector()
            .endSpec()
            .build();
    assertThat(QuotaReader.read(offlineOnly).orElseThrow().classes())
        .containsExactly(WorkloadClass.OFFLINE);

    ResourceQuota notGleaner =
        quota()
            .withNewSpec()
            .addToHard("pods", new Quantity("1"))
            .withNewScopeSelector()
            .addNewMatchExpression()
            .withScopeName("PriorityClass")
            .withOperator("NotIn")
            .withValues("gleaner-offline", "gleaner-near-line")
            .endMatchExpression()
            .endScopeSelector()
            .endSpec()
            .build();
    assertThat(QuotaReader.read(notGleaner).orElseThrow().classes()).isEmpty();

    ResourceQuota terminating =
        quota()
            .withNewSpec()
            .addToHard("pods", new Quantity("1"))
            .withScopes("Terminating")
            .endSpec()
            .build();
    assertThat(QuotaReader.read(terminating).orElseThrow().classes()).isEmpty();
  }

  @Test
  void aQuotaOnlyOnLimitsOrOtherKindsIsLeftToTheMember() {
    ResourceQuota q =
        quota()
            .withNewSpec()
            .addToHard("limits.memory", new Quantity("1Gi"))
            .addToHard("count/configmaps", new Quantity("3"))
            .endSpec()
            .build();
    assertThat(QuotaReader.read(q)).isEmpty();
  }

  @Test
  void aNewQuotaWithoutStatusYetIsReadFromItsSpec() {
    ResourceQuota q =
        quota()
            .withNewSpec()
            .addToHard("requests.cpu", new Quantity("2"))
            .endSpec()
            .withNewStatus()
            .endStatus()
            .build();
    MemberQuota m = QuotaReader.read(q).orElseThrow();
    assertThat(m.hard()).containsEntry("cpu", 2000L);
    assertThat(m.room("cpu")).isEqualTo(2000L);
  }
}
