package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Builds the member pod for a metadata pod and its placement (ARCHITECTURE.md §5). A pure function:
 * no I/O, the input is not modified, and the same inputs always give the same pod, so a restarted
 * virtual-kubelet re-derives identical objects.
 */
public final class MemberPodTranslator {
  /**
   * Annotations of the metadata pod that must not follow it into a member: kubectl's copy of the
   * manifest, and the ones Gleaner writes itself on member pods (a tenant's value would be forged).
   * Other annotations pass, Gleaner-prefixed ones included: a pod's gang minimum ({@code
   * gleaner.io/gang-min-member}) and workload hints are the tenant's to give.
   */
  private static final Set<String> DROPPED_ANNOTATIONS =
      Set.of(
          "kubectl.kubernetes.io/last-applied-configuration",
          GleanerKeys.META_LABELS,
          GleanerKeys.META_NAMESPACE,
          GleanerKeys.META_NAME,
          GleanerKeys.CLUSTER,
          GleanerKeys.NODE,
          GleanerKeys.GANG,
          GleanerKeys.GANG_MEMBERS);

  private final TranslationConfig config;

  public MemberPodTranslator(TranslationConfig config) {
    this.config = config;
  }

  public TranslationConfig config() {
    return config;
  }

  /**
   * The desired member pod. Fails with a message naming the field when the inputs cannot make one.
   */
  public Pod translate(Pod meta, Placement placement) {
    return translate(meta, placement, PodReferences.NONE, null);
  }

  /**
   * The desired member pod, its ConfigMap and Secret references pointing at the member copies
   * ({@link NamespaceMapping#memberObjectName}); references to {@code absent} objects (optional,
   * missing in the metadata cluster) are removed (see {@link PodReferences#rewrite}). {@code owner}
   * (may be null) becomes the pod's only ownerReference: a pod with a controller reference is never
   * adopted by a member's controller.
   */
  public Pod translate(Pod meta, Placement placement, PodReferences absent, OwnerReference owner) {
    String gangId = placement.getGangId();
    return translate(
        meta,
        placement,
        absent,
        owner,
        gangId.isEmpty() ? null : new MemberGang(gangId, 0, 0, null));
  }

