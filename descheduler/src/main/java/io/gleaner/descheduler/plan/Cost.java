package io.gleaner.descheduler.plan;

/**
 * The price of a victim set, compared lexicographically: near-line victims first (offline goes
 * before near-line), then how many, then the run time they lose (youngest first), then their size
 * as a share of the node (smallest first).
 */
public record Cost(int nearLine, int count, long lostSeconds, double share)
    implements Comparable<Cost> {
  public static final Cost ZERO = new Cost(0, 0, 0, 0);

  public Cost plus(Cost o) {
    return new Cost(
        nearLine + o.nearLine, count + o.count, lostSeconds + o.lostSeconds, share + o.share);
  }

  /** A lower bound for any strict superset: one more victim at least. */
  Cost plusOneVictim() {
    return new Cost(nearLine, count + 1, lostSeconds, share);
  }

  @Override
  public int compareTo(Cost o) {
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
}
