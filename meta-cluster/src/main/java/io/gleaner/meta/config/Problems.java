package io.gleaner.meta.config;

import io.gleaner.meta.time.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Collects validation problems, each prefixed with its full key path. Scopes made with {@link
 * #at(String)} share one list.
 */
public final class Problems {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final String prefix;
  private final List<String> list;

  private Problems(String prefix, List<String> list) {
    this.prefix = prefix;
    this.list = list;
  }

  /** An empty collector at the root of the config tree. */
  public static Problems root() {
    return new Problems("", new ArrayList<>());
  }

  /** A scope for section {@code key} under this one. */
  public Problems at(String key) {
    return new Problems(path(key), list);
  }

  /** The full key path of {@code key} in this scope. */
  public String path(String key) {
    return prefix.isEmpty() ? key : prefix + "." + key;
  }

  /** Records {@code key: message}. */
  public Problems add(String key, String message) {
    list.add(path(key) + ": " + message);
    return this;
  }

  /** Records {@code key: message, got <value>} unless {@code ok}. */
  public Problems check(boolean ok, String key, Object value, String message) {
    if (!ok) {
      add(key, message + ", got " + show(value));
    }
    return this;
  }

  public Problems inRange(String key, long value, long min, long max) {
    return check(
        value >= min && value <= max, key, value, "must be between " + min + " and " + max);
  }

  public Problems port(String key, int value) {
    return inRange(key, value, 1, 65535);
  }

  public Problems positive(String key, Duration value) {
    return check(
        value != null && !value.isNegative() && !value.isZero(),
        key,
        value,
        "must be a positive duration");
  }

  public Problems notNegative(String key, Duration value) {
    return check(value != null && !value.isNegative(), key, value, "must not be negative");
  }

  public Problems notBlank(String key, String value) {
    return check(value != null && !value.isBlank(), key, value, "must not be empty");
  }

  /**
   * A Kubernetes DNS-1123 label (namespace names, label-safe ids): lower-case, at most 63 chars.
   */
  public Problems dnsLabel(String key, String value) {
    return check(
        value != null && value.length() <= 63 && DNS_LABEL.matcher(value).matches(),
        key,
        value,
        "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)");
  }

  /** A Kubernetes DNS-1123 subdomain (node names): lower-case, dots allowed, at most 253 chars. */
  public Problems dnsSubdomain(String key, String value) {
    return check(
        value != null && value.length() <= 253 && DNS_SUBDOMAIN.matcher(value).matches(),
        key,
        value,
        "must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)");
  }

  public boolean isEmpty() {
    return list.isEmpty();
  }

  public List<String> list() {
    return List.copyOf(list);
  }

  /**
   * @throws ConfigException listing every problem, if any
   */
  public void throwIfAny() {
    if (!list.isEmpty()) {
      throw new ConfigException(list);
    }
  }

  private static String show(Object value) {
    if (value == null) {
      return "nothing";
    }
    if (value instanceof Duration d) {
      return Durations.format(d);
    }
    if (value instanceof CharSequence) {
      return "\"" + value + "\"";
    }
    return Objects.toString(value);
  }
}
