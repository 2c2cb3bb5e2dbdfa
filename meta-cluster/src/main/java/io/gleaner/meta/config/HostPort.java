package io.gleaner.meta.config;

import java.util.Objects;

/**
 * A bind or connect address {@code host:port}, e.g. {@code 0.0.0.0:8080}, {@code [::1]:9090} or
 * {@code :8080} (all interfaces, as Kubernetes components accept). Port 0 asks for an ephemeral
 * port.
 */
public record HostPort(String host, int port) {

  public HostPort {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException quoting {@code text} and saying what is wrong
   */
  public static HostPort parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "invalid address \"" + text + "\": expected host:port, e.g. 0.0.0.0:8080");
    }
    String s = text.strip();
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "invalid address \""
              + text
              + "\": expected host:port, e.g. 0.0.0.0:8080 (the port is missing)");
    }
    String host = s.substring(0, colon);
    String portText = s.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException(
          "invalid address \"" + text + "\": write IPv6 hosts in brackets, e.g. [::1]:8080");
    }
    if (host.isEmpty()) {
      host = "0.0.0.0";
    }
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "invalid address \"" + text + "\": port \"" + portText + "\" is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("invalid address \"" + text + "\": port must be 0..65535");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
