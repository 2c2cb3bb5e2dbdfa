package io.gleaner.sandbox;

import io.gleaner.sandbox.install.HelmRelease;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code helm install} command line as a shell and the helm CLI read it: the shell's quoting and
 * line continuations, then helm's flags and its {@code --set} syntax (pairs separated by commas, a
 * backslash escapes a comma, values typed as helm types them). Forms this class does not know
 * (value files, list syntax, other flags) are refused, so that a README using them fails its test
 * instead of being half read.
 *
 * @param chartPath the chart argument as written ({@code charts/gleaner})
 * @param sets every {@code --set} value by its dotted key, in order, typed as helm types them
 */
record HelmInstallLine(
    String release, String chartPath, String namespace, Map<String, Object> sets) {

  /** Flags that take a value (the next word, or after {@code =}), and flags that take none. */
  private static final Set<String> WITH_VALUE =
      Set.of("-n", "--namespace", "--kube-context", "--set", "--set-string");

  private static final Set<String> WITHOUT_VALUE = Set.of("--create-namespace");

  /** The release it installs, with its chart's name (the path's last part). */
  HelmRelease toRelease() {
    String chart = chartPath.replaceFirst("/+$", "");
    chart = chart.substring(chart.lastIndexOf('/') + 1);
    return new HelmRelease(chart, release, namespace, HelmRelease.nested(sets));
  }

  static HelmInstallLine parse(String commandLine) {
    List<String> words = shellWords(commandLine);
    if (words.size() < 2 || !words.get(0).equals("helm") || !words.get(1).equals("install")) {
      throw new IllegalArgumentException("not a helm install command: " + commandLine);
    }
    List<String> positional = new ArrayList<>();
    String namespace = "default";
    Map<String, Object> sets = new LinkedHashMap<>();
    for (int i = 2; i < words.size(); i++) {
      String w = words.get(i);
      if (!w.startsWith("-")) {
        positional.add(w);
        continue;
      }
      String flag = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
      if (WITHOUT_VALUE.contains(flag)) {
        continue;
      }
      if (!WITH_VALUE.contains(flag)) {
        throw new IllegalArgumentException("flag " + flag + " is not known to this test: " + w);
      }
      String value;
      if (w.contains("=")) {
        value = w.substring(w.indexOf('=') + 1);
      } else if (i + 1 < words.size()) {
        value = words.get(++i);
      } else {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      switch (flag) {
        case "-n", "--namespace" -> namespace = value;
        case "--set" -> sets.putAll(setValues(value, false));
        case "--set-string" -> sets.putAll(setValues(value, true));
        default -> {
          // --kube-context chooses the cluster, not what is installed
        }
      }
    }
    if (positional.size() != 2) {
      throw new IllegalArgumentException(
          "helm install takes a release name and a chart, got " + positional);
    }
    return new HelmInstallLine(positional.get(0), positional.get(1), namespace, sets);
  }

  /**
   * One {@code --set} argument as helm's parser reads it: {@code k=v} pairs separated by commas (a
   * backslash escapes the next character); a pair without {@code =} is helm's error.
   */
  static Map<String, Object> setValues(String argument, boolean asStrings) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<String> pairs = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < argument.length(); i++) {
      char c = argument.charAt(i);
      if (c == '\\' && i + 1 < argument.length()) {
        current.append(c).append(argument.charAt(++i));
      } else if (c == ',') {
        pairs.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    pairs.add(current.toString());
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "helm: key \"" + unescape(pair) + "\" has no value (in --set " + argument + ")");
      }
      String key = pair.substring(0, eq);
      String value = unescape(pair.substring(eq + 1));
      if (key.contains("[") || value.startsWith("{")) {
        throw new IllegalArgumentException("list syntax is not known to this test: " + pair);
      }
      out.put(key, asStrings ? value : typed(value));
    }
    return out;
  }

  /** As helm types a {@code --set} value: booleans, null, integers without a leading zero. */
  static Object typed(String v) {
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    if (v.equalsIgnoreCase("null")) {
      return null;
    }
    if (v.equals("0")) {
      return 0L;
    }
    if (!v.isEmpty() && v.charAt(0) != '0') {
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        // a string
      }
    }
    return v;
  }

  private static String unescape(String s) {
    return s.replaceAll("\\\\(.)", "$1");
  }

  /**
   * The words a POSIX shell makes of {@code line}: backslash-newline joins lines, single quotes
   * keep everything, double quotes keep all but {@code \"}, {@code \\} and {@code \$}, an unquoted
   * backslash escapes the next character, and a {@code #} starting a word begins a comment.
   */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    String s = line.replace("\\\n", "");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        if (w != null) {
          words.add(w.toString());
          w = null;
        }
        continue;
      }
      if (w == null) {
        if (c == '#') {
          int end = s.indexOf('\n', i);
          i = end < 0 ? s.length() : end;
          continue;
        }
        w = new StringBuilder();
      }
      if (c == '\'') {
        int end = s.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated ' in " + line);
        }
        w.append(s, i + 1, end);
        i = end;
      } else if (c == '"') {
        int j = i + 1;
        for (; j < s.length() && s.charAt(j) != '"'; j++) {
          char d = s.charAt(j);
          if (d == '\\' && j + 1 < s.length() && "\"\\$`".indexOf(s.charAt(j + 1)) >= 0) {
            w.append(s.charAt(++j));
          } else {
            w.append(d);
          }
        }
        if (j >= s.length()) {
          throw new IllegalArgumentException("unterminated \" in " + line);
        }
        i = j;
      } else if (c == '\\' && i + 1 < s.length()) {
        w.append(s.charAt(++i));
      } else {
        w.append(c);
      }
    }
    if (w != null) {
      words.add(w.toString());
    }
    return words;
  }
}
