package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import org.junit.jupiter.api.Test;

class PodValidatorTest {
  private final PodValidator validator = new PodValidator();

  @Test
  void acceptsKnownClassesAndDefaultsToOffline() {
    assertThat(validator.validate(Pods.meta("p").build()))
        .isEqualTo(new PodAdmission.Accepted(WorkloadClass.NEAR_LINE));
    Pod noClass =
        Pods.meta("p").editMetadata().removeFromLabels(GleanerKeys.CLASS).endMetadata().build();
    assertThat(validator.validate(noClass))
        .isEqualTo(new PodAdmission.Accepted(WorkloadClass.OFFLINE));
    Pod offline =
        Pods.meta("p")
            .editMetadata()
            .addToLabels(GleanerKeys.CLASS, "offline")
            .endMetadata()
            .build();
    assertThat(validator.validate(offline))
        .isEqualTo(new PodAdmission.Accepted(WorkloadClass.OFFLINE));
  }

  @Test
  void aPodBreakingThePolicysPodSecurityLevelIsRefusedWithTheRule() {
    Pod privileged =
        Pods.meta("p")
            .editSpec()
            .editFirstContainer()
            .withNewSecurityContext()
            .withPrivileged(true)
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();
    assertThat(validator.validate(privileged))
        .isEqualTo(
            new PodAdmission.Refused(
                PodSecurityStandard.REASON,
                "violates PodSecurity \"baseline:latest\": privileged (container \"main\" must"
                    + " not set securityContext.privileged=true)"));
    assertThat(new PodValidator(() -> PodSecurityLevel.PRIVILEGED).validate(privileged))
        .isEqualTo(new PodAdmission.Accepted(WorkloadClass.NEAR_LINE));
  }

  @Test
  void unknownClassIsRefusedNamingLabelAndValue() {
    Pod p =
        Pods.meta("p")
            .editMetadata()
            .addToLabels(GleanerKeys.CLASS, "online")
            .endMetadata()
            .build();
    PodAdmission v = validator.validate(p);
    assertThat(v).isInstanceOf(PodAdmission.Refused.class);
    var r = (PodAdmission.Refused) v;
    assertThat(r.reason()).isEqualTo(PodValidator.REASON_UNKNOWN_CLASS);
    assertThat(r.message()).contains("gleaner.io/class", "'online'", "near-line", "offline");
  }

  @Test
  void pvcHostPathAndEphemeralVolumesAreRefused() {
    Pod p =
        Pods.meta("p")
            .editSpec()
            .addNewVolume()
            .withName("data")
            .withNewPersistentVolumeClaim()
            .withClaimName("claim-1")
            .endPersistentVolumeClaim()
            .endVolume()
            .addNewVolume()
            .withName("host")
            .withNewHostPath()
            .withPath("/var/log")
            .endHostPath()
            .endVolume()
            .addNewVolume()
            .withName("scratch")
            .withNewEphemeral()
            .endEphemeral()
            .endVolume()
            .endSpec()
            .build();
    var r = (PodAdmission.Refused) validator.validate(p);
    assertThat(r.reason()).isEqualTo(PodValidator.REASON_UNSUPPORTED_VOLUME);
    assertThat(r.message())
        .contains("'data'", "claim-1", "'host'", "/var/log", "'scratch'", "across member clusters");
  }

  @Test
  void daemonSetPodsAreHeldNotRefused() {
    Pod p =
        Pods.meta("ds-x")
            .editMetadata()
            .addNewOwnerReference()
            .withKind("DaemonSet")
            .withName("fluentd")
            .withController(true)
            .withApiVersion("apps/v1")
            .withUid("u")
            .endOwnerReference()
            .endMetadata()
            .build();
    var h = (PodAdmission.Held) validator.validate(p);
    assertThat(h.reason()).isEqualTo(PodValidator.REASON_DAEMONSET);
    assertThat(h.message()).contains("fluentd", "team-a/ds-x");
  }

  @Test
  void jobPodsAreAccepted() {
    Pod p =
        Pods.meta("job-x")
            .editMetadata()
            .addNewOwnerReference()
            .withKind("Job")
            .withName("train")
            .withController(true)
            .withApiVersion("batch/v1")
            .withUid("u")
            .endOwnerReference()
            .endMetadata()
            .build();
    assertThat(validator.validate(p)).isInstanceOf(PodAdmission.Accepted.class);
  }
}
