package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * What the simulated cluster plugs into its API server: usage for {@code metrics.k8s.io} and
 * container logs for pods on simulated nodes. Implementations are called on a Vert.x event loop and
 * must not block.
 */
public interface ServerExtensions {
  /** Node usage as quantities ({@code cpu}, {@code memory}); null when the node has no metrics. */
  Map<String, String> nodeUsage(JsonNode node);

  /** Pod usage as quantities; null when the pod has no metrics (not running). */
  Map<String, String> podUsage(JsonNode pod);

  /**
   * Log text of a container of a pod the simulator runs, or null when the pod runs on a node the
   * simulator does not own (the server then proxies to that node's kubelet endpoint).
   */
  String logs(JsonNode pod, String container, LogOptions options);

  /**
   * Runs {@code command} in a container of a pod the simulator runs, with {@code stdin} as its
   * whole input; null when the pod runs on a node the simulator does not own (the server then
   * relays the session to that node's kubelet).
   */
  default ExecResult exec(JsonNode pod, String container, List<String> command, String stdin) {
    return null;
  }

  /** One write of an exec'd command: channel 1 (stdout) or 2 (stderr). */
  record ExecOutput(int channel, String text) {}

  /**
   * What an exec'd command did. {@code startError} is set when the program could not be started
   * (the session then fails with that message and no exit code); otherwise {@code exitCode} is the
   * command's.
   */
  record ExecResult(List<ExecOutput> output, int exitCode, String startError) {
    public static ExecResult notStarted(String message) {
      return new ExecResult(List.of(), -1, message);
    }
  }

  /** The {@code pods/log} query options the server understands. */
  record LogOptions(
      Integer tailLines,
      boolean timestamps,
      Long sinceSeconds,
      boolean follow,
      boolean previous,
      Long limitBytes) {}

  /** No metrics, no logs. */
  ServerExtensions NONE =
      new ServerExtensions() {
        @Override
        public Map<String, String> nodeUsage(JsonNode node) {
          return null;
        }

        @Override
        public Map<String, String> podUsage(JsonNode pod) {
          return null;
        }

        @Override
        public String logs(JsonNode pod, String container, LogOptions options) {
          return "";
        }
      };
}
