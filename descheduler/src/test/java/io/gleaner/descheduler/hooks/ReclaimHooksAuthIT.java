package io.gleaner.descheduler.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.api.auth.CallerAuthorizer;
import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReclaimHooksGrpc;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ReclaimHooks server with mutual TLS: subscribers authenticate by certificate, only the
 * configured identities may watch, and each holds a bounded number of streams.
 */
class ReclaimHooksAuthIT {
  @TempDir Path dir;
  private ClusterCa ca;
  private Path caFile;
  private ReclaimHub hub;
  private Server server;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final java.util.Map<HookOutcome, Integer> outcomes =
      new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    ca = ClusterCa.create("gleaner-ca");
    ClusterCa.Issued serving = ca.issueServing("descheduler", List.of("127.0.0.1"));
    Path cert = Files.writeString(dir.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(dir.resolve("tls.key"), serving.pkcs8KeyPem());
    caFile = Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
    hub = new ReclaimHub(List.of(), 10_000, 2, o -> outcomes.merge(o, 1, Integer::sum));
    server =
        ReclaimHooksServer.start(
            new DeschedulerConfig.HookServer(
                true,
                "127.0.0.1",
                0,
                new ServerTls(cert.toString(), key.toString(), caFile.toString()),
                List.of("reader", "pager"),
                2),
            hub,
            registry);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    hub.close();
  }

  @Test
  void onlyTheConfiguredSubscribersWatch() throws Exception {
    assertThat(watch(channel(null)).get(10, TimeUnit.SECONDS).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    Status denied = watch(channel("descheduler")).get(10, TimeUnit.SECONDS);
    assertThat(denied.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(denied.getDescription())
        .contains("\"descheduler\"", "gleaner.v1.ReclaimHooks/Watch", "pager, reader");
    assertThat(
            registry
                .get(CallerAuthorizer.REFUSED)
                .tags("server", "reclaim-hooks", "identity", "descheduler", "reason", "denied")
                .counter()
                .count())
        .isEqualTo(1);

    CompletableFuture<ReclaimEvent> received = new CompletableFuture<>();
    ReclaimHooksGrpc.newStub(channel("reader"))
        .watch(ReclaimFilter.getDefaultInstance(), observer(received, new CompletableFuture<>()));
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.watchers("reader") == 1);
    hub.accept(ReclaimEvent.newBuilder().setId("r1").setCluster("a").build());
    assertThat(received.get(10, TimeUnit.SECONDS).getId()).isEqualTo("r1");
  }

  @Test
  void oneIdentityHoldsAtMostTheConfiguredStreams() throws Exception {
    ManagedChannel reader = channel("reader");
    for (int i = 0; i < 2; i++) {
      ReclaimHooksGrpc.newStub(reader)
          .watch(
              ReclaimFilter.getDefaultInstance(),
              observer(new CompletableFuture<>(), new CompletableFuture<>()));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.watchers("reader") == 2);
    Status third = watch(reader).get(10, TimeUnit.SECONDS);
    assertThat(third.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(third.getDescription()).contains("\"reader\" already holds 2");
    // another identity is not held back by the first one's streams
    ReclaimHooksGrpc.newStub(channel("pager"))
        .watch(
            ReclaimFilter.getDefaultInstance(),
            observer(new CompletableFuture<>(), new CompletableFuture<>()));
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.watchers("pager") == 1);
  }

  @Test
  void aSubscriberThatDoesNotReadIsSkippedInsteadOfBuffered() throws Exception {
    // never asks for a message: the transport's windows fill, then the stream is not ready
    ReclaimHooksGrpc.newStub(channel("reader"))
        .watch(
            ReclaimFilter.getDefaultInstance(),
            new io.grpc.stub.ClientResponseObserver<ReclaimFilter, ReclaimEvent>() {
              @Override
              public void beforeStart(
                  io.grpc.stub.ClientCallStreamObserver<ReclaimFilter> requestStream) {
                requestStream.disableAutoRequestWithInitial(0);
              }

              @Override
              public void onNext(ReclaimEvent e) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.watchers("reader") == 1);
    String big = "x".repeat(10_000);
    int events = 400; // 4 MB, more than the client's 1 MiB window and the server's buffer
    for (int i = 0; i < events; i++) {
      hub.accept(ReclaimEvent.newBuilder().setId("r" + i).setMessage(big).build());
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                outcomes.getOrDefault(HookOutcome.DELIVERED, 0)
                        + outcomes.getOrDefault(HookOutcome.DROPPED, 0)
                    == events);
    assertThat(outcomes.get(HookOutcome.DROPPED)).isPositive();
    assertThat(outcomes.get(HookOutcome.DELIVERED)).isLessThan(events / 2);
  }

  /** A Watch on {@code channel}; completes with the status it ends with. */
  private static CompletableFuture<Status> watch(ManagedChannel channel) {
    CompletableFuture<Status> ended = new CompletableFuture<>();
    ReclaimHooksGrpc.newStub(channel)
        .watch(ReclaimFilter.getDefaultInstance(), observer(new CompletableFuture<>(), ended));
    return ended;
  }

  private static StreamObserver<ReclaimEvent> observer(
      CompletableFuture<ReclaimEvent> first, CompletableFuture<Status> ended) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ReclaimEvent e) {
        first.complete(e);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    };
  }

  /** A channel verifying the server, with the client certificate of {@code identity} (or none). */
  private ManagedChannel channel(String identity) throws Exception {
    ChannelSettings s =
        ChannelSettings.plaintext("127.0.0.1:" + server.getPort(), "test")
            .withTls(caFile.toString(), null, null);
    if (identity != null) {
      ClusterCa.Issued c = ca.issueClient(identity, List.of());
      s =
          s.withTls(
              caFile.toString(),
              Files.writeString(dir.resolve(identity + ".crt"), c.certificatePem()).toString(),
              Files.writeString(dir.resolve(identity + ".key"), c.pkcs8KeyPem()).toString());
    }
    ManagedChannel ch = ApiChannels.open(s, registry);
    channels.add(ch);
    return ch;
  }
}
