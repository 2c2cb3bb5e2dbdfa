package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.Crds;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.ReserveMargins;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PolicyWatcherIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private MockCluster metaCluster;
  private KubernetesClient meta;
  private PolicyWatcher watcher;
  private final List<EffectivePolicy> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    metaCluster = new MockCluster();
    meta = metaCluster.client();
    Crds.install(meta);
    watcher = new PolicyWatcher(meta, Clock.systemUTC());
    watcher.addListener(seen::add);
    watcher.start();
  }

  @AfterEach
  void tearDown() {
    watcher.stop();
    metaCluster.close();
  }

  @Test
  void followsTheDefaultPolicyKeepsTheLastValidOneAndNamesBadFields() {
    assertThat(watcher.current()).isEqualTo(EffectivePolicy.DEFAULTS);
    assertThatThrownBy(watcher::start).isInstanceOf(IllegalStateException.class);

    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(0.3, null, null, null));
    spec.setIdleAfter("15m");
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();

    await().atMost(WAIT).until(() -> watcher.current().reserveMargin(CapacitySource.IDLE) == 0.3);
    assertThat(watcher.current().idle().after()).isEqualTo(Duration.ofMinutes(15));
    assertThat(seen).last().isEqualTo(watcher.current());
    await().atMost(WAIT).until(() -> validCondition().equals("True/Valid"));

    Conflicts.retry(
        () ->
            meta.resources(GleanerPolicy.class)
                .withName(GleanerPolicy.DEFAULT_NAME)
                .edit(
                    p -> {
                      p.getSpec().setReserveMargins(new ReserveMargins(1.5, null, null, null));
                      return p;
                    }));

    await().atMost(WAIT).until(() -> validCondition().startsWith("False/InvalidSpec"));
    assertThat(validCondition())
        .endsWith("spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5");
    assertThat(watcher.current().reserveMargin(CapacitySource.IDLE)).isEqualTo(0.3);

    meta.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).delete();
    await().atMost(WAIT).until(() -> watcher.current().equals(EffectivePolicy.DEFAULTS));
  }

  @Test
  void otherPolicyNamesAreIgnored() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setNearLineReserve(0.9);
    meta.resources(GleanerPolicy.class).resource(GleanerPolicy.of("experiment", spec)).create();
    GleanerPolicySpec real = new GleanerPolicySpec();
    real.setNearLineReserve(0.4);
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, real))
        .create();

    await().atMost(WAIT).until(() -> watcher.current().nearLineReserve() == 0.4);
    assertThat(seen).extracting(EffectivePolicy::nearLineReserve).doesNotContain(0.9);
  }

  private String validCondition() {
    GleanerPolicy p =
        meta.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).get();
    if (p == null || p.getStatus() == null) {
      return "";
    }
    return Conditions.find(p.getStatus().getConditions(), Conditions.VALID)
        .map(c -> c.getStatus() + "/" + c.getReason() + ": " + c.getMessage())
        .map(s -> s.replace(": policy is valid", ""))
        .orElse("");
  }
}
