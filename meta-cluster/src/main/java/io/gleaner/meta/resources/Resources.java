package io.gleaner.meta.resources;

import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable vector of Kubernetes resources: cpu, memory, pods, {@code nvidia.com/gpu} and any
 * extended resource.
 *
 * <p>Values are exact {@code long}s in each resource's canonical unit (see {@link Quantities}):
 * millicores for cpu, whole base units for everything else. Arithmetic never drifts and throws
 * {@link ArithmeticException} rather than overflow. Only non-zero entries are stored, so two
 * vectors that hold the same amounts are equal.
 */
public final class Resources {
  public static final String CPU = "cpu";
  public static final String MEMORY = "memory";
  public static final String PODS = "pods";
  public static final String GPU = "nvidia.com/gpu";
  public static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  public static final String BATCH_CPU = "kubernetes.io/batch-cpu";
  public static final String BATCH_MEMORY = "kubernetes.io/batch-memory";

  public static final Resources ZERO = new Resources(new String[0], new long[0]);

  /** Sorted, distinct names; {@code values[i]} belongs to {@code names[i]} and is never zero. */
  private final String[] names;

  private final long[] values;

  private Resources(String[] names, long[] values) {
    this.names = names;
    this.values = values;
  }

  /**
   * Parses a map of resource name to quantity string; an invalid entry fails naming the resource
   * and value.
   */
  public static Resources parse(Map<String, String> quantities) {
    if (quantities == null || quantities.isEmpty()) {
      return ZERO;
    }
    Builder b = builder();
    quantities.forEach(b::put);
    return b.build();
  }

  /** {@code Resources.of("cpu", "500m", "memory", "1Gi")}. */
  public static Resources of(String... nameQuantityPairs) {
    if (nameQuantityPairs.length % 2 != 0) {
      throw new IllegalArgumentException(
          "Resources.of needs name/quantity pairs, got an odd count");
    }
    Builder b = builder();
    for (int i = 0; i < nameQuantityPairs.length; i += 2) {
      b.put(nameQuantityPairs[i], nameQuantityPairs[i + 1]);
    }
    return b.build();
  }

  /**
   * From fabric8 quantities (e.g. a container's requests or a node's allocatable); null means zero.
   */
  public static Resources fromQuantities(Map<String, Quantity> quantities) {
    if (quantities == null || quantities.isEmpty()) {
      return ZERO;
    }
    Builder b = builder();
    quantities.forEach(
        (name, q) -> {
          if (q != null) {
            b.put(name, Quantities.text(q));
          }
        });
    return b.build();
  }

