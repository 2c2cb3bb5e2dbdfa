package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.api.auth.CallerAuthorizer;
import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every method of {@code gleaner.v1.Broker} on a real server with mutual TLS: a caller without a
 * client certificate is refused with UNAUTHENTICATED, a caller whose verified identity may not call
 * the method with PERMISSION_DENIED naming both, and the one identity that may call it reaches the
 * method. The expected owners are written out here, apart from the server's table, so that the test
 * states the policy instead of repeating the code.
 */
class BrokerAuthIT {
  /** Who may call each method, as SECURITY.md states it. */
  static final Map<String, Set<String>> MAY_CALL =
      Map.ofEntries(
          Map.entry("ReportOffers", Set.of("idle-detector")),
          Map.entry("Withdraw", Set.of("descheduler")),
          Map.entry("Place", Set.of("virtual-kubelet")),
          Map.entry("PlaceGang", Set.of("virtual-kubelet")),
          Map.entry("Confirm", Set.of("virtual-kubelet")),
          Map.entry("Release", Set.of("virtual-kubelet")),
          Map.entry("ListPlacements", Set.of("virtual-kubelet", "reader")),
          Map.entry(
              "GetCapacity", Set.of("reader", "idle-detector", "virtual-kubelet", "descheduler")),
          Map.entry(
              "WatchCapacity", Set.of("reader", "idle-detector", "virtual-kubelet", "descheduler")),
          Map.entry(
              "Estimate", Set.of("reader", "idle-detector", "virtual-kubelet", "descheduler")),
          Map.entry(
              "WatchReclaims",
              Set.of("reader", "idle-detector", "virtual-kubelet", "descheduler")));

  static final List<String> IDENTITIES =
      List.of("idle-detector", "virtual-kubelet", "descheduler", "reader", "broker", "stranger");

