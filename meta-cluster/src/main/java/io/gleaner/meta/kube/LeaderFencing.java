package io.gleaner.meta.kube;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.NotLeaderException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The one check every write of a leader-elected service passes: an interceptor on its Kubernetes
 * clients (metadata and members) that refuses {@code POST}, {@code PUT}, {@code PATCH} and {@code
 * DELETE} unless the replica may act ({@link LeaderElection#isLeader()}: it leads and its lease has
 * not run out). It runs before every attempt, fabric8's own retries included, so a replica that was
 * paused past its ZooKeeper session sends nothing once it runs again. Reads and watches pass, so a
 * standby keeps its caches.
 *
 * <p>Requests about the replica itself, not about state the leader owns, pass too: TokenReviews and
 * SubjectAccessReviews (the kubelet API of every replica authenticates its callers) and
 * CertificateSigningRequests (each replica's serving certificate).
 *
 * <p>A refused request throws {@link NotLeaderException} (wrapped by fabric8) and counts in {@code
 * gleaner.leader.fenced.requests{method}}.
 */
public final class LeaderFencing implements Interceptor {
  /** The interceptor's name in a client's chain. */
  public static final String NAME = "gleaner-leader-fencing";

  /** Counter: writes refused because this replica might not act, by HTTP method. */
  public static final String REFUSED_METER = "gleaner.leader.fenced.requests";

  private static final List<String> ABOUT_THIS_REPLICA =
      List.of(
          "/apis/authentication.k8s.io/",
          "/apis/authorization.k8s.io/",
          "/apis/certificates.k8s.io/");

  private final BooleanSupplier mayWrite;
  private final MeterRegistry meters;

  /**
   * @param mayWrite whether this replica may write now; called on every write, so it must be cheap
   *     ({@code election::isLeader})
   */
  public LeaderFencing(BooleanSupplier mayWrite, MeterRegistry meters) {
    this.mayWrite = Objects.requireNonNull(mayWrite, "mayWrite");
    this.meters = Objects.requireNonNull(meters, "meters");
  }

  /** {@code builder} with its clients' writes fenced by {@code election}. */
  public static KubernetesClientBuilder install(
      KubernetesClientBuilder builder, LeaderElection election, MeterRegistry meters) {
    LeaderFencing fencing = new LeaderFencing(election::isLeader, meters);
    return builder.withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(NAME, fencing));
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    String method = request.method();
    if (!isWrite(method) || mayWrite.getAsBoolean()) {
      return;
    }
    String path = request.uri().getRawPath();
    for (String prefix : ABOUT_THIS_REPLICA) {
      if (path.startsWith(prefix)) {
        return;
      }
    }
    Counter.builder(REFUSED_METER).tag("method", method).register(meters).increment();
    throw new NotLeaderException(
        method + " " + path + " refused: this replica does not lead or its lease has run out");
  }

  private static boolean isWrite(String method) {
    return switch (method) {
      case "POST", "PUT", "PATCH", "DELETE" -> true;
      default -> false;
    };
  }
}
