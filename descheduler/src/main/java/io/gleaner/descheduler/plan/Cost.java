package io.gleaner.descheduler.plan;

import java.util.Arrays;

/**
 * The price of a victim set, compared lexicographically: first fairness, victims from teams further
 * below the richest come last (see {@link TeamTiers}); then near-line victims (offline goes before
 * near-line), then how many, then the run time they lose (youngest first), then their size as a
 * share of the node (smallest first).
 *
 * <p>Fairness is counted per tier: {@code poorer[i]} is how many victims come from the teams of
 * tier {@code i + 1} (tier 0, the teams furthest above their fair share, costs nothing here). One
 * victim of a poorer tier outweighs any number from richer ones; where every team stands equally
 * (one team, or no teams in the policy) nothing is counted and the class order decides alone.
 */
public record Cost(int[] poorer, int nearLine, int count, long lostSeconds, double share)
    implements Comparable<Cost> {
  private static final int[] NONE = new int[0];
  public static final Cost ZERO = new Cost(NONE, 0, 0, 0, 0);

  public Cost {
    poorer = poorer == null ? NONE : poorer;
  }

  /** A set's price without fairness (every victim in the richest tier). */
  public Cost(int nearLine, int count, long lostSeconds, double share) {
    this(NONE, nearLine, count, lostSeconds, share);
  }

  /** The price of one victim of {@code tier} (0: a team furthest above its fair share). */
  static Cost one(int tier, boolean nearLine, long lostSeconds, double share) {
    int[] p = NONE;
    if (tier > 0) {
      p = new int[tier];
      p[tier - 1] = 1;
    }
    return new Cost(p, nearLine ? 1 : 0, 1, lostSeconds, share);
  }

  public Cost plus(Cost o) {
    int[] p;
    if (o.poorer.length == 0) {
      p = poorer;
    } else if (poorer.length == 0) {
      p = o.poorer;
    } else {
      p = Arrays.copyOf(poorer, Math.max(poorer.length, o.poorer.length));
      for (int i = 0; i < o.poorer.length; i++) {
        p[i] += o.poorer[i];
      }
    }
    return new Cost(
        p, nearLine + o.nearLine, count + o.count, lostSeconds + o.lostSeconds, share + o.share);
  }

  /** A lower bound for any strict superset: one more victim at least. */
  Cost plusOneVictim() {
    return new Cost(poorer, nearLine, count + 1, lostSeconds, share);
  }

  /** Just above this cost, so that a selection costing exactly this still counts. */
  Cost justAbove() {
    return new Cost(poorer, nearLine, count, lostSeconds, Math.nextUp(share));
  }

  /** Victims counted from teams below the richest tier. */
  public int fromPoorerTeams() {
    int n = 0;
    for (int c : poorer) {
      n += c;
    }
    return n;
  }

  @Override
  public int compareTo(Cost o) {
    for (int i = Math.max(poorer.length, o.poorer.length) - 1; i >= 0; i--) {
      int a = i < poorer.length ? poorer[i] : 0;
      int b = i < o.poorer.length ? o.poorer[i] : 0;
      if (a != b) {
        return Integer.compare(a, b);
      }
    }
    int c = Integer.compare(nearLine, o.nearLine);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(count, o.count);
    if (c != 0) {
      return c;
    }
    c = Long.compare(lostSeconds, o.lostSeconds);
    if (c != 0) {
      return c;
    }
    return Double.compare(share, o.share);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cost c && compareTo(c) == 0;
  }

  @Override
  public int hashCode() {
    int last = poorer.length;
    while (last > 0 && poorer[last - 1] == 0) {
      last--;
    }
    return 31 * Arrays.hashCode(Arrays.copyOf(poorer, last))
        + java.util.Objects.hash(nearLine, count, lostSeconds, share);
  }

  @Override
  public String toString() {
    return "Cost[poorer="
        + Arrays.toString(poorer)
        + ", nearLine="
        + nearLine
        + ", count="
        + count
        + ", lostSeconds="
        + lostSeconds
        + ", share="
        + share
        + "]";
  }
}
