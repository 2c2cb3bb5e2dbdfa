package io.gleaner.broker.placement;

import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The resource dimensions the placement state is indexed by: {@link #CPU}, {@link #MEM}, {@link
 * #PODS}, {@link #GPU} (in milli-GPU), then extended resources in the order offers first name them.
 * Also says how an amount of one reads in a message. Not thread-safe.
 */
final class Dimensions {
  static final int CPU = 0;
  static final int MEM = 1;
  static final int PODS = 2;
  static final int GPU = 3;
  static final int FIXED = 4;

  /** Pod slots of an offer that does not state them. */
  static final long UNBOUNDED_PODS = 1L << 40;

  /** Names some offer has had; a request naming anything else cannot be placed. */
  private final Map<String, Integer> seen = new HashMap<>();

  private final List<String> names =
      new ArrayList<>(List.of(Resources.CPU, Resources.MEMORY, Resources.PODS, Resources.GPU));

  /** Number of dimensions (at least the four fixed ones). */
  int count() {
    return names.size();
  }

  /** The index of a resource some offer has named, or null. */
  Integer find(String name) {
    return seen.get(name);
  }

  /** The index of a resource an offer names, adding a dimension for a new extended resource. */
  int intern(String name) {
    Integer d = seen.get(name);
    if (d != null) {
      return d;
    }
    d =
        switch (name) {
          case Resources.CPU -> CPU;
          case Resources.MEMORY -> MEM;
          case Resources.PODS -> PODS;
          case Resources.GPU -> GPU;
          default -> {
            names.add(name);
            yield names.size() - 1;
          }
        };
    seen.put(name, d);
    return d;
  }

  /** The resource name of a dimension (canonical, as in {@link Resources}). */
  String name(int d) {
    return names.get(d);
  }

  /** How a dimension is called in a message: "CPU", "GPU", else its resource name. */
  String unit(int d) {
    return d == CPU ? "CPU" : d == GPU ? "GPU" : names.get(d);
  }

  /** An amount of a dimension as a message shows it: GPU in devices, "unbounded" pod slots. */
  String format(int d, long v) {
    if (d == GPU) {
      return v % 1000 == 0 ? Long.toString(v / 1000) : v + "m";
    }
    if (d == PODS && v >= UNBOUNDED_PODS) {
      return "unbounded";
    }
    return Quantities.format(names.get(d), v);
  }
}
