package io.gleaner.sim.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleaner.sim.apiserver.ServerExtensions.ExecOutput;
import io.gleaner.sim.apiserver.ServerExtensions.ExecResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code kubectl exec} runs in a simulated container: a tiny shell that knows the commands
 * people type to look inside a pod ({@code echo}, {@code hostname}, {@code env}/{@code printenv},
 * {@code cat} of stdin or {@code /etc/hostname}, {@code nproc}, {@code date}, {@code ls}, {@code
 * id}, {@code sleep}, {@code true}, {@code false}, {@code exit N}) and {@code sh -c} scripts joined
 * by {@code ;}, {@code &&} and {@code ||} with {@code $VAR}/{@code $?} expansion, quotes and {@code
 * >&2}. Output comes as the frames a container runtime would stream: one per command, in order,
 * each on stdout or stderr. A program it does not know fails to start, as a missing binary does in
 * a real container.
 */
public final class SimExec {
  private static final List<String> SHELLS =
      List.of("sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/bash");

  private final Map<String, String> env;
  private final String hostname;
  private final int cpus;
  private final Instant now;
  private final String stdin;
  private final List<ExecOutput> out = new ArrayList<>();

  private SimExec(Map<String, String> env, String hostname, int cpus, Instant now, String stdin) {
    this.env = env;
    this.hostname = hostname;
    this.cpus = cpus;
    this.now = now;
    this.stdin = stdin == null ? "" : stdin;
  }

  /**
   * Runs {@code command} in {@code container} of {@code pod} at {@code now}, with {@code stdin} as
   * its input.
   */
  public static ExecResult run(
      JsonNode pod, String container, List<String> command, Instant now, String stdin) {
    String podName = pod.path("metadata").path("name").asText();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("HOSTNAME", podName);
    int cpus = 1;
    for (JsonNode c : pod.path("spec").path("containers")) {
      if (!container.equals(c.path("name").asText())) {
        continue;
      }
      for (JsonNode e : c.path("env")) {
        if (e.has("value")) {
          env.put(e.path("name").asText(), e.path("value").asText());
        }
      }
      cpus =
          Math.max(
              1,
              (int)
                  Math.ceil(
                      millis(
                              c.path("resources")
                                  .path("limits")
                                  .path("cpu")
                                  .asText(
                                      c.path("resources").path("requests").path("cpu").asText("1")))
                          / 1000.0));
    }
    env.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    env.put("KUBERNETES_SERVICE_PORT", "443");
    env.put("HOME", "/root");
    return new SimExec(env, podName, cpus, now, stdin).exec(command);
  }

  private ExecResult exec(List<String> argv) {
    if (argv.isEmpty()) {
      return ExecResult.notStarted("you must specify at least one command for the container");
    }
    String program = argv.get(0);
    if (SHELLS.contains(program)) {
      if (argv.size() >= 3 && "-c".equals(argv.get(1))) {
        return new ExecResult(out, script(argv.get(2)), null);
      }
      // an interactive shell: read commands from stdin
      return new ExecResult(out, script(stdin.replace('\n', ';')), null);
    }
    if (!known(program)) {
      return ExecResult.notStarted(
          "failed to exec in container: failed to start exec: OCI runtime exec failed: exec "
              + "failed: unable to start container process: exec: \""
              + program
              + "\": executable file not found in "
              + "$PATH: unknown");
    }
    return new ExecResult(out, simple(argv, false), null);
  }

  /** Runs an {@code sh -c} script; returns the exit status of the last command run. */
  private int script(String text) {
    int status = 0;
    String op = ";";
    for (String[] part : split(text)) {
      String command = part[0];
      boolean run =
          switch (op) {
            case "&&" -> status == 0;
            case "||" -> status != 0;
            default -> true;
          };
      op = part[1];
      if (!run || command.isBlank()) {
        continue;
      }
      boolean toStderr = false;
      String c = command.strip();
      for (String redirect : List.of("1>&2", ">&2")) {
        if (c.endsWith(redirect)) {
          toStderr = true;
          c = c.substring(0, c.length() - redirect.length()).strip();
        }
      }
      List<String> words = words(c, status);
      if (words.isEmpty()) {
        continue;
      }
      if ("exit".equals(words.get(0))) {
        return words.size() > 1 ? parseInt(words.get(1), 2) : status;
      }
      if (!known(words.get(0))) {
        out.add(new ExecOutput(2, "sh: " + words.get(0) + ": not found\n"));
        status = 127;
        continue;
      }
      status = simple(words, toStderr);
    }
    return status;
  }

  private static boolean known(String program) {
    String p = program.substring(program.lastIndexOf('/') + 1);
    return List.of(
                "echo",
                "hostname",
                "env",
                "printenv",
                "cat",
                "nproc",
                "date",
                "ls",
                "id",
                "sleep",
                "true",
                "false",
                "pwd",
                "whoami",
                "uname")
            .contains(p)
        || "exit".equals(p);
  }

