package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberPodTranslatorTest {
  private final MemberPodTranslator translator =
      new MemberPodTranslator(TranslationConfig.defaults("prod", "gleaner"));

  private Pod idle() {
    return translator.translate(
        Pods.meta("p1").build(),
        Pods.placement("c1", "node-7", SourceKind.IDLE, WorkloadClass.NEAR_LINE));
  }

  @Test
  void nameAndNamespaceComeFromUidAndMapping() {
    Pod m = idle();
    assertThat(m.getMetadata().getName()).isEqualTo(MemberNames.forUid("uid-p1"));
    // the default mapping keeps tenants out of the member's own namespaces
    assertThat(m.getMetadata().getNamespace()).isEqualTo("gleaner-team-a");
    assertThat(m.getMetadata().getResourceVersion()).isNull();
    assertThat(m.getMetadata().getUid()).isNull();
  }

  @Test
  void namespaceMappingPrefixAndOverride() {
    var cfg =
        new TranslationConfig(
            "prod",
            VirtualNode.named("gleaner"),
            new NamespaceMapping("gl-", Map.of("special", "x")),
            List.of());
    var t = new MemberPodTranslator(cfg);
    var pl = Pods.placement("c1", "n", SourceKind.IDLE, WorkloadClass.OFFLINE);
    assertThat(t.translate(Pods.meta("a").build(), pl).getMetadata().getNamespace())
        .isEqualTo("gl-team-a");
    Pod special = Pods.meta("b").editMetadata().withNamespace("special").endMetadata().build();
    assertThat(t.translate(special, pl).getMetadata().getNamespace()).isEqualTo("x");
  }

  @Test
  void singleMappingQualifiesReferencedObjectsAndDropsAbsentOptionalOnes() {
    var cfg =
        new TranslationConfig(
            "prod", VirtualNode.named("gleaner"), NamespaceMapping.single("gleaner"), List.of());
    var t = new MemberPodTranslator(cfg);
    var pl = Pods.placement("c1", "n", SourceKind.IDLE, WorkloadClass.OFFLINE);
    Pod meta =
        Pods.meta("a")
            .editSpec()
            .addNewImagePullSecret()
            .withName("registry")
            .endImagePullSecret()
            .addNewImagePullSecret()
            .withName("gone")
            .endImagePullSecret()
            .endSpec()
            .build();
    Pod m = t.translate(meta, pl, new PodReferences(Set.of(), Set.of("gone")), null);
    assertThat(m.getMetadata().getNamespace()).isEqualTo("gleaner");
    assertThat(PodReferences.of(m.getSpec()).configMaps()).containsExactly("team-a.app-conf");
    assertThat(m.getSpec().getImagePullSecrets())
        .extracting("name")
        .containsExactly("team-a.registry");
    // the metadata pod in the cache keeps its names
    assertThat(PodReferences.of(meta.getSpec()).configMaps()).containsExactly("app-conf");
  }

  @Test
  void gleanerLabelsAndMetaAnnotations() {
    Pod m = idle();
    assertThat(m.getMetadata().getLabels())
        .containsOnlyKeys(
            GleanerKeys.MANAGED,
            GleanerKeys.META_UID,
            GleanerKeys.CLASS,
            GleanerKeys.SOURCE,
            GleanerKeys.INSTANCE)
        .containsEntry(GleanerKeys.MANAGED, "true")
        .containsEntry(GleanerKeys.META_UID, "uid-p1")
        .containsEntry(GleanerKeys.CLASS, "near-line")
        .containsEntry(GleanerKeys.SOURCE, "idle")
        .containsEntry(GleanerKeys.INSTANCE, "prod")
        .doesNotContainKey(GleanerKeys.KOORDINATOR_QOS);
    assertThat(m.getMetadata().getAnnotations())
        .containsEntry(GleanerKeys.META_NAMESPACE, "team-a")
        .containsEntry(GleanerKeys.META_NAME, "p1")
        .containsEntry("team", "a")
        .containsEntry(GleanerKeys.META_LABELS, "{\"app\":\"train\"}")
        .containsEntry(GleanerKeys.CLUSTER, "c1")
        .containsEntry(GleanerKeys.NODE, "node-7")
        .doesNotContainKey("kubectl.kubernetes.io/last-applied-configuration");
  }

  @Test
  void tenantLabelsAreCarriedInAnAnnotationSoNoMemberSelectorMatches() {
    Pod meta =
        Pods.meta("p")
            .editMetadata()
            .addToLabels("app.kubernetes.io/name", "web")
            .addToLabels("pod-template-hash", "abc")
            .addToLabels("koordinator.sh/qosClass", "LSR")
            .addToLabels("x.gleaner.io/spoof", "1")
            .addToAnnotations(GleanerKeys.META_LABELS, "{\"forged\":\"1\"}")
            .addToAnnotations(GleanerKeys.CLUSTER, "forged")
            .addToAnnotations("sim.gleaner.io/run-seconds", "600")
            .addToAnnotations(GleanerKeys.GANG_MIN_MEMBER, "4")
            .endMetadata()
            .build();
    Pod m =
        translator.translate(
            meta, Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE));
    assertThat(m.getMetadata().getLabels())
        .doesNotContainKeys(
            "app", "app.kubernetes.io/name", "pod-template-hash", "koordinator.sh/qosClass");
    assertThat(m.getMetadata().getAnnotations())
        .containsEntry(
            GleanerKeys.META_LABELS,
            "{\"app\":\"train\",\"app.kubernetes.io/name\":\"web\","
                + "\"koordinator.sh/qosClass\":\"LSR\",\"pod-template-hash\":\"abc\"}")
        .containsEntry(GleanerKeys.CLUSTER, "c")
        // workload annotations pass, Gleaner-prefixed ones included (the sandbox's run time, a
        // gang's minimum for the descheduler)
        .containsEntry("sim.gleaner.io/run-seconds", "600")
        .containsEntry(GleanerKeys.GANG_MIN_MEMBER, "4");
  }

  @Test
  void aGangMembersPodCarriesItsGangForTheDescheduler() {
    // A Volcano gang in the metadata cluster (PodGroup ml/train, minMember 4): the member pod must
    // say which gang it belongs to federation-wide, or the descheduler takes the part it sees in
    // one member for the whole gang. A tenant's own gleaner.io/gang values are never trusted.
    Pod meta =
        Pods.meta("w0")
            .editMetadata()
            .addToAnnotations("scheduling.k8s.io/group-name", "train")
            .addToAnnotations(GleanerKeys.GANG, "forged/gang")
            .addToAnnotations(GleanerKeys.GANG_MEMBERS, "1000")
            .endMetadata()
            .build();
    Placement placed =
        Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE).toBuilder()
            .setGangId(meta.getMetadata().getNamespace() + "/train")
            .build();
    Pod m = translator.translate(meta, placed);
    assertThat(m.getMetadata().getAnnotations())
        .containsEntry(GleanerKeys.GANG, meta.getMetadata().getNamespace() + "/train")
        .doesNotContainKey(GleanerKeys.GANG_MEMBERS);
    Pod single =
        translator.translate(
            Pods.meta("s")
                .editMetadata()
                .addToAnnotations(GleanerKeys.GANG, "forged/gang")
                .endMetadata()
                .build(),
            Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE));
    assertThat(single.getMetadata().getAnnotations()).doesNotContainKey(GleanerKeys.GANG);
  }

  @Test
  void aGangMembersPodNamesTheMirroredPodGroupOrCarriesTheGangInAnnotationsOnly() {
    Pod meta =
        Pods.meta("w0")
            .editMetadata()
            .addToAnnotations("scheduling.k8s.io/group-name", "train")
            .endMetadata()
            .build();
    Placement placed = Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE);
    Pod volcano =
        translator.translate(
            meta, placed, PodReferences.NONE, null, new MemberGang("ml/train", 4, 4, "ml.train"));
    assertThat(volcano.getMetadata().getAnnotations())
        .containsEntry(GleanerKeys.GANG, "ml/train")
        .containsEntry(GleanerKeys.GANG_MIN_MEMBER, "4")
        .containsEntry(GleanerKeys.GANG_MEMBERS, "4")
        .containsEntry("scheduling.k8s.io/group-name", "ml.train");
    Pod plain =
        translator.translate(
            meta, placed, PodReferences.NONE, null, new MemberGang("ml/train", 4, 4, null));
    assertThat(plain.getMetadata().getAnnotations())
        .containsEntry(GleanerKeys.GANG_MIN_MEMBER, "4")
        .doesNotContainKey("scheduling.k8s.io/group-name");
  }

  @Test
  void ownerReferenceMakesThePodUnadoptable() {
    var owner =
        new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
            .withApiVersion("v1")
            .withKind("ConfigMap")
            .withName("gleaner-owner-x")
            .withUid("u-1")
            .withController(true)
            .build();
    Pod m =
        translator.translate(
            Pods.meta("p").build(),
            Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE),
            PodReferences.NONE,
            owner);
    assertThat(m.getMetadata().getOwnerReferences()).containsExactly(owner);
  }

  @Test
  void userCannotSpoofGleanerLabels() {
    Pod meta =
        Pods.meta("p")
            .editMetadata()
            .addToLabels(GleanerKeys.INSTANCE, "other")
            .addToLabels(GleanerKeys.META_UID, "fake")
            .endMetadata()
            .build();
    Pod m =
        translator.translate(
            meta, Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE));
    assertThat(m.getMetadata().getLabels())
        .containsEntry(GleanerKeys.INSTANCE, "prod")
        .containsEntry(GleanerKeys.META_UID, "uid-p")
        .containsEntry(GleanerKeys.CLASS, "offline");
  }

  @Test
  void priorityClassFollowsClassAndPriorityValueIsCleared() {
    assertThat(idle().getSpec().getPriorityClassName()).isEqualTo("gleaner-near-line");
    assertThat(idle().getSpec().getPriority()).isNull();
    Pod off =
        translator.translate(
            Pods.meta("p").build(),
            Pods.placement("c", "n", SourceKind.VOLCANO, WorkloadClass.OFFLINE));
    assertThat(off.getSpec().getPriorityClassName()).isEqualTo("gleaner-offline");
    assertThat(off.getMetadata().getLabels()).containsEntry(GleanerKeys.SOURCE, "volcano");
  }

  @Test
  void readinessGatesStayWithTheMetadataPod() {
    Pod m =
        translator.translate(
            Pods.meta("p").editSpec().addNewReadinessGate("example.com/lb-ready").endSpec().build(),
            Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE));
    assertThat(m.getSpec().getReadinessGates())
        .as("no controller in the member sets the gate's condition")
        .isNullOrEmpty();
  }

  @Test
  void pinnedToChosenNodeAndVirtualNodeSelectorsRemoved() {
    Pod m = idle();
    assertThat(m.getSpec().getNodeName()).isNull();
    assertThat(m.getSpec().getSchedulerName()).isNull();
    assertThat(m.getSpec().getNodeSelector()).containsExactly(Map.entry("disk", "ssd"));
    List<NodeSelectorTerm> terms =
        m.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    assertThat(terms).hasSize(1);
    assertThat(terms.get(0).getMatchFields())
        .containsExactly(new NodeSelectorRequirement("metadata.name", "In", List.of("node-7")));
  }

  @Test
  void userAffinityTermsAreKeptAndEachAndedWithThePin() {
    Pod meta =
        Pods.meta("p")
            .editSpec()
            .withNewAffinity()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("type")
            .withOperator("In")
            .withValues("virtual-kubelet")
            .endMatchExpression()
            .addNewMatchExpression()
            .withKey("zone")
            .withOperator("In")
            .withValues("a")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("zone")
            .withOperator("In")
            .withValues("b")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .withNewPodAntiAffinity()
            .endPodAntiAffinity()
            .endAffinity()
            .endSpec()
            .build();
    Pod m =
        translator.translate(
            meta, Pods.placement("c", "n1", SourceKind.IDLE, WorkloadClass.OFFLINE));
    var terms =
        m.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    assertThat(terms).hasSize(2);
    assertThat(terms)
        .allSatisfy(
            t ->
                assertThat(t.getMatchFields())
                    .extracting(NodeSelectorRequirement::getValues)
                    .containsExactly(List.of("n1")));
    assertThat(terms.get(0).getMatchExpressions())
        .extracting(NodeSelectorRequirement::getKey)
        .containsExactly("zone");
    assertThat(m.getSpec().getAffinity().getPodAntiAffinity()).isNotNull();
  }

  @Test
  void tolerationsDropVirtualNodeTaintAndAddPool() {
    List<Toleration> t = idle().getSpec().getTolerations();
    assertThat(t).extracting(Toleration::getKey).containsExactly("gpu", GleanerKeys.POOL);
    assertThat(t.get(1).getOperator()).isEqualTo("Exists");
  }

  @Test
  void noMetadataClusterServiceAccountToken() {
    Pod m = idle();
    assertThat(m.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(m.getSpec().getServiceAccountName()).isNull();
    assertThat(m.getSpec().getVolumes()).extracting("name").containsExactly("conf");
    assertThat(m.getSpec().getContainers().get(0).getVolumeMounts())
        .extracting("name")
        .containsExactly("conf");
    assertThat(m.getSpec().getEnableServiceLinks()).isFalse();
  }

  @Test
  void emptyDirAndEphemeralVolumesMoveUnchangedAndDoNotDependOnTheMetadataName() {
    Volume memory =
        new VolumeBuilder()
            .withName("shm")
            .withNewEmptyDir()
            .withMedium("Memory")
            .withSizeLimit(new Quantity("256Mi"))
            .endEmptyDir()
            .build();
    Volume scratch =
        new VolumeBuilder()
            .withName("scratch")
            .withNewEmptyDir()
            .withSizeLimit(new Quantity("1Gi"))
            .endEmptyDir()
            .build();
    Volume cache = PodValidatorTest.ephemeral("cache");
    Pod meta =
        Pods.meta("p1")
            .editSpec()
            .addToVolumes(memory, scratch, cache)
            .editFirstContainer()
            .addNewVolumeMount()
            .withName("cache")
            .withMountPath("/cache")
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("shm")
            .withMountPath("/dev/shm")
            .endVolumeMount()
            .endContainer()
            .endSpec()
            .build();
    for (TranslationConfig cfg :
        List.of(
            TranslationConfig.defaults("prod", "gleaner"),
            new TranslationConfig(
                "prod", VirtualNode.named("gleaner"), NamespaceMapping.single("gl"), List.of()))) {
      Pod m =
          new MemberPodTranslator(cfg)
              .translate(
                  meta,
                  Pods.placement("c1", "node-7", SourceKind.COLOCATION, WorkloadClass.OFFLINE));
      assertThat(m.getSpec().getVolumes())
          .filteredOn(v -> !v.getName().equals("conf"))
          .containsExactly(memory, scratch, cache);
      assertThat(m.getSpec().getContainers().get(0).getVolumeMounts())
          .extracting("name")
          .containsExactly("conf", "cache", "shm");
      // the member's ephemeral volume controller names the claim <member pod>-cache; nothing in
      // the pod names a claim or the metadata pod
      assertThat(Serialization.asJson(m.getSpec().getVolumes())).doesNotContain("p1");
    }
    assertThat(meta.getSpec().getVolumes()).contains(cache);
  }

  @Test
  void envValueFromLeftAsIs() {
    assertThat(
            idle()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv()
                .get(0)
                .getValueFrom()
                .getFieldRef()
                .getFieldPath())
        .isEqualTo("metadata.name");
  }

  @Test
  void idleNodeKeepsCpuAndMemory() {
    var r = idle().getSpec().getContainers().get(0).getResources();
    assertThat(r.getRequests()).containsEntry("cpu", new Quantity("500m")).containsKey("memory");
  }

  @Test
  void colocationConvertsToBatchResourcesAndBeQos() {
    Pod meta =
        Pods.meta("p")
            .editSpec()
            .editFirstContainer()
            .editResources()
            .addToRequests("nvidia.com/gpu", new Quantity("1"))
            .endResources()
            .endContainer()
            .addNewInitContainer()
            .withName("init")
            .withNewResources()
            .addToRequests("cpu", new Quantity("1.5"))
            .endResources()
            .endInitContainer()
            .endSpec()
            .build();
    Pod m =
        translator.translate(
            meta, Pods.placement("c", "n", SourceKind.COLOCATION, WorkloadClass.OFFLINE));
    var r = m.getSpec().getContainers().get(0).getResources();
    assertThat(r.getRequests())
        .doesNotContainKeys("cpu", "memory")
        .containsEntry("kubernetes.io/batch-cpu", new Quantity("500"))
        .containsEntry("kubernetes.io/batch-memory", new Quantity(Long.toString(1L << 30)))
        .containsEntry("nvidia.com/gpu", new Quantity("1"));
    assertThat(r.getLimits())
        .containsEntry("kubernetes.io/batch-cpu", new Quantity("1000"))
        .containsEntry("kubernetes.io/batch-memory", new Quantity(Long.toString(2L << 30)));
    assertThat(m.getSpec().getInitContainers().get(0).getResources().getRequests())
        .containsExactly(Map.entry("kubernetes.io/batch-cpu", new Quantity("1500")));
    assertThat(m.getMetadata().getLabels())
        .containsEntry("koordinator.sh/qosClass", "BE")
        .containsEntry(GleanerKeys.SOURCE, "colocation");
  }

  @Test
  void inputIsNotModifiedAndOutputIsDeterministic() {
    Pod meta = Pods.meta("p1").build();
    String before = Serialization.asJson(meta);
    Pod a =
        translator.translate(
            meta, Pods.placement("c", "n", SourceKind.COLOCATION, WorkloadClass.OFFLINE));
    Pod b =
        translator.translate(
            meta, Pods.placement("c", "n", SourceKind.COLOCATION, WorkloadClass.OFFLINE));
    assertThat(Serialization.asJson(meta)).isEqualTo(before);
    assertThat(a).isEqualTo(b);
    assertThat(a.getStatus()).isNull();
  }

  @Test
  void missingUidOrNodeIsAClearError() {
    Pod noUid =
        new PodBuilder(Pods.meta("p").build()).editMetadata().withUid(null).endMetadata().build();
    var pl = Pods.placement("c", "n", SourceKind.IDLE, WorkloadClass.OFFLINE);
    assertThatThrownBy(() -> translator.translate(noUid, pl)).hasMessageContaining("metadata.uid");
    assertThatThrownBy(
            () ->
                translator.translate(
                    Pods.meta("p").build(),
                    Pods.placement("c", "", SourceKind.IDLE, WorkloadClass.OFFLINE)))
        .hasMessageContaining("node.node");
  }

  @Test
  void invalidConfigIsRejectedNamingTheKey() {
    assertThatThrownBy(() -> TranslationConfig.defaults("bad value!", "gleaner"))
        .hasMessageContaining("gleaner.io/instance");
    assertThatThrownBy(() -> new NamespaceMapping("UPPER", Map.of()))
        .hasMessageContaining("namespaceMapping.prefix");
    assertThatThrownBy(() -> new NamespaceMapping("", Map.of("a", "Bad_NS")))
        .hasMessageContaining("namespaceMapping.overrides['a']");
  }
}
