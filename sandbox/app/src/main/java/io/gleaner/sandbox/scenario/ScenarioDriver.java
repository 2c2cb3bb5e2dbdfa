package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.VolcanoPodGroups;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
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
 * virtual-kubelet}); and training gangs (Volcano PodGroups) arrive in the training clusters, and as
 * often (the first at once) {@code ml-batch} submits one to the metadata cluster ({@link
 * #META_GANG_PODS} pods, a PodGroup of that minMember), which Gleaner runs whole or not at all.
 * Online services follow the load curve on their own (the simulator's online workload).
 *
 * <p>Jobs arrive at a fixed rate ({@code submitEvery}, zero for none) and, with a {@link Backlog},
 * the teams also keep pods waiting for the virtual node at all times, as offline teams with more
 * work queued than can be lent do: every {@link Backlog#checkEvery()} the driver counts the pods of
 * each team and kind that wait for room (Pending and not on a member node yet, or not yet created
 * by their Job) and submits Jobs until each team has its part of each kind's target ({@link
 * #KINDS_BY_TEAM}: {@code ads-nearline} keeps the near-line pods waiting, {@code ml-batch} and
 * {@code search-offline} half the offline and half the GPU pods each). The harvest ratio then
 * measures Gleaner, not demand, and every team stays backlogged, so their shares measure fair
 * placement. A check whose budget ({@link Backlog#maxJobsPerCheck()}) does not cover every team's
 * shortfall goes first to the team and kind furthest below its target, as a part of the target
 * (then in pods), so the small GPU target is kept as well as the large CPU ones.
 *
 * <p>Offline CPU pods declare an expected run time ({@value GleanerKeys#EXPECTED_RUNTIME}), as the
 * harvest benchmark's offline pods do: their team's estimate, a seeded factor in 0.8-1.4 of the
 * simulated run time ({@value #RUN_SECONDS_ANNOTATION}), rounded up to whole minutes (e.g. {@code
 * 37m}). That is the offline Jobs' pod templates (arrivals and backlog) and the offline single
 * pods; a lent node that is draining (its forecast room runs out within the lead time) takes only
 * pods whose declared run time ends before then. The near-line pods, the GPU pods (batch inference,
 * placed on Volcano's GPU fragments, which do not drain), the training gangs (in the metadata
 * cluster and in the training clusters) declare none. {@link #withDeclaredRuntimes(boolean)
 * withDeclaredRuntimes(false)} turns the declarations off; the factor is drawn either way, so the
 * pods are the same with or without.
 *
 * <p>{@link #tick()} is called periodically; it acts on the simulated clock, so the pace follows
 * {@code --speed}.
 */
public final class ScenarioDriver {
  private static final Logger log = LoggerFactory.getLogger(ScenarioDriver.class);

  /** The simulated kubelet finishes a pod after this many simulated seconds. */
  public static final String RUN_SECONDS_ANNOTATION = "sim.gleaner.io/run-seconds";

  public static final List<String> TEAMS = List.of("search-offline", "ads-nearline", "ml-batch");

  /** The kinds of pods each team keeps waiting in a {@link Backlog}. */
  public static final Map<String, List<Kind>> KINDS_BY_TEAM =
      Map.of(
          "ads-nearline", List.of(Kind.NEAR_LINE),
          "ml-batch", List.of(Kind.OFFLINE, Kind.GPU),
          "search-offline", List.of(Kind.OFFLINE, Kind.GPU));

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

  /**
   * The backlog's CPU shapes: larger than the arrivals' on average (3.75 cores), with 1-core pods
   * to fill what larger ones leave, so a few hundred pods cover the lendable capacity.
   */
  private static final List<Shape> BACKLOG_SHAPES =
      List.of(
          new Shape("1", "2Gi"),
          new Shape("2", "4Gi"),
          new Shape("4", "8Gi"),
          new Shape("8", "16Gi"));

  /**
   * Batch inference: small GPU pods that only Volcano's GPU fragments can take. Two cores per GPU,
   * so eight of them leave a training node's remaining cores to CPU pods.
   */
  private static final Shape GPU_SHAPE = new Shape("2", "8Gi", 1);

  /**
   * The pods (and minMember) of a training gang {@code ml-batch} submits to the metadata cluster.
   */
  public static final int META_GANG_PODS = 3;

  /** The namespace (team) that submits training gangs to the metadata cluster. */
  public static final String META_GANG_TEAM = "ml-batch";

  /** The shortest team's estimate of a run time, as a share of the actual one. */
  static final double DECLARED_LOW = 0.8;

  /** The longest team's estimate of a run time, as a share of the actual one. */
  static final double DECLARED_HIGH = 1.4;

  /** Finished Jobs (and their pods) are deleted this long after they complete (simulated). */
  static final int TTL_SECONDS_AFTER_FINISHED = 600;

  /** The kinds of waiting pods a {@link Backlog} keeps. */
  public enum Kind {
    /** Offline CPU pods. */
    OFFLINE,
    /** Near-line CPU pods. */
    NEAR_LINE,
    /** Offline pods that request a GPU. */
    GPU;

    /** The kind of a metadata pod (or Job template) from its class label and requests. */
    public static Kind of(PodSpec spec, Map<String, String> labels) {
      for (var c : spec.getContainers()) {
        var r = c.getResources();
        if (r != null
            && r.getRequests() != null
            && r.getRequests().containsKey("nvidia.com/gpu")
            && Quantity.getAmountInBytes(r.getRequests().get("nvidia.com/gpu")).signum() > 0) {
          return GPU;
        }
      }
      return labels != null && "near-line".equals(labels.get(GleanerKeys.CLASS))
          ? NEAR_LINE
          : OFFLINE;
    }
  }

  /**
   * How many pods of each kind the teams keep waiting for the virtual node, and how often they
   * check (simulated).
   *
   * @param offlinePods offline CPU pods waiting
   * @param nearLinePods near-line CPU pods waiting
   * @param gpuPods GPU pods waiting
   * @param checkEvery how often the waiting pods are counted and topped up
   * @param maxJobsPerCheck at most this many Jobs are submitted per check, which bounds the objects
   *     a check may create
   */
  public record Backlog(
      int offlinePods, int nearLinePods, int gpuPods, Duration checkEvery, int maxJobsPerCheck) {
    /**
     * The sandbox's backlog: a few hundred waiting pods (about 1,200 cores and 40 GPUs), more than
     * the lendable capacity, topped up by up to 40 Jobs a check. Every team keeps as many CPU pods
     * waiting (150; the offline teams 20 GPU pods more), whatever its weight: in arrival order the
     * teams then share about alike, so only a fair order gives them their weights.
     */
    public static final Backlog DEFAULT = new Backlog(300, 150, 40, Duration.ofSeconds(30), 40);

    public Backlog {
      Objects.requireNonNull(checkEvery, "checkEvery");
      if (offlinePods < 0 || nearLinePods < 0 || gpuPods < 0 || maxJobsPerCheck < 1) {
        throw new IllegalArgumentException("backlog targets must be >= 0, jobs per check >= 1");
      }
    }

    int target(Kind kind) {
      return switch (kind) {
        case OFFLINE -> offlinePods;
        case NEAR_LINE -> nearLinePods;
        case GPU -> gpuPods;
      };
    }

    /** What {@code team} keeps waiting of {@code kind}: its part of the kind's target. */
    int target(String team, Kind kind) {
      if (!KINDS_BY_TEAM.getOrDefault(team, List.of()).contains(kind)) {
        return 0;
      }
      long teams = KINDS_BY_TEAM.values().stream().filter(k -> k.contains(kind)).count();
      return (int) ((target(kind) + teams - 1) / teams);
    }
  }

  private final KubernetesClient meta;
  private final Map<String, KubernetesClient> trainingClusters;
  private final Clock clock;
  private final Random random;
  private final Duration submitEvery;
  private final Duration gangEvery;
  private final Backlog backlog;
  private long nextSubmitAt;
  private long nextGangAt;
  private long nextMetaGangAt;
  private long nextTopUpAt;
  private final AtomicLong jobs = new AtomicLong();
  private final AtomicLong gangs = new AtomicLong();
  private final AtomicLong metaGangs = new AtomicLong();
  private final AtomicLong backlogJobs = new AtomicLong();

  public ScenarioDriver(
      KubernetesClient meta,
      Map<String, KubernetesClient> trainingClusters,
      Clock clock,
      long seed,
      Duration submitEvery,
      Duration gangEvery) {
    this(meta, trainingClusters, clock, seed, submitEvery, gangEvery, null);
  }

  /**
   * @param submitEvery the fixed arrival interval of Jobs; zero for none
   * @param backlog the pods the teams keep waiting; null for none
   */
  private volatile boolean fairShareGate;

  private volatile boolean declaredRuntimes = true;

  public ScenarioDriver(
      KubernetesClient meta,
      Map<String, KubernetesClient> trainingClusters,
      Clock clock,
      long seed,
      Duration submitEvery,
      Duration gangEvery,
      Backlog backlog) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.trainingClusters = Map.copyOf(trainingClusters);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = new Random(seed);
    this.submitEvery = submitEvery;
    this.gangEvery = gangEvery;
    this.backlog = backlog;
    this.nextSubmitAt = clock.millis();
    this.nextTopUpAt = clock.millis();
    this.nextGangAt = clock.millis() + gangEvery.toMillis() / 2;
    // the first at once: a short run (SandboxE2E) sees it placed, run and judged
    this.nextMetaGangAt = clock.millis();
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

  /** Training gangs {@code ml-batch} submitted to the metadata cluster. */
  public long metaGangsSubmitted() {
    return metaGangs.get();
  }

  /** Jobs submitted to keep the backlog (included in {@link #jobsSubmitted()}). */
  public long backlogJobsSubmitted() {
    return backlogJobs.get();
  }

  /** Submits what is due on the simulated clock. */
  public synchronized void tick() {
    long now = clock.millis();
    try {
      while (submitEvery.toMillis() > 0 && now >= nextSubmitAt) {
        submitJob();
        nextSubmitAt += submitEvery.toMillis();
      }
      if (backlog != null && now >= nextTopUpAt) {
        topUp();
        nextTopUpAt = now + backlog.checkEvery().toMillis();
      }
      if (!trainingClusters.isEmpty() && now >= nextGangAt) {
        submitGang();
        nextGangAt += gangEvery.toMillis();
      }
      if (!trainingClusters.isEmpty() && now >= nextMetaGangAt) {
        submitMetaGang();
        nextMetaGangAt += gangEvery.toMillis();
      }
    } catch (KubernetesClientException e) {
      log.warn("scenario: submission failed, will retry next tick: {}", e.getMessage());
    }
  }

  /**
   * The pods of each kind that wait for room: Pending metadata pods not on a member node yet (no
   * host IP: not bound to the virtual node, or bound and not placed), plus the pods unfinished Jobs
   * still have to create.
   */
  public Map<Kind, Integer> waiting() {
    Map<Kind, Integer> out = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      out.put(k, 0);
    }
    waitingByNamespace().values().forEach(m -> m.forEach((k, n) -> out.merge(k, n, Integer::sum)));
    return out;
  }

  /** {@link #waiting()} by namespace (a team submits into the namespace of its name). */
  public Map<String, Map<Kind, Integer>> waitingByNamespace() {
    Map<String, Map<Kind, Integer>> out = new HashMap<>();
    Map<String, Integer> liveByJob = new HashMap<>();
    for (Pod p : meta.pods().inAnyNamespace().withLabel(GleanerKeys.CLASS).list().getItems()) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      boolean terminal = "Succeeded".equals(phase) || "Failed".equals(phase);
      Map<String, String> labels = p.getMetadata().getLabels();
      String uid = labels.get(JobController.CONTROLLER_UID_LABEL);
      if (uid != null && !terminal && p.getMetadata().getDeletionTimestamp() == null) {
        liveByJob.merge(uid, 1, Integer::sum);
      }
      if ((phase == null || "Pending".equals(phase))
          && (p.getStatus() == null || p.getStatus().getHostIP() == null)
          && p.getMetadata().getDeletionTimestamp() == null) {
        out.computeIfAbsent(p.getMetadata().getNamespace(), k -> new EnumMap<>(Kind.class))
            .merge(Kind.of(p.getSpec(), labels), 1, Integer::sum);
      }
    }
    for (Job job : meta.batch().v1().jobs().inAnyNamespace().list().getItems()) {
      int missing =
          JobController.podsToCreate(job, liveByJob.getOrDefault(job.getMetadata().getUid(), 0));
      if (missing > 0) {
        var template = job.getSpec().getTemplate();
        out.computeIfAbsent(job.getMetadata().getNamespace(), k -> new EnumMap<>(Kind.class))
            .merge(
                Kind.of(template.getSpec(), template.getMetadata().getLabels()),
                missing,
                Integer::sum);
      }
    }
    return out;
  }

  private void topUp() {
    Map<String, Map<Kind, Integer>> waiting = waitingByNamespace();
    Map<String, Map<Kind, Integer>> have = new HashMap<>();
    for (String team : TEAMS) {
      Map<Kind, Integer> mine = new EnumMap<>(Kind.class);
      mine.putAll(waiting.getOrDefault(team, Map.of()));
      have.put(team, mine);
    }
    int submitted = 0;
    // the team and kind furthest below its target first, so that a check's budget goes where the
    // room took most: the team whose turn the fair order gave drains fastest. Furthest as a part of
    // the target, then in pods: a kind with a small target (the GPU pods) is topped up alongside
    // the large ones, not only once they are nearly full
    while (submitted < backlog.maxJobsPerCheck()) {
      String team = null;
      Kind kind = null;
      double furthest = 0;
      int shortest = 0;
      for (String t : TEAMS) {
        for (Kind k : KINDS_BY_TEAM.get(t)) {
          int target = backlog.target(t, k);
          int missing = target - have.get(t).getOrDefault(k, 0);
          if (missing <= 0) {
            continue;
          }
          double part = (double) missing / target;
          if (part > furthest || (part == furthest && missing > shortest)) {
            team = t;
            kind = k;
            furthest = part;
            shortest = missing;
          }
        }
      }
      if (team == null) {
        break;
      }
      have.get(team).merge(kind, submitBacklogJob(team, kind), Integer::sum);
      submitted++;
    }
    if (submitted > 0) {
      log.debug("scenario: backlog {} topped up with {} jobs", waiting, submitted);
    }
  }

  /** One Job of {@code kind} for {@code team}'s backlog; returns its parallelism. */
  private int submitBacklogJob(String team, Kind kind) {
    long n = jobs.incrementAndGet();
    backlogJobs.incrementAndGet();
    String cls = kind == Kind.NEAR_LINE ? "near-line" : "offline";
    Shape shape =
        kind == Kind.GPU ? GPU_SHAPE : BACKLOG_SHAPES.get(random.nextInt(BACKLOG_SHAPES.size()));
    int parallelism = 3 + random.nextInt(6);
    int completions = parallelism * (1 + random.nextInt(2));
    // 30 to 90 simulated minutes: fewer pod starts per real second at 60x than 10-50 min pods
    long runSeconds = 1800 + random.nextInt(3600);
    createJob(
        cls,
        team,
        cls + "-job-" + n,
        shape,
        parallelism,
        completions,
        annotations(kind, runSeconds));
    return parallelism;
  }

  /**
   * The teams' submitters create their pods with the scheduling gate {@code gleaner.io/fair-share}
   * (in the Jobs' pod templates and on single pods), so the virtual-kubelet admits them to the
   * virtual node in their teams' fair turns; off by default.
   */
  public ScenarioDriver withFairShareGate(boolean gate) {
    this.fairShareGate = gate;
    return this;
  }

  /**
   * The offline CPU pods declare an expected run time ({@value GleanerKeys#EXPECTED_RUNTIME}, their
   * team's estimate); false: no pod declares one. On by default.
   */
  public ScenarioDriver withDeclaredRuntimes(boolean declare) {
    this.declaredRuntimes = declare;
    return this;
  }

  /**
   * What a team declares for pods that run {@code runSeconds}: {@code factor} (its estimate's share
   * of the actual run time, 0.8-1.4) of it, rounded up to whole minutes, e.g. {@code 37m}; at least
   * a minute.
   */
  static String declaredRuntime(long runSeconds, double factor) {
    return Math.max(1, (long) Math.ceil(runSeconds * factor / 60.0)) + "m";
  }

  /**
   * The annotations of an offline CPU pod (or Job template) that runs {@code runSeconds}: the run
   * time and, with declarations on, the team's estimate of it. Draws the estimate's factor from the
   * scenario's random either way, so the pods that follow are the same with or without.
   */
  private Map<String, String> offlineAnnotations(long runSeconds) {
    double factor = DECLARED_LOW + (DECLARED_HIGH - DECLARED_LOW) * random.nextDouble();
    Map<String, String> out = new java.util.LinkedHashMap<>(runAnnotations(runSeconds));
    if (declaredRuntimes) {
      out.put(GleanerKeys.EXPECTED_RUNTIME, declaredRuntime(runSeconds, factor));
    }
    return out;
  }

  private static Map<String, String> runAnnotations(long runSeconds) {
    return Map.of(RUN_SECONDS_ANNOTATION, Long.toString(runSeconds));
  }

  /**
   * The annotations of a pod (or Job template) of {@code kind} that runs {@code runSeconds}: only
   * offline CPU pods declare a run time.
   */
  private Map<String, String> annotations(Kind kind, long runSeconds) {
    return kind == Kind.OFFLINE ? offlineAnnotations(runSeconds) : runAnnotations(runSeconds);
  }

  private PodSpec submitted(PodSpec spec) {
    if (fairShareGate) {
      spec.setSchedulingGates(
          new java.util.ArrayList<>(
              List.of(
                  new io.fabric8.kubernetes.api.model.PodSchedulingGate(
                      GleanerKeys.FAIR_SHARE_GATE))));
    }
    return spec;
  }

  private void createJob(
      String cls,
      String team,
      String name,
      Shape shape,
      int parallelism,
      int completions,
      Map<String, String> annotations) {
    meta.batch()
        .v1()
        .jobs()
        .inNamespace(team)
        .resource(
            new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(team)
                .endMetadata()
                .withNewSpec()
                .withParallelism(parallelism)
                .withCompletions(completions)
                .withTtlSecondsAfterFinished(TTL_SECONDS_AFTER_FINISHED)
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels(GleanerKeys.CLASS, cls)
                .addToLabels("app", name)
                .addToAnnotations(annotations)
                .endMetadata()
                .withSpec(submitted(podSpec(shape)))
                .endTemplate()
                .endSpec()
                .build())
        .create();
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
    Kind kind = gpu ? Kind.GPU : nearLine ? Kind.NEAR_LINE : Kind.OFFLINE;
    createJob(
        cls,
        team,
        cls + "-job-" + n,
        shape,
        parallelism,
        completions,
        annotations(kind, runSeconds));
    if (n % 4 == 0) {
      // A single pod too, as a user applying a manifest would.
      meta.pods()
          .inNamespace(team)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(cls + "-pod-" + n)
                  .addToLabels(GleanerKeys.CLASS, cls)
                  .addToAnnotations(
                      annotations(nearLine ? Kind.NEAR_LINE : Kind.OFFLINE, runSeconds))
                  .endMetadata()
                  .withSpec(submitted(podSpec(SHAPES.get(0))))
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

  /**
   * A Volcano training gang of {@code ml-batch} in the metadata cluster: a PodGroup of minMember
   * {@link #META_GANG_PODS} and as many pods annotated with its name, 2 CPU / 4Gi each, for an
   * hour.
   */
  private void submitMetaGang() {
    String name = "train-" + (metaGangs.get() + 1);
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(GleanerKeys.VOLCANO_PODGROUP_API_VERSION)
            .withKind(GleanerKeys.VOLCANO_PODGROUP_KIND)
            .withNewMetadata()
            .withName(name)
            .withNamespace(META_GANG_TEAM)
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("minMember", META_GANG_PODS))
            .build();
    meta.genericKubernetesResources(VolcanoPodGroups.CONTEXT)
        .inNamespace(META_GANG_TEAM)
        .resource(pg)
        .create();
    for (int i = 0; i < META_GANG_PODS; i++) {
      meta.pods()
          .inNamespace(META_GANG_TEAM)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(name + "-worker-" + i)
                  .addToLabels(GleanerKeys.CLASS, "offline")
                  .addToLabels("app", name)
                  .addToAnnotations(GleanerKeys.VOLCANO_GROUP_NAME, name)
                  .addToAnnotations(RUN_SECONDS_ANNOTATION, "3600")
                  .endMetadata()
                  .withSpec(podSpec(new Shape("2", "4Gi")))
                  .build())
          .create();
    }
    metaGangs.incrementAndGet();
    log.info(
        "scenario: {} submitted training gang {} ({} x 2 cpu / 4Gi) to the metadata cluster",
        META_GANG_TEAM,
        name,
        META_GANG_PODS);
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
    client
        .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
        .inNamespace(ns)
        .resource(pg)
        .create();
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
