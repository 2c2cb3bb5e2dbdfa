package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.PlaceGangRequest;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.PodAdmission;
import io.gleaner.vk.translate.PodShapes;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement step of a gang member (a pod of a Volcano or coscheduling PodGroup): waits until
 * the gang's minMember pods are bound to the virtual node, then asks the broker to reserve all of
 * them in one member cluster ({@code PlaceGang}), or none. Every member's own sync asks the same
 * (the broker answers a gang already reserved with its reservations), and each creates only its own
 * member pod, so no member pod exists before the whole gang is reserved. A gang that fits no member
 * whole stays Pending, each pod saying why.
 */
final class GangStep {
  private static final Logger log = LoggerFactory.getLogger(GangStep.class);

  /** The reason of a gang member's PodScheduled=False while its gang waits for members. */
  static final String REASON_WAITING = "GangWaiting";

  /** ... while no member cluster holds the whole gang. */
  static final String REASON_NO_FIT = "GangNoMemberFit";

  /** ... while its PodGroup is missing or malformed. */
  static final String REASON_POD_GROUP = "GangPodGroupInvalid";

  private final KubernetesClient meta;
  private final PodInformers informers;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final MetaPodWriter writer;
  private final PodQueues queues;
  private final VkMetrics metrics;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final PodControllerConfig config;
  private final PodValidator validator = new PodValidator();

  GangStep(
      KubernetesClient meta,
      PodInformers informers,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      MetaPodWriter writer,
      PodQueues queues,
      VkMetrics metrics,
      Clock clock,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config) {
    this.meta = meta;
    this.informers = informers;
    this.broker = broker;
    this.translator = translator;
    this.writer = writer;
    this.queues = queues;
    this.metrics = metrics;
    this.clock = clock;
    this.toReal = toReal;
    this.config = config;
  }

  /** What placing a gang member came to. */
  sealed interface Outcome {
    /** The whole gang is reserved; this pod's reservation, and its gang as placed. */
    record Placed(Placement placement, int minMember, int members) implements Outcome {}

    /** Not placed (now). */
    record Stop(WorkQueue.Result result) implements Outcome {}
  }

  Outcome place(String uid, Pod pod, TrackedPod t, Gangs.Membership gang) {
    int minMember;
    try {
      GenericKubernetesResource pg =
          meta.genericKubernetesResources(gang.flavor().apiVersion(), "PodGroup")
              .inNamespace(gang.namespace())
              .withName(gang.group())
              .get();
      if (pg == null) {
        return pending(
            pod,
            REASON_POD_GROUP,
            "PodGroup "
                + gang.id()
                + " ("
                + gang.flavor().apiVersion()
                + ") does not exist; the gang's pods wait for it");
      }
      minMember = Gangs.minMember(pg);
    } catch (IllegalArgumentException e) {
      return pending(pod, REASON_POD_GROUP, e.getMessage());
    } catch (KubernetesClientException e) {
      metrics.error("meta", "get_podgroup");
      return new Outcome.Stop(
          WorkQueue.Result.retry("reading PodGroup " + gang.id() + ": " + e.getMessage()));
    }
    List<Pod> bound = new ArrayList<>();
    for (Pod p : informers.metaPods()) {
      if (Gangs.of(p).filter(gang::equals).isPresent()
          && validator.validate(p) instanceof PodAdmission.Accepted) {
        bound.add(p);
      }
    }
    Gangs.Readiness r = Gangs.readiness(bound, minMember);
    if (r instanceof Gangs.Readiness.Waiting w) {
      metrics.sync("gang_waiting");
      return pending(pod, REASON_WAITING, w.message(gang.id()));
    }
    List<Pod> members = ((Gangs.Readiness.Ready) r).pods();
    PlaceGangRequest.Builder req = PlaceGangRequest.newBuilder().setGangId(gang.id());
    for (Pod p : members) {
      WorkloadClass cls = ((PodAdmission.Accepted) validator.validate(p)).workloadClass();
      req.addPods(
          PlaceRequest.newBuilder()
              .setPodUid(p.getMetadata().getUid())
              .setNamespace(p.getMetadata().getNamespace())
              .setName(p.getMetadata().getName())
              .setWorkloadClass(cls)
              .setShape(PodShapes.of(p, translator.config().node())));
    }
    BrokerApiClient.GangOutcome outcome = broker.placeGangOutcome(req.build());
    if (outcome instanceof BrokerApiClient.GangOutcome.Unavailable u) {
      metrics.error("broker", "place_gang");
      return new Outcome.Stop(WorkQueue.Result.retry(u.message()));
    }
    if (outcome instanceof BrokerApiClient.GangOutcome.Rejected rej) {
      metrics.sync("rejected");
      writer.writeStatus(
          pod,
          StatusMirror.pending(
              pod.getStatus(),
              "PlacementRejected",
              "the broker refused the gang " + gang.id() + ": " + rej.message(),
              clock.instant()));
      return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(config.retryMax())));
    }
    if (outcome instanceof BrokerApiClient.GangOutcome.NoRoom n) {
      metrics.sync("gang_no_fit");
      String why =
          n.noFit().getMessage().isBlank()
              ? "no member cluster can hold the whole gang"
              : n.noFit().getMessage();
      return pending(
          pod,
          REASON_NO_FIT,
          "gang "
              + gang.id()
              + " ("
              + members.size()
              + " pods, minMember "
              + minMember
              + ") is placed whole in one member or not at all: "
              + why);
    }
    List<Placement> placements = ((BrokerApiClient.GangOutcome.Placed) outcome).placements();
    Placement mine = null;
    for (Placement p : placements) {
      if (p.getPodUid().equals(uid)) {
        mine = p;
      } else {
        queues.sync.add(p.getPodUid()); // the others create their member pods now
      }
    }
    if (mine == null) {
      // this pod is not among the live members (it is finishing): nothing to place
      return new Outcome.Stop(WorkQueue.Result.DONE);
    }
    t.waitingSinceMs = 0;
    t.placeOn(mine.getNode().getCluster(), mine.getNode().getNode());
    t.sourceOrdinal = mine.getSourceValue();
    t.state = TrackedPod.State.PLACED;
    log.debug("gang {} placed in {}", gang.id(), t.cluster);
    return new Outcome.Placed(mine, minMember, placements.size());
  }

  private Outcome pending(Pod pod, String reason, String message) {
    writer.writeStatus(
        pod, StatusMirror.pending(pod.getStatus(), reason, message, clock.instant()));
    return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(config.noFitRetry())));
  }
}
