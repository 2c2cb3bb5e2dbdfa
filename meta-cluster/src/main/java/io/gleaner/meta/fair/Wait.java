package io.gleaner.meta.fair;

import java.util.List;
import java.util.Set;

/** Why a pod still waits after a round of {@link FairQueue}, beyond a lack of room. */
public sealed interface Wait {
  /** The short CamelCase reason, for a pod condition. */
  String reason();

  /** A sentence a user can act on. */
  String message();

  /**
   * Placing the pod would take its team over its cap.
   *
   * @param team the pod's team
   * @param resources the resources whose cap the pod would exceed
   */
  record AtCap(String team, Set<String> resources, String message) implements Wait {
    public static final String REASON = "TeamAtCap";

    @Override
    public String reason() {
      return REASON;
    }
  }

  /**
   * Other teams go first when room frees: they are under their guarantee or hold a smaller weighted
   * dominant share.
   *
   * @param team the pod's team
   * @param ahead the teams that go first, best placed first
   */
  record TeamTurn(String team, List<String> ahead, String message) implements Wait {
    public static final String REASON = "WaitingForTeamTurn";

    @Override
    public String reason() {
      return REASON;
    }
  }
}