  /** From values already in canonical units. */
  public static Resources ofCanonical(Map<String, Long> canonical) {
    Builder b = builder();
    canonical.forEach(b::putCanonical);
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The canonical value of a resource; 0 when absent. */
  public long get(String name) {
    int i = Arrays.binarySearch(names, name);
    return i >= 0 ? values[i] : 0L;
  }

  public long cpuMillis() {
    return get(CPU);
  }

  public long memoryBytes() {
    return get(MEMORY);
  }

  public long pods() {
    return get(PODS);
  }

  public long gpus() {
    return get(GPU);
  }

  /** The names of the non-zero entries, sorted. */
  public Set<String> names() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(names)));
  }

  public boolean isZero() {
    return names.length == 0;
  }

  public boolean hasNegative() {
    for (long v : values) {
      if (v < 0) {
        return true;
      }
    }
    return false;
  }

  public Resources plus(Resources o) {
    return merge(o, Op.PLUS);
  }

  public Resources minus(Resources o) {
    return merge(o, Op.MINUS);
  }

  public Resources min(Resources o) {
    return merge(o, Op.MIN);
  }

  public Resources max(Resources o) {
    return merge(o, Op.MAX);
  }

  /** Every negative entry replaced by zero. */
  public Resources clampAtZero() {
    if (!hasNegative()) {
      return this;
    }
    Builder b = builder();
    for (int i = 0; i < names.length; i++) {
      if (values[i] > 0) {
        b.putCanonical(names[i], values[i]);
      }
    }
    return b.build();
  }

  public Resources with(String name, long canonical) {
    Builder b = builder();
    for (int i = 0; i < names.length; i++) {
      b.putCanonical(names[i], values[i]);
    }
    b.values.remove(name);
    b.putCanonical(name, canonical);
    return b.build();
  }

  public Resources without(String name) {
    if (get(name) == 0) {
      return this;
    }
    return with(name, 0);
  }

  /** Each entry times {@code numerator / denominator}, rounded toward negative infinity; exact. */
  public Resources scale(long numerator, long denominator) {
    if (denominator <= 0) {
      throw new IllegalArgumentException("denominator must be positive, got " + denominator);
    }
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Math.floorDiv(Math.multiplyExact(values[i], numerator), denominator);
    }
    return compact(names, out);
  }

  /**
   * True when every positive entry of this vector is at most the same entry of {@code capacity}.
   */
  public boolean fitsIn(Resources capacity) {
    for (int i = 0; i < names.length; i++) {
      if (values[i] > 0 && values[i] > capacity.get(names[i])) {
        return false;
      }
    }
    return true;
  }

  /** Per resource, how much this vector exceeds {@code capacity} (zero where it fits). */
  public Resources shortfall(Resources capacity) {
    return minus(capacity).clampAtZero();
  }

  /**
   * The largest share this vector takes of {@code total} over all of its resources: {@code max_r
   * this_r / total_r}. A positive demand for a resource the total lacks is {@code +Infinity}; the
   * zero vector has share 0.
   */
  public double dominantShare(Resources total) {
    double share = 0;
    for (int i = 0; i < names.length; i++) {
      if (values[i] <= 0) {
        continue;
      }
      long t = total.get(names[i]);
      if (t <= 0) {
        return Double.POSITIVE_INFINITY;
      }
      share = Math.max(share, (double) values[i] / (double) t);
    }
    return share;
  }

  /** The quantity of one resource, formatted like kubectl shows it. */
  public String format(String name) {
    return Quantities.format(name, get(name));
  }

  /** Name to formatted quantity, sorted by name. */
  public Map<String, String> toStrings() {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      out.put(names[i], Quantities.format(names[i], values[i]));
    }
    return out;
  }

  /** Name to fabric8 {@link Quantity}, for building Kubernetes objects. */
  public Map<String, Quantity> toQuantities() {
    Map<String, Quantity> out = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      out.put(names[i], new Quantity(Quantities.format(names[i], values[i])));
    }
    return out;
  }

  /** Name to canonical value, sorted by name. */
  public Map<String, Long> toCanonical() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      out.put(names[i], values[i]);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Resources r
            && Arrays.equals(names, r.names)
            && Arrays.equals(values, r.values));
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(names), Arrays.hashCode(values));
  }

  @Override
  public String toString() {
    return toStrings().toString();
  }

  private enum Op {
    PLUS,
    MINUS,
    MIN,
    MAX
  }

  private Resources merge(Resources o, Op op) {
    if (o.isZero() && (op == Op.PLUS || op == Op.MINUS)) {
      return this;
    }
    String[] outNames = new String[names.length + o.names.length];
    long[] outValues = new long[outNames.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < names.length || j < o.names.length) {
      int c;
      if (i == names.length) {
        c = 1;
      } else if (j == o.names.length) {
        c = -1;
      } else {
        c = names[i].compareTo(o.names[j]);
      }
      long a = c <= 0 ? values[i] : 0;
      long b = c >= 0 ? o.values[j] : 0;
      outNames[n] = c <= 0 ? names[i] : o.names[j];
      outValues[n] =
          switch (op) {
            case PLUS -> Math.addExact(a, b);
            case MINUS -> Math.subtractExact(a, b);
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
          };
      n++;
      if (c <= 0) {
        i++;
      }
      if (c >= 0) {
        j++;
      }
    }
    return compact(Arrays.copyOf(outNames, n), Arrays.copyOf(outValues, n));
  }

  private static Resources compact(String[] names, long[] values) {
    int nonZero = 0;
    for (long v : values) {
      if (v != 0) {
        nonZero++;
      }
    }
    if (nonZero == values.length) {
      return new Resources(names, values);
    }
    String[] n = new String[nonZero];
    long[] v = new long[nonZero];
    int k = 0;
    for (int i = 0; i < values.length; i++) {
      if (values[i] != 0) {
        n[k] = names[i];
        v[k] = values[i];
        k++;
      }
    }
    return new Resources(n, v);
  }

  /** Accumulates entries; putting the same name twice adds the amounts. */
  public static final class Builder {
    private final TreeMap<String, Long> values = new TreeMap<>();

    private Builder() {}

    /**
     * Adds a quantity string; fails naming the resource and value when it is not a valid
     * non-negative quantity.
     */
    public Builder put(String name, String quantity) {
      requireName(name);
      return putCanonical(name, Quantities.parseCanonical(name, quantity));
    }

    /** Adds a value already in canonical units (may be negative, for differences). */
    public Builder putCanonical(String name, long canonical) {
      requireName(name);
      values.merge(name, canonical, Math::addExact);
      return this;
    }

    public Resources build() {
      String[] n = values.keySet().toArray(new String[0]);
      long[] v = new long[n.length];
      int i = 0;
      for (long value : values.values()) {
        v[i++] = value;
      }
      return compact(n, v);
    }

    private static void requireName(String name) {
      if (name == null || name.isBlank()) {
        throw new InvalidQuantityException("resource name is empty");
      }
    }
  }
}
