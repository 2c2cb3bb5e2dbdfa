package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tolerations that keep the metadata cluster from evicting Gleaner's pods when the virtual
 * node's heartbeat lapses: {@code node.kubernetes.io/not-ready} and {@code
 * node.kubernetes.io/unreachable}, {@code NoExecute}, without a time limit. The metadata pods run
 * in member clusters, not on the virtual node, so a virtual-kubelet restart or a lease blip must
 * not turn into a mass eviction after the default 300 s ({@code DefaultTolerationSeconds}).
 *
 * <p>Kubernetes allows a pod update to add tolerations and to change an existing toleration's
 * {@code tolerationSeconds} (the API server's {@code validateOnlyAddedTolerations}), which is all
 * this does.
 */
public final class NodeFailureTolerations {
  public static final List<String> KEYS =
      List.of("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");

  private NodeFailureTolerations() {}

  /** The pod's tolerations with both keys tolerated forever; empty when they already are. */
  public static Optional<List<Toleration>> missing(List<Toleration> current) {
    List<Toleration> out = new ArrayList<>();
    boolean changed = false;
    List<String> covered = new ArrayList<>();
    for (Toleration t : current == null ? List.<Toleration>of() : current) {
      String key = t.getKey();
      boolean ours = key != null && KEYS.contains(key) && noExecute(t) && exists(t);
      boolean all = (key == null || key.isEmpty()) && exists(t) && noExecute(t);
      if ((ours || all) && t.getTolerationSeconds() != null) {
        out.add(new TolerationBuilder(t).withTolerationSeconds(null).build());
        changed = true;
      } else {
        out.add(t);
      }
      if (ours) {
        covered.add(key);
      } else if (all) {
        covered.addAll(KEYS);
      }
    }
    for (String key : KEYS) {
      if (!covered.contains(key)) {
        out.add(
            new TolerationBuilder()
                .withKey(key)
                .withOperator("Exists")
                .withEffect("NoExecute")
                .build());
        changed = true;
      }
    }
    return changed ? Optional.of(out) : Optional.empty();
  }

  private static boolean noExecute(Toleration t) {
    return t.getEffect() == null || t.getEffect().isEmpty() || "NoExecute".equals(t.getEffect());
  }

  private static boolean exists(Toleration t) {
    return "Exists".equals(t.getOperator());
  }
}
