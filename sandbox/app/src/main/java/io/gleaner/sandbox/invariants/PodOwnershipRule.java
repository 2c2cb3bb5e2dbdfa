package io.gleaner.sandbox.invariants;

import io.gleaner.sim.apiserver.audit.AuditEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * "Gleaner never evicts or deletes a pod it did not create", judged from the audit trails of the
 * member clusters. Fed each cluster's events in order, it remembers the pods a Gleaner identity
 * created (a successful {@code create pods}, by namespace and name; a later create of the same name
 * by someone else makes the name foreign again) and reports every pod delete or eviction by a
 * Gleaner identity of a pod it did not create. An eviction refused for a PodDisruptionBudget (429)
 * counts too: Gleaner tried. Requests that did not reach the pod (401, 403, 404, ...) do not.
 * Deleting a collection of pods is reported as such, as it cannot be shown to spare others' pods.
 * Pure and stateful; one caller at a time.
 */
public final class PodOwnershipRule {
  /** Pods remembered per cluster; the oldest are forgotten beyond this. */
  static final int MAX_REMEMBERED = 500_000;

  private final Predicate<String> gleaner;
  private final Map<String, Set<String>> created = new HashMap<>();

  /** {@code gleaner} tells whether a user name is one of Gleaner's identities. */
  public PodOwnershipRule(Predicate<String> gleaner) {
    this.gleaner = gleaner;
  }

  /** Judges {@code events} of {@code cluster} (in order); returns the violations among them. */
  public List<InvariantChecker.Violation> accept(String cluster, List<AuditEvent> events) {
    List<InvariantChecker.Violation> out = new ArrayList<>();
    Set<String> mine = created.computeIfAbsent(cluster, k -> new LinkedHashSet<>());
    for (AuditEvent e : events) {
      if (!e.stage().equals(AuditEvent.RESPONSE_COMPLETE)
          || !e.apiGroup().isEmpty()
          || !e.resource().equals("pods")) {
        continue;
      }
      String key = e.namespace() + "/" + e.name();
      boolean byGleaner = gleaner.test(e.effectiveUser());
      if (e.verb().equals("create") && e.subresource().isEmpty()) {
        if (e.succeeded() && !e.name().isEmpty()) {
          if (byGleaner) {
            mine.remove(key);
            mine.add(key);
            if (mine.size() > MAX_REMEMBERED) {
              mine.remove(mine.iterator().next());
            }
          } else {
            mine.remove(key);
          }
        }
        continue;
      }
      if (!byGleaner || !(e.succeeded() || e.code() == 429)) {
        continue;
      }
      boolean delete = e.verb().equals("delete") && e.subresource().isEmpty();
      boolean evict = e.verb().equals("create") && e.subresource().equals("eviction");
      if ((delete || evict) && !mine.contains(key)) {
        out.add(
            new InvariantChecker.Violation(
                Invariant.FOREIGN_POD_DELETED,
                cluster + ":" + key,
                (evict ? "evicted" : "deleted")
                    + " by "
                    + e.effectiveUser()
                    + " in "
                    + cluster
                    + ", which no Gleaner identity created there: "
                    + e));
      } else if (e.verb().equals("deletecollection") && e.subresource().isEmpty()) {
        out.add(
            new InvariantChecker.Violation(
                Invariant.FOREIGN_POD_DELETED,
                cluster + ":" + e.namespace() + "/*#" + e.seq(),
                "a collection of pods deleted by "
                    + e.effectiveUser()
                    + " in "
                    + cluster
                    + " (others' pods may be among them): "
                    + e));
      }
    }
    return out;
  }
}
