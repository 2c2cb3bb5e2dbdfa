package io.gleaner.broker.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gleaner.meta.service.AdminServer;
import io.gleaner.meta.time.FakeClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the dashboard in headless Chromium and checks the numbers a user sees. Skips, saying why,
 * where no Chromium is installed ({@code .ci/run} installs Debian's {@code chromium}).
 */
class DashboardBrowserIT {
  private static AdminServer server;

  @BeforeAll
  static void start() {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T08:00:00Z"));
    DashboardModel model =
        new DashboardModel(
            DashboardFixtures::capacity,
            () ->
                new PodCounts(
                    Map.of(
                        "offline",
                        Map.of("Waiting", 4L, "Pending", 2L, "Running", 5L),
                        "near-line",
                        Map.of("Running", 3L))),
            clock);
    model.record(DashboardFixtures.reclaim());
    model.withMembers(
        () -> java.util.Set.of("online-1", "train-1", "coloc-1", "online-2"), Map::of);
    model.withHarvest(
        () ->
            Map.of(
                "idle",
                new io.gleaner.broker.grpc.HarvestMetrics.SourceFigures(42.5, 0, 3, 7),
                "elastic",
                new io.gleaner.broker.grpc.HarvestMetrics.SourceFigures(0, 0, 0, 0)));
    server = new AdminServer("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    new Dashboard(model).install(server, Duration.ofMillis(200));
    server.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void jsonApiServesTheSummary() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/summary")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.body()).contains("\"advertised\"", "\"online-1\"", "\"Unschedulable\"");
  }

  @Test
  void rendersTheNumbersInChromium(@TempDir Path tmp) throws Exception {
    Optional<String> chromium = chromium();
    assumeTrue(
        chromium.isPresent(),
        "SKIPPED: no chromium or chromium-browser on PATH; install Debian's chromium to run the dashboard browser test");
    String dom = run(chromium.get(), tmp, "--dump-dom", server.baseUrl() + "/");
    assertThat(dom).contains("data-loaded=\"true\"");
    assertThat(dom).contains("id=\"advertised-cpu\">54<");
    assertThat(dom).contains("id=\"advertised-memory\">140<");
    assertThat(dom).contains("id=\"advertised-gpu\">6<");
    assertThat(dom).contains("id=\"reserved-cpu\">2.5<", "id=\"placed-cpu\">16<");
    assertThat(dom).contains("id=\"largest-shape\">7.5 CPU<");
    assertThat(dom).contains("id=\"nodes\">9<");
    assertThat(dom).contains("3/4 members healthy", "1 unreachable");
    assertThat(dom).contains("data-cluster=\"online-2\"", "lends nothing now");
    assertThat(dom)
        .contains("data-cluster=\"online-1\"", "data-cluster=\"coloc-1\"", "unreachable");
    assertThat(dom)
        .containsPattern(
            "data-class=\"offline\"><td>offline</td><td class=\"num\">4</td><td class=\"num\">2</td>"
                + "<td class=\"num\">5</td>");
    assertThat(dom).contains("shop/frontend-7", "batch/gl-abc", "140 ms");
    assertThat(dom)
        .contains(
            "data-source=\"idle\"><td>idle</td><td class=\"num\">42.5</td><td class=\"num\">0</td>"
                + "<td class=\"num\">3</td><td class=\"num\">7</td>")
        .doesNotContain("data-source=\"elastic\"");
    assertThat(dom)
        .contains("data-series=\"IDLE\"", "data-series=\"VOLCANO\"", "data-series=\"COLOCATION\"");

    Path png = tmp.resolve("dashboard.png");
    run(
        chromium.get(),
        tmp,
        "--screenshot=" + png,
        "--window-size=1400,1000",
        server.baseUrl() + "/");
    assertThat(png).exists();
    assertThat(Files.size(png)).isGreaterThan(10_000);
    String keep = System.getProperty("gleaner.dashboard.screenshot");
    if (keep != null) {
      Files.copy(png, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Optional<String> chromium() {
    for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p.toString());
        }
      }
    }
    return Optional.empty();
  }

  private static String run(String chromium, Path tmp, String... args)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + tmp.resolve("profile"),
                "--virtual-time-budget=5000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("chromium.log").toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 60 s");
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
