package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Writes node patches to the members as JSON merge patches, through each member's resilience
 * wrapper, on an I/O executor.
 */
public final class KubeNodeWriter implements NodeWriter {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  private final Executor io;

  public KubeNodeWriter(Executor io) {
    this.io = io;
  }

  public void add(Member member) {
    members.put(member.name(), member);
  }

  public void remove(String cluster) {
    members.remove(cluster);
  }

  @Override
  public CompletableFuture<Void> patch(String cluster, String node, NodePatch patch) {
    Member m = members.get(cluster);
    if (m == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("member " + cluster + " is not watched"));
    }
    String body = JSON.asJson(patch.body());
    return CompletableFuture.runAsync(
        () ->
            m.write(
                "patch-node",
                c ->
                    // resource(stub), not withName(): fabric8 GETs the node first when it has no
                    // item
                    c.nodes()
                        .resource(
                            new NodeBuilder()
                                .withNewMetadata()
                                .withName(node)
                                .endMetadata()
                                .build())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), body)),
        io);
  }
}
