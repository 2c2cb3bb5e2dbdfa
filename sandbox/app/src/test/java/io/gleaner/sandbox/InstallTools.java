package io.gleaner.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the install tests use to look at an installed Gleaner as a user would. */
final class InstallTools {
  private InstallTools() {}

  /** Runs the real kubectl with {@code kubeconfig}; returns its output. */
  static String kubectl(Path kubeconfig, String... args) throws Exception {
    return kubectlIn(null, kubeconfig, args);
  }

  /** As {@link #kubectl}, in working directory {@code dir} (relative file arguments). */
  static String kubectlIn(Path dir, Path kubeconfig, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(new PrintStream(out, true, StandardCharsets.UTF_8));
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish");
    }
    String text = out.toString(StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "kubectl " + String.join(" ", args) + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }

  /** Offers the broker serving {@code /metrics} on {@code port} has rejected so far. */
  static double rejectedOffers(int port) throws IOException, InterruptedException {
    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m =
        Pattern.compile("(?m)^gleaner_broker_offers_total\\{[^}]*outcome=\"rejected\"[^}]*} (\\S+)")
            .matcher(metrics);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }
}
