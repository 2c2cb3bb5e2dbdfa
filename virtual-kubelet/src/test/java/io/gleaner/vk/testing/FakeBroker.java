package io.gleaner.vk.testing;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ConfirmResponse;
import io.gleaner.api.v1.ListPlacementsRequest;
import io.gleaner.api.v1.ListPlacementsResponse;
import io.gleaner.api.v1.NeverFits;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.ReleaseRequest;
import io.gleaner.api.v1.ReleaseResponse;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.resources.Resources;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-process broker on real gRPC (127.0.0.1, port 0) for virtual-kubelet tests, until the
 * real BrokerServer lands: first fit by cpu over a fixed node list, idempotent per pod UID, honours
 * excludes (an exclude without a node: the whole member); a pod no fake node could ever hold is
 * refused with {@code never_fits}.
 */
public final class FakeBroker implements AutoCloseable {
  /** A member node with cpu room, in millicores. */
  public record FakeNode(String cluster, String node, SourceKind source, long cpuMillis) {}

  private final List<FakeNode> nodes;
  private final Map<String, Long> usedByNode = new ConcurrentHashMap<>();
  private final Map<String, Placement> placements = new ConcurrentHashMap<>();
  private final Map<String, Long> cpuByPod = new ConcurrentHashMap<>();
  public final AtomicInteger places = new AtomicInteger();
  public final AtomicInteger releases = new AtomicInteger();
  public final AtomicInteger confirms = new AtomicInteger();
  public final List<String> releaseReasons = new CopyOnWriteArrayList<>();
  private final List<StreamObserver<Capacity>> watchers = new CopyOnWriteArrayList<>();
  private volatile boolean failing;
  private volatile boolean full;
  private volatile java.util.concurrent.CountDownLatch gangHold;
  private final Server server;