  /**
   * As {@link #translate(Pod, Placement, PodReferences, OwnerReference)}, for a member of {@code
   * gang} (null: no gang): the pod carries the gang's id, minimum and size in Gleaner's annotations
   * (any the tenant wrote are replaced), and names the mirrored PodGroup when there is one.
   */
  public Pod translate(
      Pod meta, Placement placement, PodReferences absent, OwnerReference owner, MemberGang gang) {
    ObjectMeta m = meta.getMetadata();
    if (m == null || m.getUid() == null || m.getUid().isBlank()) {
      throw new IllegalArgumentException("metadata pod has no metadata.uid");
    }
    if (placement.getNode().getNode().isBlank()) {
      throw new IllegalArgumentException(
          "placement for pod " + m.getNamespace() + "/" + m.getName() + " has no node.node");
    }
    WorkloadClass cls =
        placement.getWorkloadClass() == WorkloadClass.NEAR_LINE
            ? WorkloadClass.NEAR_LINE
            : WorkloadClass.OFFLINE;
    boolean colocation = placement.getSource() == SourceKind.COLOCATION;

    // the pod's own labels ride in an annotation: as labels they would let a member's Services,
    // ReplicaSets or NetworkPolicies select a Gleaner pod
    Map<String, String> tenantLabels = new TreeMap<>();
    if (m.getLabels() != null) {
      m.getLabels()
          .forEach(
              (k, v) -> {
                if (!isGleanerKey(k)) {
                  tenantLabels.put(k, v);
                }
              });
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(GleanerKeys.MANAGED, "true");
    labels.put(GleanerKeys.META_UID, m.getUid());
    labels.put(GleanerKeys.CLASS, WorkloadClasses.label(cls));
    labels.put(GleanerKeys.SOURCE, sourceLabel(placement.getSource()));
    labels.put(GleanerKeys.INSTANCE, config.instance());
    if (colocation) {
      labels.put(GleanerKeys.KOORDINATOR_QOS, "BE");
    }

    Map<String, String> annotations = new LinkedHashMap<>();
    if (m.getAnnotations() != null) {
      m.getAnnotations()
          .forEach(
              (k, v) -> {
                if (!DROPPED_ANNOTATIONS.contains(k)) {
                  annotations.put(k, v);
                }
              });
    }
    if (!tenantLabels.isEmpty()) {
      annotations.put(GleanerKeys.META_LABELS, Serialization.asJson(tenantLabels));
    }
    annotations.put(GleanerKeys.META_NAMESPACE, m.getNamespace());
    annotations.put(GleanerKeys.META_NAME, m.getName());
    annotations.put(GleanerKeys.CLUSTER, placement.getNode().getCluster());
    annotations.put(GleanerKeys.NODE, placement.getNode().getNode());
    if (gang != null) {
      annotations.put(GleanerKeys.GANG, gang.id());
      if (gang.minMember() > 0) {
        annotations.put(GleanerKeys.GANG_MIN_MEMBER, Integer.toString(gang.minMember()));
      }
      if (gang.members() > 0) {
        annotations.put(GleanerKeys.GANG_MEMBERS, Integer.toString(gang.members()));
      }
      if (gang.podGroup() != null) {
        annotations.put(GleanerKeys.VOLCANO_GROUP_NAME, gang.podGroup());
      } else {
        // the metadata cluster's PodGroup does not exist in the member
        annotations.remove(GleanerKeys.VOLCANO_GROUP_NAME);
      }
    }

    ObjectMeta memberMeta =
        new ObjectMetaBuilder()
            .withName(MemberNames.forUid(m.getUid()))
            .withNamespace(config.namespaces().memberNamespace(m.getNamespace()))
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(owner == null ? null : List.of(owner))
            .build();

    PodSpec spec = meta.getSpec();
    // one deep copy (the builder copies nested objects); the metadata pod in the informer cache is
    // never modified
    PodSpec out =
        new PodSpecBuilder(spec)
            .withNodeName(null)
            .withNodeSelector(
                nullIfEmpty(PodShapes.memberNodeSelector(spec.getNodeSelector(), config.node())))
            .withAffinity(memberAffinity(spec.getAffinity(), placement.getNode().getNode()))
            .withTolerations(memberTolerations(spec.getTolerations()))
            .withPriorityClassName(WorkloadClasses.priorityClassName(cls))
            .withPriority(null)
            .withPreemptionPolicy(null)
            .withSchedulerName(null)
            .withReadinessGates(
                (List<PodReadinessGate>) null) // set on the metadata pod (StatusMirror)
            .withServiceAccountName(null)
            .withServiceAccount(null)
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .build();

    Set<String> tokenVolumes = new HashSet<>();
    List<Volume> volumes = new ArrayList<>();
    for (Volume v : PodShapes.nullSafe(out.getVolumes())) {
      if (isServiceAccountTokenVolume(v)) {
        tokenVolumes.add(v.getName());
      } else {
        volumes.add(v);
      }
    }
    out.setVolumes(volumes.isEmpty() ? null : volumes);
    String metaNamespace = m.getNamespace();
    UnaryOperator<String> copyName =
        name -> config.namespaces().memberObjectName(metaNamespace, name);
    PodReferences.rewrite(out, copyName, copyName, absent);
    if (out.getVolumes() != null && out.getVolumes().isEmpty()) {
      out.setVolumes(null);
    }
    for (Container c : PodShapes.nullSafe(out.getInitContainers())) {
      adaptContainer(c, tokenVolumes, colocation);
    }
    for (Container c : PodShapes.nullSafe(out.getContainers())) {
      adaptContainer(c, tokenVolumes, colocation);
    }
    for (EphemeralContainer c : PodShapes.nullSafe(out.getEphemeralContainers())) {
      c.setVolumeMounts(withoutMounts(c.getVolumeMounts(), tokenVolumes));
    }
    if (colocation && out.getOverhead() != null) {
      out.setOverhead(toBatch(out.getOverhead()));
    }
    Pod member = new Pod();
    member.setApiVersion("v1");
    member.setKind("Pod");
    member.setMetadata(memberMeta);
    member.setSpec(out);
    return member;
  }

  /** A key in Gleaner's own namespace ({@code gleaner.io/…} or {@code <sub>.gleaner.io/…}). */
  static boolean isGleanerKey(String key) {
    int slash = key.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String prefix = key.substring(0, slash);
    return prefix.equals("gleaner.io") || prefix.endsWith(".gleaner.io");
  }

  static String sourceLabel(SourceKind source) {
    return switch (source) {
      case IDLE, VOLCANO, COLOCATION, ELASTIC -> source.name().toLowerCase(Locale.ROOT);
      default -> "unknown";
    };
  }

  /**
   * The pod's required node affinity, re-targeted: every remaining term is ANDed with {@code
   * metadata.name In [node]}, so the member scheduler binds to the chosen node only and still
   * checks fit. Preferred terms and pod (anti-)affinity are kept.
   */
  Affinity memberAffinity(Affinity affinity, String node) {
    NodeSelectorRequirement pin = new NodeSelectorRequirement("metadata.name", "In", List.of(node));
    List<NodeSelectorTerm> terms = new ArrayList<>();
    List<NodeSelectorTerm> remaining = PodShapes.memberRequiredTerms(affinity, config.node());
    if (remaining.isEmpty()) {
      terms.add(new NodeSelectorTerm(null, List.of(pin)));
    } else {
      for (NodeSelectorTerm t : remaining) {
        terms.add(new NodeSelectorTerm(t.getMatchExpressions(), List.of(pin)));
      }
    }
    AffinityBuilder b = affinity == null ? new AffinityBuilder() : new AffinityBuilder(affinity);
    if (affinity == null || affinity.getNodeAffinity() == null) {
      b.withNewNodeAffinity().endNodeAffinity();
    }
    return b.editNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withNodeSelectorTerms(terms)
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .build();
  }

  private List<Toleration> memberTolerations(List<Toleration> tolerations) {
    List<Toleration> out = new ArrayList<>(PodShapes.memberTolerations(tolerations));
    for (Toleration t : config.poolTolerations()) {
      if (!out.contains(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * The projected {@code kube-api-access-*} volume, or a legacy token Secret volume, of the
   * metadata cluster.
   */
  static boolean isServiceAccountTokenVolume(Volume v) {
    if (v.getProjected() != null) {
      for (VolumeProjection p : PodShapes.nullSafe(v.getProjected().getSources())) {
        if (p.getServiceAccountToken() != null) {
          return true;
        }
      }
    }
    return v.getName() != null && v.getName().startsWith("kube-api-access-");
  }

  private static void adaptContainer(Container c, Set<String> tokenVolumes, boolean colocation) {
    c.setVolumeMounts(withoutMounts(c.getVolumeMounts(), tokenVolumes));
    if (colocation && c.getResources() != null) {
      ResourceRequirements r = c.getResources();
      r.setRequests(r.getRequests() == null ? null : toBatch(r.getRequests()));
      r.setLimits(r.getLimits() == null ? null : toBatch(r.getLimits()));
    }
  }

  private static List<VolumeMount> withoutMounts(List<VolumeMount> mounts, Set<String> dropped) {
    if (mounts == null || dropped.isEmpty()) {
      return mounts;
    }
    List<VolumeMount> out = new ArrayList<>();
    for (VolumeMount vm : mounts) {
      if (!dropped.contains(vm.getName())) {
        out.add(vm);
      }
    }
    return out;
  }

  /**
   * cpu → {@code kubernetes.io/batch-cpu} in millicores as an integer, memory → {@code
   * kubernetes.io/batch-memory} in bytes; Koordinator accounts best-effort pods in these units.
   * Other resources are kept.
   */
  static Map<String, Quantity> toBatch(Map<String, Quantity> quantities) {
    Map<String, Quantity> out = new LinkedHashMap<>();
    long batchCpu = 0;
    long batchMemory = 0;
    for (Map.Entry<String, Quantity> e : quantities.entrySet()) {
      String name = e.getKey();
      Quantity q = e.getValue();
      String text = Quantities.text(q);
      switch (name) {
        case Resources.CPU ->
            batchCpu = Math.addExact(batchCpu, Quantities.parseCanonical(Resources.CPU, text));
        case Resources.MEMORY ->
            batchMemory =
                Math.addExact(batchMemory, Quantities.parseCanonical(Resources.MEMORY, text));
        case Resources.BATCH_CPU ->
            batchCpu =
                Math.addExact(batchCpu, Quantities.parseCanonical(Resources.BATCH_CPU, text));
        case Resources.BATCH_MEMORY ->
            batchMemory =
                Math.addExact(batchMemory, Quantities.parseCanonical(Resources.BATCH_MEMORY, text));
        default -> out.put(name, q);
      }
    }
    if (batchCpu > 0) {
      out.put(Resources.BATCH_CPU, new Quantity(Long.toString(batchCpu)));
    }
    if (batchMemory > 0) {
      out.put(Resources.BATCH_MEMORY, new Quantity(Long.toString(batchMemory)));
    }
    return out;
  }

  private static <K, V> Map<K, V> nullIfEmpty(Map<K, V> map) {
    return map == null || map.isEmpty() ? null : map;
  }
}
