package io.gleaner.meta.crd;

import io.gleaner.meta.time.Durations;
import java.time.Duration;
import java.util.List;

/** Shared validation patterns and small checks for the CRD model; messages name the field path. */
final class Validation {
  static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
  static final String DNS_SUBDOMAIN =
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  static final String SECRET_KEY = "^[-._a-zA-Z0-9]+$";

  /**
   * Kubernetes (Go) durations as the API server accepts them: {@code 10m}, {@code 1h30m}, {@code
   * 90s}, {@code 1.5h}, {@code 0}. Stricter than {@link Durations#parse}, which also takes days and
   * ISO-8601.
   */
  static final String DURATION_PATTERN = "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$";

  private Validation() {}

  static void fraction(List<FieldError> errors, String path, Double value) {
    if (value != null && (value.isNaN() || value < 0 || value > 1)) {
      errors.add(new FieldError(path, "must be between 0 and 1, got " + plain(value)));
    }
  }

  static void positive(List<FieldError> errors, String path, Number value) {
    if (value != null && !(value.doubleValue() > 0)) {
      errors.add(new FieldError(path, "must be greater than 0, got " + plain(value)));
    }
  }

  static void duration(List<FieldError> errors, String path, String value) {
    if (value == null) {
      return;
    }
    Duration parsed;
    try {
      parsed = Durations.parse(value);
    } catch (IllegalArgumentException e) {
      errors.add(new FieldError(path, e.getMessage()));
      return;
    }
    if (parsed.isNegative()) {
      errors.add(new FieldError(path, "invalid duration \"" + value + "\": must not be negative"));
    } else if (!value.strip().matches(DURATION_PATTERN)) {
      errors.add(
          new FieldError(
              path,
              "invalid duration \""
                  + value
                  + "\": use Kubernetes units ns, us, ms, s, m or h, e.g. 10m, 1h30m, 90s"));
    }
  }

  static void pattern(
      List<FieldError> errors, String path, String value, String regex, String what) {
    if (value != null && !value.matches(regex)) {
      errors.add(new FieldError(path, "must be " + what + ", got \"" + value + "\""));
    }
  }

  static String plain(Number n) {
    if (n instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return Long.toString(d.longValue());
    }
    return String.valueOf(n);
  }
}
