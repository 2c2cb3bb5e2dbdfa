package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Backtest of {@link PeakForecast} on the bundled Alibaba 2018 curve (cluster-average CPU
 * utilization every 300 s; source and terms in the simulator's {@code data/alibaba2018/NOTICE.md}):
 * hourly peaks, days 1-7 (hours 0-167) as history, every hour of day 8 that the trace holds scored.
 * The chosen weights are compared with the last hour alone and the same hour 1 day ago alone, each
 * at the same safety margin. Prints the table of docs/figures.md.
 */
class PeakForecastBacktestTest {
  private static final String TRACE =
      "/data/alibaba2018/machine_usage_days_1_to_8_grouped_300_seconds.csv";
  private static final int FIRST_SCORED_HOUR = PeakForecast.WEEK;

  @Test
  void chosenWeightsUnderPredictNoMoreOftenThanTheAlternatives() throws IOException {
    double[] peaks = PeakForecast.hourlyPeaks(cpuSamples(), 12);
    assertThat(peaks.length).as("hours in the trace").isGreaterThan(FIRST_SCORED_HOUR + 12);
    PeakForecast chosen = PeakForecast.DEFAULT;
    StringBuilder table =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "Forecast backtest: Alibaba 2018 hourly CPU peaks, history hours 0-%d, scored hours"
                    + " %d-%d (day 8)%n| margin | forecast | MAPE | hours under-predicted |%n",
                FIRST_SCORED_HOUR - 1,
                FIRST_SCORED_HOUR,
                peaks.length - 1));
    for (double margin : new double[] {0.05, 0.10, chosen.safetyMargin()}) {
      Map<String, PeakForecast> designs = new LinkedHashMap<>();
      designs.put(
          String.format(
              Locale.ROOT,
              "mix %.1f/%.1f/%.1f (week/day/last hour)",
              chosen.weekWeight(),
              chosen.dayWeight(),
              chosen.lastHourWeight()),
          new PeakForecast(
              chosen.weekWeight(), chosen.dayWeight(), chosen.lastHourWeight(), margin));
      designs.put("last hour only", new PeakForecast(0, 0, 1, margin));
      designs.put("1 day ago only", new PeakForecast(0, 1, 0, margin));
      designs.put("7 days ago only", new PeakForecast(1, 0, 0, margin));
      Map<String, PeakForecast.Score> scores = new LinkedHashMap<>();
      designs.forEach(
          (name, f) -> {
            PeakForecast.Score s = f.backtest(peaks, FIRST_SCORED_HOUR, peaks.length);
            scores.put(name, s);
            table.append(
                String.format(
                    Locale.ROOT,
                    "| %.2f | %s | %.1f %% | %d of %d (%.0f %%) |%n",
                    margin,
                    name,
                    s.mapePercent(),
                    Math.round(s.underPredictedShare() * s.hours()),
                    s.hours(),
                    100 * s.underPredictedShare()));
          });
      List<PeakForecast.Score> all = new ArrayList<>(scores.values());
      PeakForecast.Score mix = all.get(0);
      assertThat(mix.hours()).isEqualTo(peaks.length - FIRST_SCORED_HOUR);
      assertThat(mix.underPredictedShare())
          .as("margin %.2f: mix vs last hour only", margin)
          .isLessThanOrEqualTo(all.get(1).underPredictedShare());
      assertThat(mix.underPredictedShare())
          .as("margin %.2f: mix vs 1 day ago only", margin)
          .isLessThanOrEqualTo(all.get(2).underPredictedShare());
    }
    table.append(
        String.format(
            Locale.ROOT,
            "Check on days 2-7 (hours %d-%d), without the 7-day term (not asserted)%n",
            PeakForecast.DAY,
            FIRST_SCORED_HOUR - 1));
    for (double margin : new double[] {0.05, 0.10, chosen.safetyMargin()}) {
      for (PeakForecast f :
          List.of(
              new PeakForecast(0, chosen.dayWeight(), chosen.lastHourWeight(), margin),
              new PeakForecast(0, 0, 1, margin),
              new PeakForecast(0, 1, 0, margin))) {
        PeakForecast.Score s = f.backtest(peaks, PeakForecast.DAY, FIRST_SCORED_HOUR);
        table.append(
            String.format(
                Locale.ROOT,
                "| %.2f | day/last hour %.1f/%.1f | %.1f %% | %d of %d (%.1f %%) |%n",
                margin,
                f.dayWeight(),
                f.lastHourWeight(),
                s.mapePercent(),
                Math.round(s.underPredictedShare() * s.hours()),
                s.hours(),
                100 * s.underPredictedShare()));
      }
    }
    System.out.print(table);
  }

  private static List<Double> cpuSamples() throws IOException {
    InputStream in = PeakForecastBacktestTest.class.getResourceAsStream(TRACE);
    assertThat(in).as("bundled trace %s on the test classpath", TRACE).isNotNull();
    List<Double> cpu = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String header = r.readLine();
      assertThat(header).startsWith("cpu_util_percent,");
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          cpu.add(Double.parseDouble(line.substring(0, line.indexOf(','))));
        }
      }
    }
    return cpu;
  }
}
