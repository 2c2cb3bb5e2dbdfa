package io.gleaner.meta.time;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Parses and formats durations in the notation Kubernetes and Go programs use: {@code 250ms},
 * {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 1.5h}.
 *
 * <p>Units: {@code ns}, {@code us} (or {@code µs}), {@code ms}, {@code s}, {@code m}, {@code h}
 * and, beyond Go, {@code d} (24 h). A bare {@code 0} is zero. ISO-8601 ({@code PT10M}) is accepted
 * too. A leading {@code -} makes the duration negative; callers decide whether that is allowed.
 */
public final class Durations {
  private static final Map<String, Long> NANOS_PER_UNIT =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "µs", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L,
          "d", 86_400_000_000_000L);
  private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message that quotes {@code text} and says what is wrong
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException(
          "invalid duration: null (expected e.g. \"250ms\", \"90s\", \"10m\", \"1h30m\")");
    }
    String s = text.strip();
    if (s.isEmpty()) {
      throw bad(text, "it is empty");
    }
    if (s.startsWith("P") || s.startsWith("-P") || s.startsWith("+P")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw bad(text, "it is not valid ISO-8601");
      }
    }
    boolean negative = false;
    int i = 0;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    if (s.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == s.length()) {
      throw bad(text, "it has no number");
    }
    BigInteger totalNanos = BigInteger.ZERO;
    while (i < s.length()) {
      int numberStart = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(numberStart, i);
      if (number.isEmpty()
          || number.equals(".")
          || number.indexOf('.') != number.lastIndexOf('.')) {
        throw bad(text, "expected a number at position " + numberStart);
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      if (unit.isEmpty()) {
        throw bad(text, "the number " + number + " has no unit (use ns, us, ms, s, m, h or d)");
      }
      Long perUnit = NANOS_PER_UNIT.get(unit);
      if (perUnit == null) {
        throw bad(text, "unknown unit \"" + unit + "\" (use ns, us, ms, s, m, h or d)");
      }
      BigDecimal nanos = new BigDecimal(number).multiply(BigDecimal.valueOf(perUnit));
      totalNanos = totalNanos.add(nanos.toBigInteger());
    }
    BigInteger[] secondsAndNanos = totalNanos.divideAndRemainder(NANOS_PER_SECOND);
    if (secondsAndNanos[0].bitLength() > 62) {
      throw bad(text, "it is too large");
    }
    Duration d =
        Duration.ofSeconds(
            secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    return negative ? d.negated() : d;
  }

  /**
   * Formats {@code d} in the same notation, largest unit first, skipping zero parts: {@code 1h30m},
   * {@code 1m30s}, {@code 1s500ms}, {@code 0s}. Hours are not folded into days. {@code
   * parse(format(d))} equals {@code d}.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    StringBuilder out = new StringBuilder();
    long seconds = d.getSeconds();
    int nanos = d.getNano();
    append(out, seconds / 3600, "h");
    append(out, (seconds % 3600) / 60, "m");
    append(out, seconds % 60, "s");
    append(out, nanos / 1_000_000, "ms");
    append(out, (nanos / 1_000) % 1_000, "us");
    append(out, nanos % 1_000, "ns");
    return out.toString();
  }

  private static void append(StringBuilder out, long value, String unit) {
    if (value != 0) {
      out.append(value).append(unit);
    }
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException(
        "invalid duration \""
            + text
            + "\": "
            + why
            + " (expected e.g. \"250ms\", \"90s\", \"10m\", \"1h30m\")");
  }
}
