package io.gleaner.meta.policy;

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
import io.gleaner.meta.policy.PolicyWatcher.Role;
import io.gleaner.meta.registry.Conflicts;
import io.gleaner.meta.registry.MockCluster;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PolicyWatcherIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private MockCluster metaCluster;
  private KubernetesClient meta;
  private final List<PolicyWatcher> watchers = new ArrayList<>();
  private final List<EffectivePolicy> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    metaCluster = new MockCluster();
    meta = metaCluster.client();
    Crds.install(meta);
  }

  @AfterEach
  void tearDown() {
    watchers.forEach(PolicyWatcher::stop);
    metaCluster.close();
  }

  private PolicyWatcher watcher(Role role) {
    PolicyWatcher w = new PolicyWatcher(meta, GleanerPolicy.DEFAULT_NAME, Clock.systemUTC(), role);
    w.addListener(seen::add);
    watchers.add(w);
    return w;
  }

  @Test
  void followsTheDefaultPolicyKeepsTheLastValidOneAndNamesBadFields() throws Exception {
    PolicyWatcher watcher = watcher(Role.STATUS_WRITER);
    watcher.start();
    assertThat(watcher.awaitFirstVerdict(WAIT)).isTrue();
    assertThat(watcher.current()).isEqualTo(EffectivePolicy.DEFAULTS);
    assertThat(watcher.readiness().check().detail()).contains("built-in defaults");
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
    await().atMost(WAIT).until(() -> condition(Conditions.VALID).equals("True/Valid"));
    await().atMost(WAIT).until(() -> condition(Conditions.APPLIED).startsWith("True/InForce"));
    assertThat(policy().getStatus().getObservedGeneration())
        .isEqualTo(policy().getMetadata().getGeneration());

    Conflicts.retry(
        () ->
            meta.resources(GleanerPolicy.class)
                .withName(GleanerPolicy.DEFAULT_NAME)
                .edit(
                    p -> {
                      p.getSpec().setReserveMargins(new ReserveMargins(1.5, null, null, null));
                      return p;
                    }));

    await().atMost(WAIT).until(() -> condition(Conditions.VALID).startsWith("False/InvalidSpec"));
    assertThat(condition(Conditions.VALID))
        .endsWith("spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5");
    await().atMost(WAIT).until(() -> condition(Conditions.APPLIED).startsWith("False/InvalidSpec"));
    assertThat(condition(Conditions.APPLIED)).endsWith("generation 1 stays in force");
    assertThat(watcher.current().reserveMargin(CapacitySource.IDLE)).isEqualTo(0.3);

    meta.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).delete();
    await().atMost(WAIT).until(() -> watcher.current().equals(EffectivePolicy.DEFAULTS));
  }

  @Test
  void aPolicyPresentBeforeStartIsInForceOnceTheFirstVerdictIsIn() throws Exception {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setNearLineReserve(0.35);
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();
    PolicyWatcher watcher = watcher(Role.READER);

    watcher.start();

    assertThat(watcher.awaitFirstVerdict(WAIT)).isTrue();
    assertThat(watcher.current().nearLineReserve()).isEqualTo(0.35);
    assertThat(watcher.hasFirstVerdict()).isTrue();
    assertThat(watcher.readiness().check().detail())
        .isEqualTo("GleanerPolicy default generation 1 in force");
  }

  @Test
  void aReaderNeverWritesStatus() throws Exception {
    PolicyWatcher writer = watcher(Role.STATUS_WRITER);
    PolicyWatcher reader = watcher(Role.READER);
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setNearLineReserve(0.5);
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();

    reader.start();
    assertThat(reader.awaitFirstVerdict(WAIT)).isTrue();
    assertThat(reader.current().nearLineReserve()).isEqualTo(0.5);
    // the reader applied generation 1 and wrote nothing; the writer, once started, does
    assertThat(policy().getStatus()).isNull();
    writer.start();
    await().atMost(WAIT).until(() -> condition(Conditions.APPLIED).startsWith("True/InForce"));
  }

  @Test
  void aPolicyThatCannotBeReadLeavesTheDefaultsInForceAndSaysSo() throws Exception {
    metaCluster.stop();
    PolicyWatcher watcher = watcher(Role.READER);

    watcher.start();

    assertThat(watcher.awaitFirstVerdict(Duration.ofMillis(300))).isFalse();
    assertThat(watcher.current()).isEqualTo(EffectivePolicy.DEFAULTS);
    assertThat(watcher.readiness().check().detail())
        .isEqualTo("built-in defaults (GleanerPolicy not read yet)");
  }

  @Test
  void otherPolicyNamesAreIgnored() {
    PolicyWatcher watcher = watcher(Role.READER);
    watcher.start();
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

  private GleanerPolicy policy() {
    return meta.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).get();
  }

  private String condition(String type) {
    GleanerPolicy p = policy();
    if (p == null || p.getStatus() == null) {
      return "";
    }
    return Conditions.find(p.getStatus().getConditions(), type)
        .map(c -> c.getStatus() + "/" + c.getReason() + ": " + c.getMessage())
        .map(s -> s.replace(": policy is valid", ""))
        .orElse("");
  }
}