  public FakeBroker(List<FakeNode> nodes) throws IOException {
    this.nodes = new CopyOnWriteArrayList<>(nodes);
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Impl())
            .build()
            .start();
  }

  /**
   * Gang placements wait for {@code until} before they are answered (at most 10 s), as a broker
   * slow to answer: what the caller does meanwhile races the answer.
   */
  public void holdGangPlacements(java.util.concurrent.CountDownLatch until) {
    this.gangHold = until;
  }

  /** A member node starts lending (the pool grows). */
  public void addNode(FakeNode node) {
    nodes.add(node);
  }

  public String target() {
    return "127.0.0.1:" + server.getPort();
  }

  /** While true no gang gets new reservations (the pool's room was taken meanwhile). */
  public void setFull(boolean full) {
    this.full = full;
  }

  /** While true every call fails with UNAVAILABLE (a transient broker outage). */
  public void setFailing(boolean failing) {
    this.failing = failing;
  }

  public Map<String, Placement> placements() {
    return placements;
  }

  public Capacity capacity() {
    long total = 0;
    long largest = 0;
    for (FakeNode n : nodes) {
      long free = n.cpuMillis - usedByNode.getOrDefault(key(n.cluster, n.node), 0L);
      total += free;
      largest = Math.max(largest, free);
    }
    return Capacity.newBuilder()
        .putAdvertised("cpu", Resources.ZERO.with("cpu", total).format("cpu"))
        .putAdvertised("memory", "64Gi")
        .putLargestShape("cpu", Resources.ZERO.with("cpu", largest).format("cpu"))
        .setNodes(nodes.size())
        .build();
  }

  public void publishCapacity() {
    Capacity c = capacity();
    watchers.forEach(w -> w.onNext(c));
  }

  private static String key(String c, String n) {
    return c + "/" + n;
  }

  private final class Impl extends BrokerGrpc.BrokerImplBase {
    @Override
    public synchronized void place(PlaceRequest req, StreamObserver<PlaceResponse> out) {
      places.incrementAndGet();
      if (failing) {
        out.onError(Status.UNAVAILABLE.withDescription("fake broker is down").asRuntimeException());
        return;
      }
      Placement existing = placements.get(req.getPodUid());
      if (existing != null) {
        out.onNext(PlaceResponse.newBuilder().setPlacement(existing).build());
        out.onCompleted();
        return;
      }
      long cpu = Resources.parse(req.getShape().getRequestsMap()).cpuMillis();
      Optional<NeverFits> never = neverFits(req.getShape().getRequestsMap(), cpu);
      if (never.isPresent()) {
        out.onNext(
            PlaceResponse.newBuilder()
                .setNoFit(
                    NoFit.newBuilder()
                        .setMessage("never fits: " + never.get().getResource())
                        .setNeverFits(never.get()))
                .build());
        out.onCompleted();
        return;
      }
      long largest = 0;
      for (FakeNode n : nodes) {
        boolean excluded =
            req.getExcludeList().stream()
                .anyMatch(
                    x ->
                        x.getCluster().equals(n.cluster)
                            && (x.getNode().isEmpty() || x.getNode().equals(n.node)));
        long free = n.cpuMillis - usedByNode.getOrDefault(key(n.cluster, n.node), 0L);
        largest = Math.max(largest, free);
        if (excluded || free < cpu) {
          continue;
        }
        usedByNode.merge(key(n.cluster, n.node), cpu, Long::sum);
        cpuByPod.put(req.getPodUid(), cpu);
        Placement p =
            Placement.newBuilder()
                .setPodUid(req.getPodUid())
                .setNode(NodeRef.newBuilder().setCluster(n.cluster).setNode(n.node))
                .setSource(n.source)
                .setWorkloadClass(req.getWorkloadClass())
                .setNamespace(req.getNamespace())
                .setName(req.getName())
                .build();
        placements.put(req.getPodUid(), p);
        out.onNext(PlaceResponse.newBuilder().setPlacement(p).build());
        out.onCompleted();
        return;
      }
      out.onNext(
          PlaceResponse.newBuilder()
              .setNoFit(
                  NoFit.newBuilder()
                      .setMessage(
                          "largest free node offers "
                              + largest
                              + "m CPU, pod requests "
                              + cpu
                              + "m"))
              .build());
      out.onCompleted();
    }

    /**
     * All pods in the first member (in node order) whose nodes hold them all, or none; as the real
     * broker, pods already reserved keep their reservation and the others go to their member, and
     * each pod's excludes are honoured. While {@link #setFull} holds, nothing new is reserved.
     */
    @Override
    public synchronized void placeGang(
        io.gleaner.api.v1.PlaceGangRequest req,
        StreamObserver<io.gleaner.api.v1.PlaceGangResponse> out) {
      java.util.concurrent.CountDownLatch hold = gangHold;
      if (hold != null) {
        try {
          hold.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      places.incrementAndGet();
      if (failing) {
        out.onError(Status.UNAVAILABLE.withDescription("fake broker is down").asRuntimeException());
        return;
      }
      io.gleaner.api.v1.PlaceGangResponse.Builder b =
          io.gleaner.api.v1.PlaceGangResponse.newBuilder();
      if (req.getPodsList().stream().allMatch(p -> placements.containsKey(p.getPodUid()))) {
        req.getPodsList().forEach(p -> b.addPlacements(placements.get(p.getPodUid())));
        out.onNext(b.build());
        out.onCompleted();
        return;
      }
      String reservedIn =
          req.getPodsList().stream()
              .map(p -> placements.get(p.getPodUid()))
              .filter(java.util.Objects::nonNull)
              .map(p -> p.getNode().getCluster())
              .findFirst()
              .orElse(null);
      List<String> clusters =
          reservedIn != null
              ? List.of(reservedIn)
              : nodes.stream().map(FakeNode::cluster).distinct().toList();
      for (String cluster : full ? List.<String>of() : clusters) {
        Map<String, Long> used = new java.util.HashMap<>(usedByNode);
        List<Placement> got = new java.util.ArrayList<>();
        int missing = 0;
        for (PlaceRequest r : req.getPodsList()) {
          if (placements.containsKey(r.getPodUid())) {
            continue;
          }
          missing++;
          long cpu = Resources.parse(r.getShape().getRequestsMap()).cpuMillis();
          for (FakeNode n : nodes) {
            boolean excluded =
                r.getExcludeList().stream()
                    .anyMatch(
                        x ->
                            x.getCluster().equals(n.cluster)
                                && (x.getNode().isEmpty() || x.getNode().equals(n.node)));
            if (n.cluster.equals(cluster)
                && !excluded
                && n.cpuMillis - used.getOrDefault(key(n.cluster, n.node), 0L) >= cpu) {
              used.merge(key(n.cluster, n.node), cpu, Long::sum);
              got.add(
                  Placement.newBuilder()
                      .setPodUid(r.getPodUid())
                      .setNode(NodeRef.newBuilder().setCluster(n.cluster).setNode(n.node))
                      .setSource(n.source)
                      .setWorkloadClass(r.getWorkloadClass())
                      .setNamespace(r.getNamespace())
                      .setName(r.getName())
                      .setGangId(req.getGangId())
                      .build());
              cpuByPod.put(r.getPodUid(), cpu);
              break;
            }
          }
        }
        if (got.size() == missing) {
          usedByNode.putAll(used);
          got.forEach(p -> placements.put(p.getPodUid(), p));
          req.getPodsList().forEach(p -> b.addPlacements(placements.get(p.getPodUid())));
          out.onNext(b.build());
          out.onCompleted();
          return;
        }
      }
      out.onNext(
          b.setNoFit(NoFit.newBuilder().setMessage("no member holds the whole gang")).build());
      out.onCompleted();
    }

    /**
     * Fake nodes have their cpu room and nothing else beyond memory and pod slots: more cpu than
     * the largest, or any other resource, never fits.
     */
    private Optional<NeverFits> neverFits(Map<String, String> requests, long cpu) {
      for (String r : new TreeSet<>(requests.keySet())) {
        if (!Set.of("cpu", "memory", "pods", "ephemeral-storage").contains(r)) {
          return Optional.of(
              NeverFits.newBuilder()
                  .setResource(r)
                  .setRequested(requests.get(r))
                  .setLargest("0")
                  .build());
        }
      }
      long most = nodes.stream().mapToLong(FakeNode::cpuMillis).max().orElse(0);
      if (cpu > most) {
        return Optional.of(
            NeverFits.newBuilder()
                .setResource("cpu")
                .setRequested(requests.get("cpu"))
                .setLargest(most + "m")
                .build());
      }
      return Optional.empty();
    }

    @Override
    public void confirm(ConfirmRequest req, StreamObserver<ConfirmResponse> out) {
      confirms.incrementAndGet();
      if (failing) {
        out.onError(Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      Placement p = placements.get(req.getPodUid());
      if (p == null) {
        out.onError(
            Status.NOT_FOUND
                .withDescription("no reservation for " + req.getPodUid())
                .asRuntimeException());
        return;
      }
      Placement c = p.toBuilder().setConfirmed(true).build();
      placements.put(req.getPodUid(), c);
      out.onNext(ConfirmResponse.newBuilder().setPlacement(c).build());
      out.onCompleted();
    }

    @Override
    public void listPlacements(
        ListPlacementsRequest req, StreamObserver<ListPlacementsResponse> out) {
      if (failing) {
        out.onError(Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      ListPlacementsResponse.Builder b = ListPlacementsResponse.newBuilder();
      placements.values().stream()
          .filter(
              p -> req.getCluster().isEmpty() || req.getCluster().equals(p.getNode().getCluster()))
          .forEach(b::addPlacements);
      out.onNext(b.build());
      out.onCompleted();
    }

    @Override
    public synchronized void release(ReleaseRequest req, StreamObserver<ReleaseResponse> out) {
      releases.incrementAndGet();
      releaseReasons.add(req.getReason());
      if (failing) {
        out.onError(Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      Placement p = placements.remove(req.getPodUid());
      if (p == null) {
        out.onError(Status.NOT_FOUND.asRuntimeException());
        return;
      }
      usedByNode.merge(
          key(p.getNode().getCluster(), p.getNode().getNode()),
          -cpuByPod.getOrDefault(req.getPodUid(), 0L),
          Long::sum);
      out.onNext(ReleaseResponse.newBuilder().setReleased(p).build());
      out.onCompleted();
    }

    @Override
    public void getCapacity(CapacityRequest req, StreamObserver<Capacity> out) {
      out.onNext(capacity());
      out.onCompleted();
    }

    @Override
    public void watchCapacity(CapacityRequest req, StreamObserver<Capacity> out) {
      if (failing) {
        out.onError(Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      out.onNext(capacity());
      watchers.add(out);
    }
  }

  public Map<String, Long> used() {
    return new LinkedHashMap<>(usedByNode);
  }

  @Override
  public void close() {
    watchers.forEach(
        w -> {
          try {
            w.onCompleted();
          } catch (RuntimeException ignored) {
            // closing
          }
        });
    server.shutdownNow();
  }
}
