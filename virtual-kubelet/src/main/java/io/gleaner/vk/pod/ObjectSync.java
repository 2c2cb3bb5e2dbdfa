package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.PodReferences;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Copies the ConfigMaps and Secrets a pod uses from the metadata cluster into the member namespace,
 * creating the namespace if missing (labelled with the policy's Pod Security Admission level), and
 * removes copies no pod uses any more.
 *
 * <p>Tenant isolation: a copy carries the managed, instance and copy labels and the metadata
 * namespace and name it came from. Only such a copy of the same source is ever updated or deleted;
 * a member's own object of the same name is never touched, and the pod that needs the name fails
 * with {@link #REASON_CONFLICT}. A required reference missing in the metadata cluster fails the pod
 * with {@link #REASON_MISSING} (the member kubelet would otherwise read the member's own object of
 * that name); an optional one is reported absent and the translator drops it from the member pod.
 *
 * <p>A copy is redone only when the source's resourceVersion changed.
 */
public final class ObjectSync {
  /** A required ConfigMap or Secret does not exist in the metadata cluster. */
  public static final String REASON_MISSING = "ReferenceNotFound";

  /** The member namespace holds an object of the copy's name that Gleaner did not make. */
  public static final String REASON_CONFLICT = "ReferenceConflict";

  /** The Pod Security Admission label naming the level a namespace enforces. */
  public static final String PSA_ENFORCE = "pod-security.kubernetes.io/enforce";

  /** The Pod Security Admission label naming the version of the enforced level. */
  public static final String PSA_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version";

  private static final String CM = "configmap";
  private static final String SECRET = "secret";

  private final KubernetesClient meta;
  private final String instance;
  private final Clock clock;
  private final Duration minAge;
  private final Supplier<PodSecurityLevel> podSecurity;

  /** cluster/namespace → the Pod Security Admission level the namespace was last seen with. */
  private final Map<String, String> namespaces = new ConcurrentHashMap<>();

  private final Map<String, OwnerReference> owners = new ConcurrentHashMap<>();

  /** cluster/ns/kind/name → the source resourceVersion last copied. */
  private final Map<String, String> copied = new ConcurrentHashMap<>();

  /** cluster/ns/kind/name → the monitor that orders a copy's sync and its collection. */
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /** cluster/ns/kind/name → when a sync last needed the copy (ms). */
  private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();

  /**
   * @param minAge a copy needed or made more recently than this is never collected (the pod that
   *     needs it may not be in the member cache yet)
   */
  public ObjectSync(KubernetesClient meta, String instance, Clock clock, Duration minAge) {
    this(meta, instance, clock, minAge, () -> EffectivePolicy.DEFAULTS.podSecurity());
  }

  /**
   * @param minAge a copy needed or made more recently than this is never collected
   * @param podSecurity the Pod Security Admission level of the member namespaces it creates
   */
  public ObjectSync(
      KubernetesClient meta,
      String instance,
      Clock clock,
      Duration minAge,
      Supplier<PodSecurityLevel> podSecurity) {
    this.podSecurity = podSecurity;
    this.meta = meta;
    this.instance = instance;
    this.clock = clock;
    this.minAge = minAge;
  }

  /** What {@link #sync} made of a pod's references. */
  public sealed interface Outcome {
    /**
     * Every required reference is copied; {@code absent} are the optional ones missing in the
     * metadata cluster.
     */
    record Synced(PodReferences absent) implements Outcome {}

    /** The pod cannot run: a reason for its status and a message naming the object. */
    record Refused(String reason, String message) implements Outcome {}
  }

  /**
   * Copies {@code refs} of metadata namespace {@code metaNamespace} into {@code memberNamespace},
   * each under {@code memberName.apply(name)}. Nothing is copied when a required reference is
   * missing. Throws {@link KubernetesClientException} on API errors (transient: the caller
   * retries).
   */
  public Outcome sync(
      String cluster,
      KubernetesClient member,
      String metaNamespace,
      String memberNamespace,
      PodReferences refs,
      UnaryOperator<String> memberName) {
    Map<String, ConfigMap> cms = new LinkedHashMap<>();
    Map<String, Secret> secrets = new LinkedHashMap<>();
    Set<String> absentCms = new TreeSet<>();
    Set<String> absentSecrets = new TreeSet<>();
    for (String name : refs.configMaps()) {
      ConfigMap src = meta.configMaps().inNamespace(metaNamespace).withName(name).get();
      if (src != null) {
        cms.put(name, src);
      } else if (refs.optionalConfigMaps().contains(name)) {
        absentCms.add(name);
      } else {
        return missing("ConfigMap", metaNamespace, name);
      }
    }
    for (String name : refs.secrets()) {
      Secret src = meta.secrets().inNamespace(metaNamespace).withName(name).get();
      if (src != null) {
        secrets.put(name, src);
      } else if (refs.optionalSecrets().contains(name)) {
        absentSecrets.add(name);
      } else {
        return missing("Secret", metaNamespace, name);
      }
    }
    ensureNamespace(cluster, member, memberNamespace);
    for (Map.Entry<String, ConfigMap> e : cms.entrySet()) {
      ConfigMap src = e.getValue();
      ConfigMap copy =
          new ConfigMapBuilder()
              .withMetadata(copyMeta(memberName.apply(e.getKey()), memberNamespace, src))
              .withData(src.getData())
              .withBinaryData(src.getBinaryData())
              .withImmutable(src.getImmutable())
              .build();
      Outcome o =
          copy(
              cluster,
              CM,
              member.configMaps(),
              copy,
              src,
              (live, want) -> {
                live.setData(want.getData());
                live.setBinaryData(want.getBinaryData());
              },
              (a, b) ->
                  Objects.equals(a.getData(), b.getData())
                      && Objects.equals(a.getBinaryData(), b.getBinaryData()));
      if (o != null) {
        return o;
      }
    }
    for (Map.Entry<String, Secret> e : secrets.entrySet()) {
      Secret src = e.getValue();
      Secret copy =
          new SecretBuilder()
              .withMetadata(copyMeta(memberName.apply(e.getKey()), memberNamespace, src))
              .withType(src.getType())
              .withData(src.getData())
              .withStringData(src.getStringData())
              .withImmutable(src.getImmutable())
              .build();
      Outcome o =
          copy(
              cluster,
              SECRET,
              member.secrets(),
              copy,
              src,
              (live, want) -> {
                live.setData(want.getData());
                live.setStringData(want.getStringData());
              },
              (a, b) -> Objects.equals(a.getData(), b.getData()) && b.getStringData() == null);
      if (o != null) {
        return o;
      }
    }
    return new Outcome.Synced(new PodReferences(absentCms, absentSecrets));
  }

  private interface Apply<T> {
    void to(T live, T want);
  }

  private interface Same<T> {
    boolean test(T live, T want);
  }

  /** Creates or updates one copy; null when done, a refusal on a name conflict. */
  private <T extends HasMetadata> Outcome copy(
      String cluster,
      String kind,
      MixedOperation<T, ?, ? extends Resource<T>> op,
      T copy,
      HasMetadata src,
      Apply<T> apply,
      Same<T> same) {
    String key =
        key(cluster, copy.getMetadata().getNamespace(), kind, copy.getMetadata().getName());
    synchronized (lock(key)) {
      return copyLocked(key, cluster, kind, op, copy, src, apply, same);
    }
  }

  private <T extends HasMetadata> Outcome copyLocked(
      String key,
      String cluster,
      String kind,
      MixedOperation<T, ?, ? extends Resource<T>> op,
      T copy,
      HasMetadata src,
      Apply<T> apply,
      Same<T> same) {
    String ns = copy.getMetadata().getNamespace();
    String name = copy.getMetadata().getName();
    String rv = src.getMetadata().getResourceVersion();
    lastUsed.put(key, clock.millis());
    if (rv != null && rv.equals(copied.get(key))) {
      return null;
    }
    T live = op.inNamespace(ns).withName(name).get();
    if (live == null) {
      try {
        op.inNamespace(ns).resource(copy).create();
        copied.put(key, rv);
        return null;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        live = op.inNamespace(ns).withName(name).get();
        if (live == null) {
          throw e; // deleted in between: the retry creates it
        }
      }
    }
    if (!isCopyOf(live, src)) {
      copied.remove(key);
      return new Outcome.Refused(
          REASON_CONFLICT,
          displayKind(kind)
              + " "
              + ns
              + "/"
              + name
              + " in member cluster "
              + cluster
              + " belongs to "
              + owner(live)
              + "; Gleaner never overwrites it, so the copy of "
              + src.getMetadata().getNamespace()
              + "/"
              + src.getMetadata().getName()
              + " cannot be made there (rename the object, or map this namespace elsewhere)");
    }
    if (!same.test(live, copy)) {
      if (Boolean.TRUE.equals(immutable(live))) {
        // an immutable copy cannot change: a new one replaces it (running pods keep their mounts)
        op.inNamespace(ns).resource(live).delete();
        op.inNamespace(ns).resource(copy).create();
      } else {
        apply.to(live, copy);
        live.getMetadata().setLabels(copy.getMetadata().getLabels());
        live.getMetadata().setAnnotations(copy.getMetadata().getAnnotations());
        op.inNamespace(ns).resource(live).update();
      }
    } else if (!copy.getMetadata().getLabels().equals(labels(live.getMetadata()))) {
      live.getMetadata().setLabels(copy.getMetadata().getLabels());
      live.getMetadata().setAnnotations(copy.getMetadata().getAnnotations());
      op.inNamespace(ns).resource(live).update();
    }
    copied.put(key, rv);
    return null;
  }

  /**
   * The object that owns the member pods of this installation in {@code namespace}: a ConfigMap
   * Gleaner makes there, with a controller ownerReference to it on every member pod so that no
   * member controller (ReplicaSet, Job, …) adopts a Gleaner pod whose labels it selects. Deleting
   * it deletes the Gleaner pods of that namespace (Kubernetes garbage collection), like deleting a
   * ReplicaSet deletes its pods. Throws {@link KubernetesClientException} on API errors, {@link
   * IllegalStateException} when a member's own object holds the name.
   */
  public OwnerReference owner(String cluster, KubernetesClient member, String namespace) {
    String k = cluster + "/" + namespace;
    OwnerReference known = owners.get(k);
    if (known != null) {
      return known;
    }
    ensureNamespace(cluster, member, namespace);
    String name = ownerName(instance);
    ConfigMap live = member.configMaps().inNamespace(namespace).withName(name).get();
    if (live == null) {
      ConfigMap owner =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(namespace)
              .addToLabels(GleanerKeys.MANAGED, "true")
              .addToLabels(GleanerKeys.INSTANCE, instance)
              .addToLabels(GleanerKeys.OWNER, "true")
              .endMetadata()
              .addToData("instance", instance)
              .addToData(
                  "purpose",
                  "Owns the Gleaner pods of this namespace so that no other controller adopts them;"
                      + " deleting it deletes them.")
              .build();
      try {
        live = member.configMaps().inNamespace(namespace).resource(owner).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        live = member.configMaps().inNamespace(namespace).withName(name).get();
        if (live == null) {
          throw e;
        }
      }
    }
    Map<String, String> labels = labels(live.getMetadata());
    if (!"true".equals(labels.get(GleanerKeys.OWNER))
        || !instance.equals(labels.get(GleanerKeys.INSTANCE))) {
      throw new IllegalStateException(
          "ConfigMap "
              + namespace
              + "/"
              + name
              + " in member cluster "
              + cluster
              + " is not Gleaner's pod owner; Gleaner never overwrites it");
    }
    OwnerReference ref =
        new OwnerReferenceBuilder()
            .withApiVersion("v1")
            .withKind("ConfigMap")
            .withName(name)
            .withUid(live.getMetadata().getUid())
            .withController(true)
            .build();
    owners.put(k, ref);
    return ref;
  }

  /** {@code gleaner-owner-} and 10 hex digits of SHA-256 of the instance. */
  static String ownerName(String instance) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(instance.getBytes(StandardCharsets.UTF_8));
      return "gleaner-owner-" + HexFormat.of().formatHex(d, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }

  /**
   * Deletes the copies of this installation in a member that no pod in {@code inUse} references and
   * no sync needed within the minimum age, and forgets the cluster's pod owners (re-read by the
   * next pod of each namespace). {@code inUse} holds {@code namespace/configmap/name} and {@code
   * namespace/secret/name} keys ({@link #useKeys}). Returns how many were deleted.
   */
  public int collect(String cluster, KubernetesClient member, Set<String> inUse) {
    // a pod owner someone deleted (and its uid with it) is looked up again at least this often
    owners.keySet().removeIf(k -> k.startsWith(cluster + "/"));
    Map<String, String> selector =
        Map.of(
            GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance, GleanerKeys.COPY, "true");
    int deleted = 0;
    for (ConfigMap c :
        member.configMaps().inAnyNamespace().withLabels(selector).list().getItems()) {
      if (deleteIfUnused(cluster, CM, c, inUse, member.configMaps())) {
        deleted++;
      }
    }
    for (Secret s : member.secrets().inAnyNamespace().withLabels(selector).list().getItems()) {
      if (deleteIfUnused(cluster, SECRET, s, inUse, member.secrets())) {
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * Under the copy's lock, so that no sync finds the copy current while it is being deleted: a sync
   * after the delete makes it again.
   */
  private <T extends HasMetadata> boolean deleteIfUnused(
      String cluster,
      String kind,
      T o,
      Set<String> inUse,
      MixedOperation<T, ?, ? extends Resource<T>> op) {
    String key = key(cluster, o.getMetadata().getNamespace(), kind, o.getMetadata().getName());
    synchronized (lock(key)) {
      if (!unused(cluster, kind, o, inUse, clock.millis())) {
        return false;
      }
      op.inNamespace(o.getMetadata().getNamespace()).resource(o).delete();
      forgetCopy(cluster, kind, o);
      return true;
    }
  }

  private Object lock(String key) {
    return locks.computeIfAbsent(key, k -> new Object());
  }

  /** The keys {@link #collect} expects for the references of a member pod's spec. */
  public static Set<String> useKeys(String memberNamespace, PodReferences memberRefs) {
    Set<String> keys = new TreeSet<>();
    memberRefs.configMaps().forEach(n -> keys.add(memberNamespace + "/" + CM + "/" + n));
    memberRefs.secrets().forEach(n -> keys.add(memberNamespace + "/" + SECRET + "/" + n));
    return keys;
  }

  private boolean unused(String cluster, String kind, HasMetadata o, Set<String> inUse, long now) {
    String ns = o.getMetadata().getNamespace();
    String name = o.getMetadata().getName();
    if (inUse.contains(ns + "/" + kind + "/" + name)) {
      return false;
    }
    Long used = lastUsed.get(key(cluster, ns, kind, name));
    if (used != null && now - used < minAge.toMillis()) {
      return false;
    }
    String created = o.getMetadata().getCreationTimestamp();
    try {
      return created == null || now - Instant.parse(created).toEpochMilli() >= minAge.toMillis();
    } catch (RuntimeException e) {
      return true;
    }
  }

  private void forgetCopy(String cluster, String kind, HasMetadata o) {
    String key = key(cluster, o.getMetadata().getNamespace(), kind, o.getMetadata().getName());
    copied.remove(key);
    lastUsed.remove(key);
  }

  /**
   * Makes sure the member has the PriorityClass a member pod names (the gleaner-member chart
   * installs them; a member joined without the chart gets them here, with the chart's values:
   * near-line -100, offline -200, never preempting).
   */
  public void ensurePriorityClass(String cluster, KubernetesClient member, String name) {
    String k = cluster + "/priorityclass/" + name;
    if (namespaces.containsKey(k)) {
      return;
    }
    if (member.scheduling().v1().priorityClasses().withName(name).get() == null) {
      try {
        member
            .scheduling()
            .v1()
            .priorityClasses()
            .resource(
                new PriorityClassBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .addToLabels(GleanerKeys.MANAGED, "true")
                    .endMetadata()
                    .withValue(GleanerKeys.PRIORITY_NEAR_LINE.equals(name) ? -100 : -200)
                    .withPreemptionPolicy("Never")
                    .withGlobalDefault(false)
                    .withDescription(
                        "Gleaner " + name + " pods: lent capacity, evicted first, never preempt")
                    .build())
            .create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    }
    namespaces.put(k, "");
  }

  void ensureNamespace(String cluster, KubernetesClient member, String namespace) {
    String level = podSecurity.get().label();
    String k = cluster + "/" + namespace;
    if (level.equals(namespaces.get(k))) {
      return;
    }
    Namespace live = member.namespaces().withName(namespace).get();
    if (live == null) {
      try {
        member
            .namespaces()
            .resource(
                new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace)
                    .addToLabels(GleanerKeys.MANAGED, "true")
                    .addToLabels(GleanerKeys.INSTANCE, instance)
                    .addToLabels(PSA_ENFORCE, level)
                    .addToLabels(PSA_ENFORCE_VERSION, "latest")
                    .endMetadata()
                    .build())
            .create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    } else if (instance.equals(labels(live.getMetadata()).get(GleanerKeys.INSTANCE))
        && !level.equals(labels(live.getMetadata()).get(PSA_ENFORCE))) {
      // a namespace this installation created follows the policy's level; a member's own is left
      member
          .namespaces()
          .withName(namespace)
          .edit(
              n ->
                  new NamespaceBuilder(n)
                      .editMetadata()
                      .addToLabels(PSA_ENFORCE, level)
                      .addToLabels(PSA_ENFORCE_VERSION, "latest")
                      .endMetadata()
                      .build());
    }
    namespaces.put(k, level);
  }

  /** Forgets what was copied to a cluster (e.g. after it was unreachable, its state is unknown). */
  public void forget(String cluster) {
    namespaces.keySet().removeIf(k -> k.startsWith(cluster + "/"));
    owners.keySet().removeIf(k -> k.startsWith(cluster + "/"));
    copied.keySet().removeIf(k -> k.startsWith(cluster + "/"));
  }

  /** Forgets the pod owner of a namespace (a member pod vanished: the owner may be gone). */
  public void forgetOwner(String cluster, String namespace) {
    owners.remove(cluster + "/" + namespace);
  }

  /**
   * Who holds a name this installation may not write: another Gleaner installation sharing the
   * member (its instance label), or the member.
   */
  private String owner(HasMetadata live) {
    Map<String, String> labels = labels(live.getMetadata());
    String other = labels.get(GleanerKeys.INSTANCE);
    if ("true".equals(labels.get(GleanerKeys.MANAGED))
        && other != null
        && !other.isEmpty()
        && !other.equals(instance)) {
      return "Gleaner installation " + other + ", not to this one (" + instance + ")";
    }
    return "the member, not to Gleaner";
  }

  private boolean isCopyOf(HasMetadata live, HasMetadata src) {
    Map<String, String> labels = labels(live.getMetadata());
    Map<String, String> annotations =
        live.getMetadata().getAnnotations() == null
            ? Map.of()
            : live.getMetadata().getAnnotations();
    if (!"true".equals(labels.get(GleanerKeys.MANAGED))
        || !instance.equals(labels.get(GleanerKeys.INSTANCE))
        || labels.containsKey(GleanerKeys.OWNER)) {
      return false;
    }
    String ns = annotations.get(GleanerKeys.META_NAMESPACE);
    String name = annotations.get(GleanerKeys.META_NAME);
    if (ns == null && name == null && !labels.containsKey(GleanerKeys.COPY)) {
      return true; // a copy made before copies named their source: same name, same source
    }
    return src.getMetadata().getNamespace().equals(ns) && src.getMetadata().getName().equals(name);
  }

  private ObjectMeta copyMeta(String name, String namespace, HasMetadata src) {
    ObjectMeta m = new ObjectMeta();
    m.setName(name);
    m.setNamespace(namespace);
    m.setLabels(
        Map.of(
            GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance, GleanerKeys.COPY, "true"));
    m.setAnnotations(
        Map.of(
            GleanerKeys.META_NAMESPACE,
            src.getMetadata().getNamespace(),
            GleanerKeys.META_NAME,
            src.getMetadata().getName()));
    return m;
  }

  private static Boolean immutable(HasMetadata o) {
    if (o instanceof ConfigMap c) {
      return c.getImmutable();
    }
    return o instanceof Secret s ? s.getImmutable() : null;
  }

  private static Map<String, String> labels(ObjectMeta m) {
    return m.getLabels() == null ? Map.of() : m.getLabels();
  }

  private static Outcome missing(String kind, String namespace, String name) {
    return new Outcome.Refused(
        REASON_MISSING,
        kind
            + " "
            + namespace
            + "/"
            + name
            + " does not exist in the metadata cluster; the pod needs it (mark the reference"
            + " optional: true if it may start without it)");
  }

  private static String displayKind(String kind) {
    return CM.equals(kind) ? "ConfigMap" : "Secret";
  }

  private static String key(String cluster, String ns, String kind, String name) {
    return cluster + "/" + ns + "/" + kind + "/" + name;
  }
}
