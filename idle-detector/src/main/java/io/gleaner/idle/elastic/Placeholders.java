package io.gleaner.idle.elastic;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Scale-up placeholders: pods in an elastic member that ask its autoscaler for nodes, one per
 * near-line pod that waits for room, sized like it. A placeholder that got a node has done its job
 * (the node exists and is offered) and is deleted at once, so it never holds room a Gleaner pod
 * needs nor keeps a node alive; pending ones not wanted any more are deleted too.
 */
public final class Placeholders {
  private Placeholders() {}

  /**
   * The name of a new placeholder of installation {@code instance}: a tag of the instance is in it,
   * so that two installations sharing an elastic member each keep to their own placeholders.
   */
  public static String name(String instance, long epochMillis, long seq) {
    return prefix(instance) + epochMillis + "-" + seq;
  }

  /** Whether the placeholder named {@code name} is installation {@code instance}'s. */
  public static boolean isOwn(String name, String instance) {
    return name.startsWith(prefix(instance));
  }

  /**
   * A fixed-width tag of the instance, not the name itself: a name is no prefix-free mark (one
   * instance's name may begin another's), a fixed-width tag is.
   */
  private static String prefix(String instance) {
    return "scale-up-" + String.format("%08x", instance.hashCode()) + "-";
  }

  /** A placeholder as the member has it; {@code bound}: the scheduler gave it a node. */
  public record Existing(String name, Resources requests, boolean bound) {
    public Existing {
      Objects.requireNonNull(name, "name");
      requests = requests == null ? Resources.ZERO : requests;
    }
  }

  /** What to change: placeholders to create (their shapes) and to delete (their names). */
  public record Diff(List<Resources> create, List<String> delete) {
    public Diff {
      create = List.copyOf(create);
      delete = List.copyOf(delete);
    }

    public boolean isEmpty() {
      return create.isEmpty() && delete.isEmpty();
    }
  }

  /**
   * From what exists to what is wanted: pending placeholders matching a wanted shape stay, bound
   * and unmatched ones go, missing shapes are created. Comparison ignores the {@code pods} count.
   */
  public static Diff diff(List<Existing> existing, List<Resources> wanted) {
    List<Resources> missing = new ArrayList<>();
    wanted.forEach(w -> missing.add(w.without(Resources.PODS)));
    List<String> delete = new ArrayList<>();
    for (Existing e : existing) {
      if (e.bound() || !missing.remove(e.requests().without(Resources.PODS))) {
        delete.add(e.name());
      }
    }
    return new Diff(missing, delete);
  }
}
