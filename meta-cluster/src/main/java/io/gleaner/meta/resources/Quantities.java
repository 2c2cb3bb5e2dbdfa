package io.gleaner.meta.resources;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and formats Kubernetes resource quantities.
 *
 * <p>The grammar follows {@code k8s.io/apimachinery/pkg/api/resource}: an optional sign, a decimal
 * number, and an optional suffix: a binary SI suffix ({@code Ki Mi Gi Ti Pi Ei}), a decimal SI
 * suffix ({@code n u m "" k M G T P E}) or a decimal exponent ({@code e3}, {@code E-2}).
 *
 * <p>Gleaner holds every quantity as a {@code long} in a <em>canonical unit</em>, as kube-scheduler
 * accounts for requests: {@code cpu} (and {@code kubernetes.io/batch-cpu} when written in cores) in
 * millicores, every other resource in whole base units (bytes, counts). Values finer than the
 * canonical unit round up, like {@code Quantity.MilliValue()} and {@code Quantity.Value()}, so a
 * request is never under-counted.
 */
public final class Quantities {
  private static final Pattern QUANTITY =
      Pattern.compile(
          "^([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$");
  private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
  private static final String[] BINARY_SUFFIXES = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
  private static final long[] BINARY_FACTORS = {
    1L << 60, 1L << 50, 1L << 40, 1L << 30, 1L << 20, 1L << 10
  };
  private static final String[] DECIMAL_SUFFIXES = {"E", "P", "T", "G", "M", "k"};
  private static final long[] DECIMAL_FACTORS = {
    1_000_000_000_000_000_000L,
    1_000_000_000_000_000L,
    1_000_000_000_000L,
    1_000_000_000L,
    1_000_000L,
    1_000L
  };

  private Quantities() {}

  /** The text of a fabric8 quantity (its amount and format, e.g. {@code 1.5} and {@code Gi}). */
  public static String text(Quantity q) {
    return q.getFormat() == null ? q.getAmount() : q.getAmount() + q.getFormat();
  }

  /** True when the resource is accounted in millicores rather than whole units. */
  public static boolean isMilliUnit(String resourceName) {
    return Resources.CPU.equals(resourceName);
  }

  /**
   * The exact decimal value of a quantity string.
   *
   * @throws InvalidQuantityException naming the string when it is not a Kubernetes quantity
   */
  public static BigDecimal parse(String quantity) {
    if (quantity == null) {
      throw new InvalidQuantityException("quantity is missing (null)");
    }
    String q = quantity.trim();
    Matcher m = QUANTITY.matcher(q);
    if (!m.matches()) {
      throw new InvalidQuantityException(
          "\""
              + quantity
              + "\" is not a valid Kubernetes quantity (expected e.g. 500m, 2, 1.5Gi, 4k, 1e3)");
    }
    BigDecimal number =
        new BigDecimal(m.group(1).startsWith("+") ? m.group(1).substring(1) : m.group(1));
    String suffix = m.group(2);
    if (suffix == null || suffix.isEmpty()) {
      return number;
    }
    switch (suffix) {
      case "n":
        return number.scaleByPowerOfTen(-9);
      case "u":
        return number.scaleByPowerOfTen(-6);
      case "m":
        return number.scaleByPowerOfTen(-3);
      case "k":
        return number.scaleByPowerOfTen(3);
      case "M":
        return number.scaleByPowerOfTen(6);
      case "G":
        return number.scaleByPowerOfTen(9);
      case "T":
        return number.scaleByPowerOfTen(12);
      case "P":
        return number.scaleByPowerOfTen(15);
      case "E":
        return number.scaleByPowerOfTen(18);
      case "Ki":
        return number.multiply(BigDecimal.valueOf(1L << 10));
      case "Mi":
        return number.multiply(BigDecimal.valueOf(1L << 20));
      case "Gi":
        return number.multiply(BigDecimal.valueOf(1L << 30));
      case "Ti":
        return number.multiply(BigDecimal.valueOf(1L << 40));
      case "Pi":
        return number.multiply(BigDecimal.valueOf(1L << 50));
      case "Ei":
        return number.multiply(BigDecimal.valueOf(1L << 60));
      default:
        int exponent;
        try {
          exponent = Integer.parseInt(suffix.substring(1));
        } catch (NumberFormatException e) {
          throw new InvalidQuantityException("\"" + quantity + "\" has an exponent out of range");
        }
        if (Math.abs(exponent) > 30) {
          throw new InvalidQuantityException(
              "\"" + quantity + "\" has an exponent out of range (|e| > 30)");
        }
        return number.scaleByPowerOfTen(exponent);
    }
  }

  /**
   * Parses a quantity of the named resource into its canonical unit (see the class comment).
   *
   * @throws InvalidQuantityException naming the resource and the string, when it is malformed,
   *     negative or too large
   */
  public static long parseCanonical(String resourceName, String quantity) {
    BigDecimal value;
    try {
      value = parse(quantity);
    } catch (InvalidQuantityException e) {
      throw new InvalidQuantityException(
          "invalid quantity for " + resourceName + ": " + e.getMessage());
    }
    if (value.signum() < 0) {
      throw new InvalidQuantityException(
          "invalid quantity for " + resourceName + ": \"" + quantity + "\" is negative");
    }
    BigDecimal canonical = isMilliUnit(resourceName) ? value.multiply(THOUSAND) : value;
    BigInteger rounded = canonical.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
    if (rounded.bitLength() > 63) {
      throw new InvalidQuantityException(
          "invalid quantity for " + resourceName + ": \"" + quantity + "\" is too large");
    }
    return rounded.longValue();
  }

  /**
   * Formats a canonical value of the named resource the way kubectl shows it: {@code 500m}, {@code
   * 2}, {@code 1Gi}.
   */
  public static String format(String resourceName, long canonical) {
    if (isMilliUnit(resourceName)) {
      return canonical % 1000 == 0 ? Long.toString(canonical / 1000) : canonical + "m";
    }
    if (canonical == 0) {
      return "0";
    }
    long abs = Math.abs(canonical);
    String best = Long.toString(canonical);
    if (looksLikeBytes(resourceName)) {
      // The shortest exact form, binary suffixes first on a tie: 1Gi, 2G, 1536.
      for (int i = 0; i < BINARY_FACTORS.length; i++) {
        if (abs >= BINARY_FACTORS[i] && abs % BINARY_FACTORS[i] == 0) {
          best = shorter(best, (canonical / BINARY_FACTORS[i]) + BINARY_SUFFIXES[i]);
          break;
        }
      }
      for (int i = 0; i < DECIMAL_FACTORS.length; i++) {
        if (abs >= DECIMAL_FACTORS[i] && abs % DECIMAL_FACTORS[i] == 0) {
          best = shorter(best, (canonical / DECIMAL_FACTORS[i]) + DECIMAL_SUFFIXES[i]);
          break;
        }
      }
    }
    return best;
  }

  private static String shorter(String current, String candidate) {
    return candidate.length() < current.length() ? candidate : current;
  }

  private static boolean looksLikeBytes(String resourceName) {
    return resourceName.contains("memory")
        || resourceName.contains("storage")
        || resourceName.startsWith("hugepages-");
  }
}
