package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.gleaner.meta.kube.GleanerKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's scenario: offline and near-line teams submit Jobs and single pods to the metadata
 * cluster, as real users would (tolerating the virtual node's taint, selecting it with {@code type:
 * virtual-kubelet}); and training gangs (Volcano PodGroups) arrive in the training clusters. Online
 * services follow the load curve on their own (the simulator's online workload).
 *
 * <p>{@link #tick()} is called periodically; it acts on the simulated clock, so the pace follows
 * {@code --speed}.
 */
public final class ScenarioDriver {
  private static final Logger log = LoggerFactory.getLogger(ScenarioDriver.class);

  /** The simulated kubelet finishes a pod after this many simulated seconds. */
  public static final String RUN_SECONDS_ANNOTATION = "sim.gleaner.io/run-seconds";

  public static final List<String> TEAMS = List.of("search-offline", "ads-nearline", "ml-batch");
  static final ResourceDefinitionContext POD_GROUP =
      new ResourceDefinitionContext.Builder()
          .withGroup("scheduling.volcano.sh")
          .withVersion("v1beta1")
          .withKind("PodGroup")
          .withPlural("podgroups")
          .withNamespaced(true)
          .build();

  private record Shape(String cpu, String memory, int gpus) {
    Shape(String cpu, String memory) {
      this(cpu, memory, 0);
    }
  }

  private static final List<Shape> SHAPES =
      List.of(
          new Shape("500m", "1Gi"),
          new Shape("1", "2Gi"),
          new Shape("2", "4Gi"),
          new Shape("4", "8Gi"));

  /** Batch inference: small GPU pods that only Volcano's GPU fragments can take. */
  private static final Shape GPU_SHAPE = new Shape("4", "16Gi", 1);

  private final KubernetesClient meta;
  private final Map<String, KubernetesClient> trainingClusters;
  private final Clock clock;
  private final Random random;
  private final Duration submitEvery;
  private final Duration gangEvery;
  private long nextSubmitAt;
  private long nextGangAt;
  private final AtomicLong jobs = new AtomicLong();
  private final AtomicLong gangs = new AtomicLong();

  public ScenarioDriver(
      KubernetesClient meta,
      Map<String, KubernetesClient> trainingClusters,
      Clock clock,
      long seed,
      Duration submitEvery,
      Duration gangEvery) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.trainingClusters = Map.copyOf(trainingClusters);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = new Random(seed);
    this.submitEvery = submitEvery;
    this.gangEvery = gangEvery;
    this.nextSubmitAt = clock.millis();
    this.nextGangAt = clock.millis() + gangEvery.toMillis() / 2;
  }

  /** Creates the teams' namespaces. */
  public void setUp() {
    for (String team : TEAMS) {
      meta.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(team).endMetadata().build())
          .createOr(n -> n.update());
    }
  }

  public long jobsSubmitted() {
    return jobs.get();
  }

  public long gangsSubmitted() {
    return gangs.get();
  }

  /** Submits what is due on the simulated clock. */
  public synchronized void tick() {
    long now = clock.millis();
    try {
      while (now >= nextSubmitAt) {
        submitJob();
        nextSubmitAt += submitEvery.toMillis();
      }
      if (!trainingClusters.isEmpty() && now >= nextGangAt) {
        submitGang();
        nextGangAt += gangEvery.toMillis();
      }
    } catch (KubernetesClientException e) {
      log.warn("scenario: submission failed, will retry next tick: {}", e.getMessage());
    }
  }

  private void submitJob() {
    long n = jobs.incrementAndGet();
    boolean nearLine = n % 3 == 0;
    String cls = nearLine ? "near-line" : "offline";
    String team = nearLine ? "ads-nearline" : (n % 2 == 0 ? "search-offline" : "ml-batch");
    boolean gpu = !nearLine && n % 5 == 2;
    Shape shape = gpu ? GPU_SHAPE : SHAPES.get(random.nextInt(SHAPES.size()));
    int parallelism = 3 + random.nextInt(6);
    int completions = parallelism * (1 + random.nextInt(3));
    long runSeconds = 600 + random.nextInt(2400);
    meta.batch()
        .v1()
        .jobs()
        .inNamespace(team)
        .resource(
            new JobBuilder()
                .withNewMetadata()
                .withName(cls + "-job-" + n)
                .withNamespace(team)
                .endMetadata()
                .withNewSpec()
                .withParallelism(parallelism)
                .withCompletions(completions)
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels(GleanerKeys.CLASS, cls)
                .addToLabels("app", cls + "-job-" + n)
                .addToAnnotations(RUN_SECONDS_ANNOTATION, Long.toString(runSeconds))
                .endMetadata()
                .withSpec(podSpec(shape))
                .endTemplate()
                .endSpec()
                .build())
        .create();
    if (n % 4 == 0) {
      // A single pod too, as a user applying a manifest would.
      meta.pods()
          .inNamespace(team)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(cls + "-pod-" + n)
                  .addToLabels(GleanerKeys.CLASS, cls)
                  .addToAnnotations(RUN_SECONDS_ANNOTATION, Long.toString(runSeconds))
                  .endMetadata()
                  .withSpec(podSpec(SHAPES.get(0)))
                  .build())
          .create();
    }
    log.info(
        "scenario: {} submitted job {} ({} x {} cpu / {} memory{}, {} completions, {} min each)",
        team,
        cls + "-job-" + n,
        parallelism,
        shape.cpu(),
        shape.memory(),
        shape.gpus() > 0 ? " / " + shape.gpus() + " GPU" : "",
        completions,
        runSeconds / 60);
  }

  /**
   * The pod spec a submitter writes: the virtual node's toleration and selector, plus the
   * heartbeat-blip tolerations.
   */
  public static PodSpec podSpec(String cpu, String memory) {
    return podSpec(new Shape(cpu, memory));
  }

  private static PodSpec podSpec(Shape shape) {
    PodSpec spec = basePodSpec(shape);
    if (shape.gpus() > 0) {
      var resources = spec.getContainers().get(0).getResources();
      resources.getRequests().put("nvidia.com/gpu", new Quantity(Integer.toString(shape.gpus())));
      resources.getLimits().put("nvidia.com/gpu", new Quantity(Integer.toString(shape.gpus())));
    }
    return spec;
  }

  private static PodSpec basePodSpec(Shape shape) {
    return new PodSpecBuilder()
        .withRestartPolicy("Never")
        .withNodeSelector(Map.of("type", "virtual-kubelet"))
        .withTolerations(virtualNodeTolerations())
        .addNewContainer()
        .withName("main")
        .withImage("registry.example.com/batch/worker:1.0")
        .withNewResources()
        .addToRequests("cpu", new Quantity(shape.cpu()))
        .addToRequests("memory", new Quantity(shape.memory()))
        .addToLimits("cpu", new Quantity(shape.cpu()))
        .addToLimits("memory", new Quantity(shape.memory()))
        .endResources()
        .endContainer()
        .build();
  }

  /**
   * The virtual node's taint, and not-ready/unreachable so a heartbeat blip never mass-evicts
   * Gleaner pods.
   */
  public static List<Toleration> virtualNodeTolerations() {
    return List.of(
        new TolerationBuilder()
            .withKey(GleanerKeys.VIRTUAL_NODE_TAINT_KEY)
            .withOperator("Equal")
            .withValue("gleaner")
            .withEffect("NoSchedule")
            .build(),
        new TolerationBuilder()
            .withKey("node.kubernetes.io/not-ready")
            .withOperator("Exists")
            .withEffect("NoExecute")
            .build(),
        new TolerationBuilder()
            .withKey("node.kubernetes.io/unreachable")
            .withOperator("Exists")
            .withEffect("NoExecute")
            .build());
  }

  private void submitGang() {
    List<String> names = trainingClusters.keySet().stream().sorted().toList();
    String cluster = names.get((int) (gangs.get() % names.size()));
    KubernetesClient client = trainingClusters.get(cluster);
    long n = gangs.incrementAndGet();
    String name = "train-gang-" + n;
    int members = 4;
    String ns = "training";
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .createOr(x -> x.update());
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("scheduling.volcano.sh/v1beta1")
            .withKind("PodGroup")
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "minMember",
                    members,
                    "queue",
                    "default",
                    "minResources",
                    Map.of("cpu", Integer.toString(8 * members), "memory", (32 * members) + "Gi")))
            .build();
    client.genericKubernetesResources(POD_GROUP).inNamespace(ns).resource(pg).create();
    for (int i = 0; i < members; i++) {
      client
          .pods()
          .inNamespace(ns)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(name + "-worker-" + i)
                  .addToAnnotations(GleanerKeys.VOLCANO_GROUP_NAME, name)
                  .addToAnnotations(RUN_SECONDS_ANNOTATION, "5400")
                  .addToLabels("app", name)
                  .endMetadata()
                  .withNewSpec()
                  .withSchedulerName("volcano")
                  .withPriority(1000)
                  .withRestartPolicy("Never")
                  .addNewContainer()
                  .withName("trainer")
                  .withImage("registry.example.com/train/trainer:2.1")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("8"))
                  .addToRequests("memory", new Quantity("32Gi"))
                  .endResources()
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
    }
    log.info(
        "scenario: training gang {} ({} x 8 cpu / 32Gi) arrived in {}", name, members, cluster);
  }
}
