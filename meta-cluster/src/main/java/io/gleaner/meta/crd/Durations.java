package io.gleaner.meta.crd;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Kubernetes / Go style durations ({@code time.ParseDuration}): a sequence of decimal numbers,
 * each with a unit, such as {@code 10m}, {@code 1h30m}, {@code 90s}, {@code 1.5h}, {@code 250ms}.
 * Units: {@code ns}, {@code us} (or {@code µs}), {@code ms}, {@code s}, {@code m}, {@code h}. A
 * bare {@code 0} is allowed. Negative durations are rejected: no Gleaner setting is negative.
 */
public final class Durations {
  /** OpenAPI pattern accepted by the CRD schema, equivalent to {@link #parse}. */
  public static final String PATTERN = "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$";

  private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException naming the value and what is wrong with it
   */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("invalid duration \"" + text + "\": empty");
    }
    String s = text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.startsWith("-")) {
      throw new IllegalArgumentException("invalid duration \"" + text + "\": must not be negative");
    }
    BigDecimal totalNanos = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int numberStart = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i == numberStart) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": expected a number at position " + numberStart);
      }
      String number = s.substring(numberStart, i);
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      BigDecimal value;
      try {
        value = new BigDecimal(number);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": bad number \"" + number + "\"");
      }
      totalNanos = totalNanos.add(value.multiply(nanosPerUnit(text, unit)));
    }
    BigDecimal nanos = totalNanos.setScale(0, RoundingMode.HALF_UP);
    BigDecimal[] secondsAndNanos = nanos.divideAndRemainder(NANOS_PER_SECOND);
    try {
      return Duration.ofSeconds(
          secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("invalid duration \"" + text + "\": out of range");
    }
  }

  private static BigDecimal nanosPerUnit(String text, String unit) {
    return switch (unit) {
      case "ns" -> BigDecimal.ONE;
      case "us", "µs", "μs" -> BigDecimal.valueOf(1_000L);
      case "ms" -> BigDecimal.valueOf(1_000_000L);
      case "s" -> NANOS_PER_SECOND;
      case "m" -> BigDecimal.valueOf(60_000_000_000L);
      case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
      case "" -> throw new IllegalArgumentException(
          "invalid duration \"" + text + "\": missing unit (use ns, us, ms, s, m or h)");
      default -> throw new IllegalArgumentException(
          "invalid duration \"" + text + "\": unknown unit \"" + unit
              + "\" (use ns, us, ms, s, m or h)");
    };
  }

  /**
   * Formats a non-negative duration in the same notation, without zero components: {@code 1h30m},
   * {@code 10m}, {@code 1m30s}, {@code 250ms}, {@code 0s}. {@code parse(format(d)).equals(d)}.
   */
  public static String format(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("negative duration " + d);
    }
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int nanos = d.getNano();
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (minutes > 0) {
      out.append(minutes).append('m');
    }
    if (nanos == 0) {
      if (seconds > 0) {
        out.append(seconds).append('s');
      }
    } else if (seconds > 0) {
      BigDecimal s = BigDecimal.valueOf(seconds).add(BigDecimal.valueOf(nanos, 9));
      out.append(s.stripTrailingZeros().toPlainString()).append('s');
    } else if (nanos % 1_000_000 == 0) {
      out.append(nanos / 1_000_000).append("ms");
    } else if (nanos % 1_000 == 0) {
      out.append(nanos / 1_000).append("us");
    } else {
      out.append(nanos).append("ns");
    }
    return out.toString();
  }
}