  @TempDir static Path dir;
  static ClusterCa ca;
  static Path caFile;
  static BrokerService broker;
  static SimpleMeterRegistry registry = new SimpleMeterRegistry();
  static final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    ca = ClusterCa.create("gleaner-ca");
    ClusterCa.Issued serving = ca.issueServing("broker", List.of("127.0.0.1", "localhost"));
    Path cert = Files.writeString(dir.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(dir.resolve("tls.key"), serving.pkcs8KeyPem());
    caFile = Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
    broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc(
                    "127.0.0.1",
                    0,
                    new ServerTls(cert.toString(), key.toString(), caFile.toString())),
                Duration.ofMinutes(1),
                new BrokerConfig.Dashboard(false)),
            PlacementPolicy.defaults(),
            new FakeClock(),
            registry,
            null,
            () -> Set.of("a"));
    broker.start();
    ChannelSettings base = ChannelSettings.plaintext(broker.target(), "test");
    channels.put("", ApiChannels.open(base.withTls(caFile.toString(), null, null), registry));
    for (String id : IDENTITIES) {
      ClusterCa.Issued c = ca.issueClient(id, List.of());
      Path crt = Files.writeString(dir.resolve(id + ".crt"), c.certificatePem());
      Path k = Files.writeString(dir.resolve(id + ".key"), c.pkcs8KeyPem());
      channels.put(
          id,
          ApiChannels.open(
              base.withTls(caFile.toString(), crt.toString(), k.toString()), registry));
    }
    // one reclaim on record, so that an admitted WatchReclaims answers at once
    Status withdrawn =
        call(
            channels.get("descheduler"),
            BrokerGrpc.getWithdrawMethod(),
            WithdrawRequest.newBuilder()
                .setNode(NodeRef.newBuilder().setCluster("a").setNode("n1"))
                .setEvent(ReclaimEvent.newBuilder().setId("r1").setCluster("a").setNode("n1"))
                .build());
    assertThat(withdrawn.getCode()).isEqualTo(Status.Code.OK);
  }

  @AfterAll
  static void stop() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void everyMethodHasItsCallersWrittenDown() {
    Set<String> methods =
        BrokerGrpc.getServiceDescriptor().getMethods().stream()
            .map(MethodDescriptor::getBareMethodName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(methods).isEqualTo(new TreeSet<>(MAY_CALL.keySet()));
  }

  @Test
  void aCallerWithoutACertificateIsUnauthenticated() throws Exception {
    for (MethodDescriptor<?, ?> m : BrokerGrpc.getServiceDescriptor().getMethods()) {
      Status s = call(channels.get(""), m, null);
      assertThat(s.getCode()).as(m.getFullMethodName()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    assertThat(refused("anonymous", "gleaner.v1.Broker/Withdraw")).isEqualTo(1);
  }

  @Test
  void everyOtherIdentityIsDeniedNamingItAndTheMethod() throws Exception {
    for (MethodDescriptor<?, ?> m : BrokerGrpc.getServiceDescriptor().getMethods()) {
      for (String id : IDENTITIES) {
        if (MAY_CALL.get(m.getBareMethodName()).contains(id)) {
          continue;
        }
        Status s = call(channels.get(id), m, null);
        assertThat(s.getCode())
            .as(id + " calling " + m.getFullMethodName())
            .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(s.getDescription()).contains(id, m.getFullMethodName());
      }
    }
    assertThat(refused("reader", "gleaner.v1.Broker/Withdraw")).isEqualTo(1);
    assertThat(refused("virtual-kubelet", "gleaner.v1.Broker/ReportOffers")).isEqualTo(1);
  }

  @Test
  void theIdentitiesAllowedReachTheMethod() throws Exception {
    for (MethodDescriptor<?, ?> m : BrokerGrpc.getServiceDescriptor().getMethods()) {
      for (String id : MAY_CALL.get(m.getBareMethodName())) {
        Status s = call(channels.get(id), m, null);
        // the method's own answer: OK, or INVALID_ARGUMENT / NOT_FOUND for the empty request
        assertThat(s.getCode())
            .as(id + " calling " + m.getFullMethodName() + ": " + s)
            .isIn(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND);
      }
    }
  }

  @Test
  void oneIdentityHoldsAtMostSixteenWatchStreamsAndOthersAreNotHeldBack() throws Exception {
    ManagedChannel reader = channels.get("reader");
    List<ClientCall<io.gleaner.api.v1.CapacityRequest, ?>> open = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < BrokerGrpcService.MAX_WATCHES_PER_IDENTITY; i++) {
        Watch w = watch(reader);
        assertThat(w.first().get(15, TimeUnit.SECONDS).getCode())
            .as("stream %d", i)
            .isEqualTo(Status.Code.OK);
        open.add(w.call());
      }
      Watch more = watch(reader);
      Status refused = more.first().get(15, TimeUnit.SECONDS);
      assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getDescription()).contains("\"reader\" already holds 16");
      // WatchReclaims counts towards the same limit
      assertThat(call(reader, BrokerGrpc.getWatchReclaimsMethod(), null).getCode())
          .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      // another identity is not held back
      assertThat(
              call(channels.get("descheduler"), BrokerGrpc.getWatchCapacityMethod(), null)
                  .getCode())
          .isEqualTo(Status.Code.OK);
      // a stream given back makes room again
      open.remove(0).cancel("done", null);
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(15))
          .until(
              () ->
                  call(reader, BrokerGrpc.getWatchCapacityMethod(), null).getCode()
                      == Status.Code.OK);
    } finally {
      open.forEach(c -> c.cancel("done", null));
    }
  }

  record Watch(
      ClientCall<io.gleaner.api.v1.CapacityRequest, ?> call, CompletableFuture<Status> first) {}

  /** A WatchCapacity stream left open: {@code first} completes OK at its first message. */
  private static Watch watch(ManagedChannel channel) {
    ClientCall<io.gleaner.api.v1.CapacityRequest, io.gleaner.api.v1.Capacity> call =
        channel.newCall(BrokerGrpc.getWatchCapacityMethod(), CallOptions.DEFAULT);
    CompletableFuture<Status> first = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(io.gleaner.api.v1.Capacity message) {
            first.complete(Status.OK);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            first.complete(status);
          }
        },
        new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(io.gleaner.api.v1.CapacityRequest.getDefaultInstance());
    call.halfClose();
    return new Watch(call, first);
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedAtTheHandshake() throws Exception {
    ClusterCa other = ClusterCa.create("gleaner-ca");
    ClusterCa.Issued c = other.issueClient("descheduler", List.of());
    Path crt = Files.writeString(dir.resolve("forged.crt"), c.certificatePem());
    Path k = Files.writeString(dir.resolve("forged.key"), c.pkcs8KeyPem());
    ManagedChannel forged =
        ApiChannels.open(
            ChannelSettings.plaintext(broker.target(), "test")
                .withTls(caFile.toString(), crt.toString(), k.toString()),
            registry);
    try {
      Status s = call(forged, BrokerGrpc.getWithdrawMethod(), null);
      assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      forged.shutdownNow();
    }
  }

  private double refused(String identity, String method) {
    var c =
        registry
            .find(CallerAuthorizer.REFUSED)
            .tags("identity", identity, "method", method)
            .counter();
    return c == null ? 0 : c.count();
  }

  /**
   * One call of {@code m} with {@code request} (null: the request type's empty message): the status
   * it ended with, or OK once a streaming method answered its first message (then it is cancelled).
   */
  @SuppressWarnings("unchecked")
  static <Q, A> Status call(ManagedChannel channel, MethodDescriptor<Q, A> m, Object request)
      throws Exception {
    Q req =
        request != null
            ? (Q) request
            : (Q)
                ((MethodDescriptor.PrototypeMarshaller<Q>) m.getRequestMarshaller())
                    .getMessagePrototype();
    ClientCall<Q, A> call =
        channel.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> done = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(A message) {
            if (!m.getType().serverSendsOneMessage()) {
              done.complete(Status.OK);
              call.cancel("answered", null);
            }
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(req);
    call.halfClose();
    return done.get(15, TimeUnit.SECONDS);
  }
}