  private int simple(List<String> argv, boolean toStderr) {
    String program = argv.get(0).substring(argv.get(0).lastIndexOf('/') + 1);
    List<String> args = argv.subList(1, argv.size());
    int ch = toStderr ? 2 : 1;
    switch (program) {
      case "echo" -> {
        boolean newline = args.isEmpty() || !"-n".equals(args.get(0));
        write(
            ch,
            String.join(" ", newline ? args : args.subList(1, args.size()))
                + (newline ? "\n" : ""));
      }
      case "hostname" -> write(ch, hostname + "\n");
      case "env" -> {
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        write(ch, sb.toString());
      }
      case "printenv" -> {
        if (args.isEmpty()) {
          return simple(List.of("env"), toStderr);
        }
        int status = 0;
        StringBuilder sb = new StringBuilder();
        for (String name : args) {
          String v = env.get(name);
          if (v == null) {
            status = 1;
          } else {
            sb.append(v).append('\n');
          }
        }
        write(ch, sb.toString());
        return status;
      }
      case "cat" -> {
        if (args.isEmpty() || "-".equals(args.get(0))) {
          write(ch, stdin);
          return 0;
        }
        int status = 0;
        for (String file : args) {
          Optional<String> content = file(file);
          if (content.isPresent()) {
            write(ch, content.get());
          } else {
            write(2, "cat: " + file + ": No such file or directory\n");
            status = 1;
          }
        }
        return status;
      }
      case "nproc" -> write(ch, cpus + "\n");
      case "date" -> write(ch, now.toString() + "\n");
      case "ls" ->
          write(
              ch,
              args.isEmpty() || "/".equals(args.get(0))
                  ? "bin\ndev\netc\nhome\nproc\nroot\nsys\ntmp\nusr\nvar\n"
                  : "");
      case "id" -> write(ch, "uid=0(root) gid=0(root) groups=0(root)\n");
      case "whoami" -> write(ch, "root\n");
      case "pwd" -> write(ch, "/\n");
      case "uname" -> write(ch, args.contains("-n") ? hostname + "\n" : "Linux\n");
      case "false" -> {
        return 1;
      }
      default -> {} // sleep, true: nothing to show in simulated time
    }
    return 0;
  }

  private Optional<String> file(String path) {
    return switch (path) {
      case "/etc/hostname" -> Optional.of(hostname + "\n");
      case "/etc/os-release" -> Optional.of("NAME=\"Simulated Linux\"\nID=sim\n");
      case "/proc/cpuinfo" -> Optional.of("processor\t: 0\n".repeat(cpus));
      default -> Optional.empty();
    };
  }

  private void write(int channel, String text) {
    if (!text.isEmpty()) {
      out.add(new ExecOutput(channel, text));
    }
  }

  /**
   * Splits a script at unquoted {@code ;}, {@code &&}, {@code ||}: pairs of (command, operator
   * after it).
   */
  static List<String[]> split(String text) {
    List<String[]> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
        cur.append(c);
      } else if (c == '\'' || c == '"') {
        quote = c;
        cur.append(c);
      } else if (c == ';' || c == '\n') {
        parts.add(new String[] {cur.toString(), ";"});
        cur.setLength(0);
      } else if ((c == '&' || c == '|') && i + 1 < text.length() && text.charAt(i + 1) == c) {
        parts.add(new String[] {cur.toString(), c == '&' ? "&&" : "||"});
        cur.setLength(0);
        i++;
      } else {
        cur.append(c);
      }
    }
    parts.add(new String[] {cur.toString(), ";"});
    return parts;
  }

  /**
   * Splits a command into words: quotes group, {@code $NAME} and {@code $?} expand outside single
   * quotes.
   */
  private List<String> words(String command, int lastStatus) {
    List<String> words = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          cur.append(c);
        }
      } else if (c == '$' && i + 1 < command.length()) {
        int j = i + 1;
        if (command.charAt(j) == '?') {
          cur.append(lastStatus);
          i = j;
        } else {
          boolean braced = command.charAt(j) == '{';
          int k = braced ? j + 1 : j;
          while (k < command.length()
              && (Character.isLetterOrDigit(command.charAt(k)) || command.charAt(k) == '_')) {
            k++;
          }
          String name = command.substring(braced ? j + 1 : j, k);
          if (name.isEmpty()) {
            cur.append('$');
            inWord = true;
            continue;
          }
          cur.append(env.getOrDefault(name, ""));
          i = braced && k < command.length() && command.charAt(k) == '}' ? k : k - 1;
        }
        inWord = true;
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else {
          cur.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(cur.toString());
    }
    return words;
  }

  private static int parseInt(String s, int otherwise) {
    try {
      return Integer.parseInt(s) & 0xff;
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  private static long millis(String cpu) {
    try {
      return cpu.endsWith("m")
          ? Long.parseLong(cpu.substring(0, cpu.length() - 1))
          : Math.round(Double.parseDouble(cpu) * 1000);
    } catch (NumberFormatException e) {
      return 1000;
    }
  }
}
