package io.gleaner.descheduler.execute;

import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.utils.URLUtils;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.kube.GleanerKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** {@link MemberActions} on a fabric8 client of one member cluster. */
public final class FabricMemberActions implements MemberActions {
  private static final Logger log = LoggerFactory.getLogger(FabricMemberActions.class);
  private static final AtomicLong SEQ = new AtomicLong();

  private final String cluster;
  private final KubernetesClient client;
  private final Clock clock;

  public FabricMemberActions(String cluster, KubernetesClient client, Clock clock) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * {@link #evictAsync} waited for: one way to read the member's answer (fabric8's own {@code
   * evict()} answers false for every 429, a throttled one included, so it would take throttling for
   * a disruption budget).
   */
  @Override
  public EvictionResult evict(Victim v) {
    try (MDC.MDCCloseable c1 = MDC.putCloseable("cluster", cluster);
        MDC.MDCCloseable c2 = MDC.putCloseable("namespace", v.pod().namespace());
        MDC.MDCCloseable c3 = MDC.putCloseable("pod", v.pod().name());
        MDC.MDCCloseable c4 = MDC.putCloseable("node", v.node())) {
      return evictAsync(v, Runnable::run).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /**
   * The same POST of policy/v1 Eviction on the client's asynchronous HTTP client (its auth, TLS and
   * interceptors).
   */
  @Override
  public CompletableFuture<EvictionResult> evictAsync(Victim v, Executor executor) {
    String url =
        URLUtils.join(
            client.getMasterUrl().toString(),
            "api",
            "v1",
            "namespaces",
            v.pod().namespace(),
            "pods",
            v.pod().name(),
            "eviction");
    HttpClient http = client.getHttpClient();
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(url)
            .post("application/json", client.getKubernetesSerialization().asJson(eviction(v)))
            .build();
    return send(http, request, v, executor, 1);
  }

  /** One try; a throttled answer (429 without a disruption budget cause) is tried again later. */
  private CompletableFuture<EvictionResult> send(
      HttpClient http, HttpRequest request, Victim v, Executor executor, int attempt) {
    return http.sendAsync(request, String.class)
        .thenCompose(
            r -> {
              if (r.isSuccessful()) {
                return CompletableFuture.completedFuture(EvictionResult.EVICTED);
              }
              Status status = EvictionAnswers.status(r.body());
              EvictionResult result = result(r.code(), status, v, r.body());
              if (result != EvictionResult.THROTTLED
                  || attempt >= EvictionAnswers.THROTTLED_ATTEMPTS) {
                return CompletableFuture.completedFuture(result);
              }
              Duration wait =
                  EvictionAnswers.backoff(
                      attempt, EvictionAnswers.retryAfter(r.header("Retry-After"), status));
              log.debug(
                  "eviction of {} in {} throttled (429), try {} in {} ms",
                  v.pod().key(),
                  cluster,
                  attempt + 1,
                  wait.toMillis());
              Executor later =
                  CompletableFuture.delayedExecutor(
                      wait.toMillis(), TimeUnit.MILLISECONDS, executor);
              return CompletableFuture.supplyAsync(() -> null, later)
                  .thenCompose(x -> send(http, request, v, executor, attempt + 1));
            });
  }

  private static Eviction eviction(Victim v) {
    return new EvictionBuilder()
        .withNewMetadata()
        .withNamespace(v.pod().namespace())
        .withName(v.pod().name())
        .endMetadata()
        .withDeleteOptions(
            new DeleteOptionsBuilder()
                .withGracePeriodSeconds(v.pod().gracePeriodSeconds())
                .withNewPreconditions()
                .withUid(v.pod().uid().isEmpty() ? null : v.pod().uid())
                .endPreconditions()
                .build())
        .build();
  }

  private EvictionResult result(int code, Status status, Victim v, String message) {
    EvictionResult r = EvictionAnswers.classify(code, status);
    if (r == EvictionResult.FAILED) {
      try (MDC.MDCCloseable c1 = MDC.putCloseable("cluster", cluster);
          MDC.MDCCloseable c2 = MDC.putCloseable("pod", v.pod().name())) {
        log.warn("eviction of {} failed ({}): {}", v.pod().key(), code, message);
      }
    }
    return r;
  }

  @Override
  public void note(Victim v, String reason, String message) {
    String patch =
        client
            .getKubernetesSerialization()
            .asJson(
                java.util.Map.of(
                    "metadata",
                    java.util.Map.of(
                        "annotations",
                        java.util.Map.of(
                            GleanerKeys.RECLAIM_REASON, reason,
                            GleanerKeys.RECLAIM_MESSAGE, message))));
    try {
      // resource(stub), not withName(): fabric8 GETs the pod first when it has no item
      client
          .pods()
          .inNamespace(v.pod().namespace())
          .resource(
              new io.fabric8.kubernetes.api.model.PodBuilder()
                  .withNewMetadata()
                  .withNamespace(v.pod().namespace())
                  .withName(v.pod().name())
                  .endMetadata()
                  .build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  @Override
  public void returnNode(String node, Instant reclaimedAt, Instant cooldownUntil) {
    // A JSON merge patch without resourceVersion: idempotent and free of conflicts with other
    // writers.
    String patch =
        "{\"metadata\":{\"labels\":{\""
            + GleanerKeys.POOL
            + "\":null,\""
            + GleanerKeys.LENT_BY
            + "\":null},\"annotations\":{\""
            + GleanerKeys.LENT_RENEWED_AT
            + "\":null,\""
            + GleanerKeys.RECLAIMED_AT
            + "\":\""
            + rfc3339(reclaimedAt)
            + "\",\""
            + GleanerKeys.COOLDOWN_UNTIL
            + "\":\""
            + rfc3339(cooldownUntil)
            + "\"}}}";
    try {
      // resource(stub), not withName(): fabric8 GETs the node first when it has no item
      client
          .nodes()
          .resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      log.info("node {} of cluster {} is gone; nothing to return", node, cluster);
    }
  }

  @Override
  public void podEvent(String podKey, String message) {
    String[] nsName = podKey.split("/", 2);
    String uid = null;
    try {
      var pod = client.pods().inNamespace(nsName[0]).withName(nsName[1]).get();
      uid = pod == null ? null : pod.getMetadata().getUid();
    } catch (KubernetesClientException e) {
      log.debug("could not read pod {} for its event: {}", podKey, e.getMessage());
    }
    record(
        nsName[0],
        new ObjectReferenceBuilder()
            .withApiVersion("v1")
            .withKind("Pod")
            .withNamespace(nsName[0])
            .withName(nsName[1])
            .withUid(uid)
            .build(),
        message);
  }

  @Override
  public void nodeEvent(String node, String message) {
    record(
        "default",
        new ObjectReferenceBuilder()
            .withApiVersion("v1")
            .withKind("Node")
            .withName(node)
            .withUid(node)
            .build(),
        message);
  }

  private void record(String namespace, ObjectReference target, String message) {
    String now =
        DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    String name =
        target.getName()
            + "."
            + Long.toHexString(clock.millis())
            + Long.toHexString(SEQ.incrementAndGet());
    client
        .v1()
        .events()
        .inNamespace(namespace)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .withInvolvedObject(target)
                .withType("Normal")
                .withReason(GleanerKeys.RECLAIM_EVENT_REASON)
                .withMessage(message)
                .withReportingComponent(GleanerKeys.DESCHEDULER_COMPONENT)
                .withNewSource()
                .withComponent(GleanerKeys.DESCHEDULER_COMPONENT)
                .endSource()
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build())
        .create();
  }

  static String rfc3339(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
  }
}
