package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReference;
import io.fabric8.kubernetes.api.model.TypedObjectReference;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.List;
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

  /** A generic ephemeral volume of 1Gi in class {@code standard}. */
  static Volume ephemeral(String name) {
    return new VolumeBuilder()
        .withName(name)
        .withNewEphemeral()
        .withNewVolumeClaimTemplate()
        .withNewMetadata()
        .addToLabels("app", "train")
        .endMetadata()
        .withNewSpec()
        .withAccessModes("ReadWriteOnce")
        .withStorageClassName("standard")
        .withNewResources()
        .addToRequests("storage", new Quantity("1Gi"))
        .endResources()
        .endSpec()
        .endVolumeClaimTemplate()
        .endEphemeral()
        .build();
  }

  private PodAdmission withVolume(Volume v) {
    return validator.validate(Pods.meta("p").editSpec().addToVolumes(v).endSpec().build());
  }

  @Test
  void volumesThatLiveAndDieWithThePodAreAccepted() {
    List<Volume> movable =
        List.of(
            new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build(),
            new VolumeBuilder()
                .withName("shm")
                .withNewEmptyDir()
                .withMedium("Memory")
                .withSizeLimit(new Quantity("256Mi"))
                .endEmptyDir()
                .build(),
            ephemeral("cache"),
            new VolumeBuilder()
                .withName("conf")
                .withNewConfigMap()
                .withName("conf")
                .endConfigMap()
                .build(),
            new VolumeBuilder()
                .withName("cred")
                .withNewSecret()
                .withSecretName("cred")
                .endSecret()
                .build(),
            new VolumeBuilder()
                .withName("info")
                .withNewDownwardAPI()
                .addNewItem()
                .withPath("labels")
                .withNewFieldRef()
                .withFieldPath("metadata.labels")
                .endFieldRef()
                .endItem()
                .endDownwardAPI()
                .build());
    for (Volume v : movable) {
      assertThat(withVolume(v)).as(v.getName()).isInstanceOf(PodAdmission.Accepted.class);
    }
  }

  @Test
  void claimsAndHostPathsAreRefusedOneByOneWithTheirNames() {
    Volume shared =
        new VolumeBuilder()
            .withName("shared")
            .withNewPersistentVolumeClaim("team-data", true)
            .build();
    var pvc = (PodAdmission.Refused) withVolume(shared);
    assertThat(pvc.reason()).isEqualTo(PodValidator.REASON_UNSUPPORTED_VOLUME);
    assertThat(pvc.message())
        .startsWith("volume 'shared' uses PersistentVolumeClaim 'team-data': data cannot follow");
    var host =
        (PodAdmission.Refused)
            withVolume(
                new VolumeBuilder().withName("logs").withNewHostPath("/var/log", null).build());
    assertThat(host.message()).startsWith("volume 'logs' uses hostPath '/var/log'");
  }

  @Test
  void anEphemeralVolumeFilledFromASnapshotOrAClaimIsRefused() {
    Volume fromSnapshot = ephemeral("restored");
    fromSnapshot
        .getEphemeral()
        .getVolumeClaimTemplate()
        .getSpec()
        .setDataSource(
            new TypedLocalObjectReference("snapshot.storage.k8s.io", "VolumeSnapshot", "snap-1"));
    assertThat(((PodAdmission.Refused) withVolume(fromSnapshot)).message())
        .startsWith("generic ephemeral volume 'restored' is filled from VolumeSnapshot 'snap-1'");
    Volume clone = ephemeral("clone");
    clone
        .getEphemeral()
        .getVolumeClaimTemplate()
        .getSpec()
        .setDataSourceRef(new TypedObjectReference(null, "PersistentVolumeClaim", "golden", null));
    assertThat(((PodAdmission.Refused) withVolume(clone)).message())
        .startsWith(
            "generic ephemeral volume 'clone' is filled from PersistentVolumeClaim 'golden'");
  }

  @Test
  void restrictedLevelStillAllowsEmptyDirAndEphemeralButNotHostPath() {
    PodValidator restricted = new PodValidator(() -> PodSecurityLevel.RESTRICTED);
    Pod p = PodSecurityStandardTest.base(PodSecurityLevel.RESTRICTED);
    p.getSpec()
        .setVolumes(
            List.of(
                new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build(),
                ephemeral("cache")));
    assertThat(restricted.validate(p)).isInstanceOf(PodAdmission.Accepted.class);
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

  private static Pod withContainers(String... cpuMemoryPairs) {
    var spec = Pods.meta("p").editSpec().withContainers();
    for (int i = 0; i < cpuMemoryPairs.length; i += 2) {
      spec =
          spec.addNewContainer()
              .withName("c" + i)
              .withImage("busybox")
              .withNewResources()
              .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity(cpuMemoryPairs[i]))
              .addToRequests(
                  "memory", new io.fabric8.kubernetes.api.model.Quantity(cpuMemoryPairs[i + 1]))
              .endResources()
              .endContainer();
    }
    return spec.endSpec().build();
  }

  @Test
  void requestsWhoseSumOverflowsFailThePodWithAReason() {
    PodAdmission v = validator.validate(withContainers("1", "5Ei", "1", "5Ei"));
    assertThat(v).isInstanceOf(PodAdmission.Refused.class);
    var r = (PodAdmission.Refused) v;
    assertThat(r.reason()).isEqualTo("InvalidResources");
    assertThat(r.message()).contains("memory", "too large");
  }

  @Test
  void aQuantityBeyondTheLongRangeFailsThePodNamingTheField() {
    PodAdmission v = validator.validate(withContainers("9223372036854775807", "1Gi"));
    assertThat(v).isInstanceOf(PodAdmission.Refused.class);
    var r = (PodAdmission.Refused) v;
    assertThat(r.reason()).isEqualTo("InvalidResources");
    assertThat(r.message()).contains("container c0 requests.cpu", "too large");
  }

  @Test
  void aMalformedQuantityFailsThePod() {
    PodAdmission v = validator.validate(withContainers("lots", "1Gi"));
    assertThat(v).isInstanceOf(PodAdmission.Refused.class);
    assertThat(((PodAdmission.Refused) v).message()).contains("\"lots\"");
  }

  @Test
  void cpuAndBatchCpuOfOneContainerThatOverflowTogetherFailThePod() {
    Pod p =
        Pods.meta("p")
            .editSpec()
            .editFirstContainer()
            .withNewResources()
            .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("5Ei"))
            .addToRequests(
                "kubernetes.io/batch-memory", new io.fabric8.kubernetes.api.model.Quantity("5Ei"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    PodAdmission v = validator.validate(p);
    assertThat(v).isInstanceOf(PodAdmission.Refused.class);
    assertThat(((PodAdmission.Refused) v).reason()).isEqualTo("InvalidResources");
  }
}
