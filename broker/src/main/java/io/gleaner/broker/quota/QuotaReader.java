package io.gleaner.broker.quota;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ScopedResourceSelectorRequirement;
import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a member's ResourceQuota as placement needs it ({@link MemberQuota}): the requests-side
 * limits ({@code pods}, {@code count/pods}, {@code cpu}, {@code memory}, {@code ephemeral-storage},
 * {@code requests.<resource>}) from {@code status.hard} (else, before the member's quota controller
 * has filled it in, {@code spec.hard}) and {@code status.used}, the tighter one where two names
 * limit the same resource; {@code limits.*} and the counts of other kinds are left to the member
 * (its 403 re-places the pod).
 *
 * <p>Which Gleaner member pods the quota matches: they run at {@link GleanerKeys#PRIORITY_OFFLINE}
 * or {@link GleanerKeys#PRIORITY_NEAR_LINE}, set no {@code activeDeadlineSeconds} that placement
 * knows of (NotTerminating) and request resources (NotBestEffort). A quota with a scope that such a
 * pod does not meet matches no class.
 */
public final class QuotaReader {
  private QuotaReader() {}

  /** The quota as placement reads it; empty when it limits nothing placement accounts for. */
  public static Optional<MemberQuota> read(ResourceQuota q) {
    Map<String, Quantity> hardSource =
        q.getStatus() != null
                && q.getStatus().getHard() != null
                && !q.getStatus().getHard().isEmpty()
            ? q.getStatus().getHard()
            : q.getSpec() == null ? null : q.getSpec().getHard();
    if (hardSource == null || hardSource.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Quantity> usedSource =
        q.getStatus() == null || q.getStatus().getUsed() == null
            ? Map.of()
            : q.getStatus().getUsed();
    Map<String, Long> hard = new HashMap<>();
    Map<String, Long> used = new HashMap<>();
    for (Map.Entry<String, Quantity> e : hardSource.entrySet()) {
      String resource = podResource(e.getKey());
      if (resource == null) {
        continue;
      }
      long h = canonical(resource, e.getValue());
      Quantity u = usedSource.get(e.getKey());
      long n = u == null ? 0 : canonical(resource, u);
      Long before = hard.get(resource);
      if (before == null || h - n < before - used.get(resource)) {
        hard.put(resource, h);
        used.put(resource, n);
      }
    }
    if (hard.isEmpty()) {
      return Optional.empty();
    }
    Set<WorkloadClass> classes = EnumSet.noneOf(WorkloadClass.class);
    for (WorkloadClass c : WorkloadClass.values()) {
      if (matches(q, priorityClassOf(c))) {
        classes.add(c);
      }
    }
    return Optional.of(
        new MemberQuota(
            q.getMetadata().getNamespace(), q.getMetadata().getName(), hard, used, classes));
  }

  /** The PriorityClass of a class's member pods. */
  public static String priorityClassOf(WorkloadClass c) {
    return c == WorkloadClass.NEAR_LINE
        ? GleanerKeys.PRIORITY_NEAR_LINE
        : GleanerKeys.PRIORITY_OFFLINE;
  }

  /**
   * The pod resource a quota name limits by requests ({@code requests.cpu} and {@code cpu}: {@code
   * cpu}); null for {@code limits.*}, object counts of other kinds and storage classes.
   */
  static String podResource(String quotaName) {
    if (quotaName.equals("pods") || quotaName.equals("count/pods")) {
      return Resources.PODS;
    }
    if (quotaName.equals(Resources.CPU)
        || quotaName.equals(Resources.MEMORY)
        || quotaName.equals(Resources.EPHEMERAL_STORAGE)) {
      return quotaName;
    }
    if (quotaName.startsWith("requests.")) {
      String r = quotaName.substring("requests.".length());
      return r.equals("storage") ? null : r;
    }
    return null;
  }

  private static long canonical(String resource, Quantity q) {
    return Quantities.parseCanonical(resource, Quantities.text(q));
  }

  /** Whether a Gleaner member pod at {@code priorityClass} meets every scope of the quota. */
  static boolean matches(ResourceQuota q, String priorityClass) {
    if (q.getSpec() == null) {
      return true;
    }
    for (String scope :
        q.getSpec().getScopes() == null ? List.<String>of() : q.getSpec().getScopes()) {
      if (!holds(scope, "Exists", List.of(), priorityClass)) {
        return false;
      }
    }
    if (q.getSpec().getScopeSelector() != null
        && q.getSpec().getScopeSelector().getMatchExpressions() != null) {
      for (ScopedResourceSelectorRequirement r :
          q.getSpec().getScopeSelector().getMatchExpressions()) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        if (!holds(r.getScopeName(), r.getOperator(), values, priorityClass)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean holds(
      String scope, String operator, List<String> values, String priorityClass) {
    if ("PriorityClass".equals(scope)) {
      return switch (operator) {
        case "In" -> values.contains(priorityClass);
        case "NotIn" -> !values.contains(priorityClass);
        case "Exists" -> true;
        default -> false;
      };
    }
    boolean isOf =
        "NotTerminating".equals(scope) || "NotBestEffort".equals(scope); // what a Gleaner pod is
    return "DoesNotExist".equals(operator) ? !isOf : isOf;
  }
}
