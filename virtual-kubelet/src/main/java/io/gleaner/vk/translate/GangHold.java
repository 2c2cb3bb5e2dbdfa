package io.gleaner.vk.translate;

import java.time.Duration;
import java.util.List;

/**
 * What becomes of a gang once the broker placed it whole and something goes wrong in its member. A
 * gang is given back whole or not at all: a member that cannot run one of its pods has the whole
 * gang re-placed, once, after the member had a fair chance, and a pod of a placed gang never times
 * out alone unless the gang keeps its minimum without it. Pure functions.
 */
public final class GangHold {
  private GangHold() {}

  /**
   * One pod of a placed gang, as the virtual-kubelet tracks it.
   *
   * @param holdsRoom reserved or running in a member (not waiting, not given back)
   * @param created its member pod was created (or adopted)
   * @param createdMs when, on the virtual-kubelet's clock; 0 when not created
   */
  public record Member(boolean holdsRoom, boolean created, long createdMs) {}

  /** What to do when a member says it cannot schedule a pod of a placed gang. */
  public sealed interface Decision {
    /**
     * Leave the gang where it is and look again after {@code recheck}: part of it is still being
     * created (a gang scheduler holds every pod until all are there: Volcano's "pod group is not
     * ready"), or the last of it was created too recently for the member to have tried it whole.
     */
    record Hold(Duration recheck, String why) implements Decision {}

    /** Give the whole gang back and place it again. */
    record ReplaceWhole() implements Decision {}
  }

  /**
   * The member could not schedule a pod of a gang whose pods ({@code gang}, the one concerned among
   * them) were placed together. The gang is held while any of its pods holds room without a member
   * pod yet, or until {@code settle} has passed since its last member pod was created; then it is
   * re-placed whole.
   */
  public static Decision onUnschedulable(List<Member> gang, Duration settle, long nowMs) {
    long lastCreated = 0;
    int creating = 0;
    for (Member m : gang) {
      if (m.holdsRoom() && !m.created()) {
        creating++;
      }
      if (m.created()) {
        lastCreated = Math.max(lastCreated, m.createdMs());
      }
    }
    if (creating > 0) {
      return new Decision.Hold(
          settle, creating + " of the gang's pods are not created in the member yet");
    }
    long waited = nowMs - lastCreated;
    if (waited < settle.toMillis()) {
      return new Decision.Hold(
          Duration.ofMillis(settle.toMillis() - waited),
          "the gang's last pod was created " + waited + " ms ago");
    }
    return new Decision.ReplaceWhole();
  }

  /**
   * Whether a pod of a placed gang whose own wait ran out may fail alone: only when the gang keeps
   * its minimum without it ({@code othersHoldingRoom} of its other pods reserved or running).
   * Otherwise the gang fails whole.
   */
  public static boolean failsAlone(int othersHoldingRoom, int minMember) {
    return minMember > 0 && othersHoldingRoom >= minMember;
  }

  /**
   * How long a gang re-placed whole for the {@code replacements}-th time (1 for the first) waits
   * before it is placed again: {@code base} doubling, at most {@code cap}.
   */
  public static Duration backoff(int replacements, Duration base, Duration cap) {
    if (replacements <= 0) {
      return Duration.ZERO;
    }
    int shift = Math.min(replacements - 1, 20);
    Duration d = base.multipliedBy(1L << shift);
    return d.compareTo(cap) > 0 ? cap : d;
  }
}
