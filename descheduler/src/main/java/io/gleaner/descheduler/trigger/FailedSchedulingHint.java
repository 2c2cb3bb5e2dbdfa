package io.gleaner.descheduler.trigger;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code FailedScheduling} event message such as {@code "0/5 nodes are available: 3
 * Insufficient cpu, 2 Insufficient memory, 1 node(s) had untolerated taint ..."}. Only a hint:
 * events are merged and may be lost, so nothing depends on it alone.
 */
public final class FailedSchedulingHint {
  private static final Pattern INSUFFICIENT = Pattern.compile("Insufficient ([A-Za-z0-9./_-]+)");

  private FailedSchedulingHint() {}

  /** The resource names the message calls insufficient, sorted; empty when none. */
  public static Set<String> insufficient(String message) {
    Set<String> out = new TreeSet<>();
    if (message == null) {
      return out;
    }
    Matcher m = INSUFFICIENT.matcher(message);
    while (m.find()) {
      String name = m.group(1);
      while (name.endsWith(".") || name.endsWith(",")) {
        name = name.substring(0, name.length() - 1);
      }
      out.add(name);
    }
    return out;
  }

  /** Whether the message says resources are short somewhere (a reclaim could help). */
  public static boolean mentionsShortage(String message) {
    return message != null
        && (message.contains("Insufficient ") || message.contains("Too many pods"));
  }
}
