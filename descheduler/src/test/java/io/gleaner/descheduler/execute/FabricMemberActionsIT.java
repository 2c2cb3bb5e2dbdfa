package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.PodClass;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.resources.Resources;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The member API server's answers to an Eviction, as kube-apiserver words them, read the same way
 * by the blocking and the asynchronous path: both a PodDisruptionBudget and the API server's own
 * throttling answer 429, and only the first is a refusal (the second is tried again).
 */
class FabricMemberActionsIT {
  /** kube-apiserver's answer when a PodDisruptionBudget refuses the eviction. */
  static final String PDB =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Cannot evict"
          + " pod as it would violate the pod's disruption budget.\",\"reason\":\"TooManyRequests\","
          + "\"details\":{\"causes\":[{\"reason\":\"DisruptionBudget\",\"message\":\"The disruption"
          + " budget web needs 2 healthy pods and has 2 currently\"}]},\"code\":429}";

  /** The API server's own throttling (max-in-flight, API priority and fairness). */
  static final String THROTTLED =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Too many"
          + " requests, please try again later.\",\"reason\":\"TooManyRequests\","
          + "\"details\":{\"retryAfterSeconds\":0},\"code\":429}";

  static final String CREATED =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\",\"code\":201}";

  private HttpServer server;
  private KubernetesClient client;
  private final ConcurrentLinkedQueue<String[]> answers = new ConcurrentLinkedQueue<>();
  private final AtomicInteger posts = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/api/v1/namespaces/gl/pods/",
        exchange -> {
          posts.incrementAndGet();
          String[] a = answers.poll();
          int code = a == null ? 201 : Integer.parseInt(a[0]);
          byte[] body = (a == null ? CREATED : a[1]).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(code, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
    Config config =
        new ConfigBuilder()
            .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
            .withRequestRetryBackoffLimit(0)
            .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  private EvictionResult evict(boolean async) throws Exception {
    FabricMemberActions actions = new FabricMemberActions("m1", client, Clock.systemUTC());
    Victim v =
        new Victim(
            "n1",
            new NodePod(
                "gl",
                "p1",
                "u-p1",
                Resources.of("cpu", "1"),
                true,
                PodClass.OFFLINE,
                Pool.IDLE,
                -200,
                Instant.EPOCH,
                30,
                Optional.empty(),
                false,
                "m-p1"));
    return async
        ? actions.evictAsync(v, Executors.newSingleThreadExecutor()).get(10, TimeUnit.SECONDS)
        : actions.evict(v);
  }

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void aThrottledEvictionIsTriedAgainNotTakenForABudget(boolean async) throws Exception {
    answers.addAll(List.of(new String[] {"429", THROTTLED}, new String[] {"429", THROTTLED}));

    assertThat(evict(async)).isEqualTo(EvictionResult.EVICTED);
    assertThat(posts).hasValue(3);
  }

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void aDisruptionBudgetRefusesAtOnce(boolean async) throws Exception {
    answers.add(new String[] {"429", PDB});

    assertThat(evict(async)).isEqualTo(EvictionResult.BLOCKED_BY_PDB);
    assertThat(posts).hasValue(1);
  }

  @Test
  void aPodAlreadyGoneIsNoFailure() throws Exception {
    answers.add(
        new String[] {
          "404",
          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"pods"
              + " \\\"p1\\\" not found\",\"reason\":\"NotFound\",\"code\":404}"
        });
    assertThat(evict(false)).isEqualTo(EvictionResult.ALREADY_GONE);
  }
}
