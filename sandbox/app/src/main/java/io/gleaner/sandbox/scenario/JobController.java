package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.sandbox.GracefulStop;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal Job controller for the simulated metadata cluster, so reclaimed work is placed again as
 * it would be in a real cluster.
 *
 * <p>For every {@code batch/v1} Job it keeps {@code min(parallelism, completions - succeeded)} pods
 * active, creating them from the template with the {@code job-name} and {@code controller-uid}
 * labels and an owner reference. A pod that fails (for example {@code Reclaimed} by the
 * descheduler) is counted in the Job's {@code status.failed}, deleted, and replaced. When {@code
 * succeeded} reaches {@code completions} the Job gets the {@code Complete} condition. Unlike the
 * real controller it has no backoff limit: interruptible work is retried until it completes.
 *
 * <p>A pass reconciles up to {@value #WORKERS} Jobs at a time: one at a time, creating the pods of
 * every Job in turn fell behind what the virtual node took in a sandbox at 120x (about five pods a
 * second), and the teams' waiting pods existed only as Jobs' pods not created yet, which Gleaner
 * cannot see.
 *
 * <p>As the TTL-after-finished controller does, a complete Job with {@code ttlSecondsAfterFinished}
 * is deleted that long after its completion (simulated), with its pods (the simulated API server
 * has no garbage collector), so a long run keeps a bounded number of objects.
 */
public final class JobController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobController.class);
  public static final String JOB_NAME_LABEL = "job-name";
  public static final String CONTROLLER_UID_LABEL = "controller-uid";

  private final KubernetesClient client;
  private final Clock clock;
  private final ScheduledExecutorService loop =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "sandbox-job-controller");
            t.setDaemon(true);
            return t;
          });

  /** How many Jobs a pass reconciles at once. */
  static final int WORKERS = 4;

  private final ExecutorService workers =
      Executors.newFixedThreadPool(
          WORKERS,
          r -> {
            Thread t = new Thread(r, "sandbox-job-controller-worker");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong podsCreated = new AtomicLong();
  private final AtomicLong podsReplaced = new AtomicLong();
  private final AtomicLong podsReclaimed = new AtomicLong();
  private final AtomicLong jobsDeleted = new AtomicLong();
  private final Map<String, Long> counted = new ConcurrentHashMap<>();

  public JobController(KubernetesClient client, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Reconciles every {@code periodMillis} of real time. */
  public JobController start(long periodMillis) {
    loop.scheduleWithFixedDelay(this::reconcileQuietly, 0, periodMillis, TimeUnit.MILLISECONDS);
    return this;
  }

  public long podsCreated() {
    return podsCreated.get();
  }

  /** Pods created to replace a failed one. */
  public long podsReplaced() {
    return podsReplaced.get();
  }

  /** Failed pods whose reason was {@code Reclaimed}. */
  public long podsReclaimed() {
    return podsReclaimed.get();
  }

  /** Finished Jobs deleted after their {@code ttlSecondsAfterFinished}. */
  public long jobsDeleted() {
    return jobsDeleted.get();
  }

  /**
   * How many pods {@code job} still has to create when {@code live} of its pods are neither
   * finished nor being deleted: {@code min(parallelism, completions − succeeded) − live}, at least
   * zero; zero for a complete Job.
   */
  public static int podsToCreate(Job job, int live) {
    JobStatus status = job.getStatus() == null ? new JobStatus() : job.getStatus();
    if (isComplete(status)) {
      return 0;
    }
    int completions = job.getSpec().getCompletions() == null ? 1 : job.getSpec().getCompletions();
    int parallelism = job.getSpec().getParallelism() == null ? 1 : job.getSpec().getParallelism();
    int succeeded = status.getSucceeded() == null ? 0 : status.getSucceeded();
    return Math.max(0, Math.min(parallelism, completions - succeeded) - live);
  }

  private void reconcileQuietly() {
    try {
      reconcileAll();
    } catch (RuntimeException e) {
      log.warn("job reconcile failed, will retry: {}", e.toString());
    }
  }

  /** One pass over every Job; public for tests. */
  public synchronized void reconcileAll() {
    List<Job> jobs = client.batch().v1().jobs().inAnyNamespace().list().getItems();
    Map<String, List<Pod>> podsByJob = new HashMap<>();
    for (Pod p : client.pods().inAnyNamespace().withLabel(CONTROLLER_UID_LABEL).list().getItems()) {
      podsByJob
          .computeIfAbsent(
              p.getMetadata().getLabels().get(CONTROLLER_UID_LABEL), k -> new ArrayList<>())
          .add(p);
    }
    List<Callable<Void>> passes = new ArrayList<>();
    for (Job job : jobs) {
      List<Pod> pods = podsByJob.getOrDefault(job.getMetadata().getUid(), List.of());
      passes.add(
          () -> {
            reconcile(job, pods);
            return null;
          });
    }
    try {
      for (Future<Void> f : workers.invokeAll(passes)) {
        try {
          f.get();
        } catch (ExecutionException e) {
          log.warn("job reconcile failed, will retry: {}", e.getCause().toString());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void reconcile(Job job, List<Pod> pods) {
    JobStatus status = job.getStatus() == null ? new JobStatus() : job.getStatus();
    if (isComplete(status)) {
      deleteIfExpired(job, status, pods);
      return;
    }
    int completions = job.getSpec().getCompletions() == null ? 1 : job.getSpec().getCompletions();
    int parallelism = job.getSpec().getParallelism() == null ? 1 : job.getSpec().getParallelism();
    int succeeded = status.getSucceeded() == null ? 0 : status.getSucceeded();
    int failed = status.getFailed() == null ? 0 : status.getFailed();
    int active = 0;
    boolean changed = false;
    for (Pod p : pods) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      String uid = p.getMetadata().getUid();
      if ("Succeeded".equals(phase)) {
        if (counted.putIfAbsent(uid, 1L) == null) {
          succeeded++;
          changed = true;
        }
      } else if ("Failed".equals(phase)) {
        if (counted.putIfAbsent(uid, 1L) == null) {
          failed++;
          changed = true;
          if ("Reclaimed".equals(p.getStatus().getReason())) {
            podsReclaimed.incrementAndGet();
          }
        }
        deleteQuietly(p);
      } else if (p.getMetadata().getDeletionTimestamp() == null) {
        active++;
      }
    }
    int wanted = Math.max(0, Math.min(parallelism, completions - succeeded) - active);
    for (int i = 0; i < wanted; i++) {
      createPod(job);
      if (failed > 0) {
        podsReplaced.incrementAndGet();
      }
    }
    if (changed
        || wanted > 0
        || status.getActive() == null
        || status.getActive() != active + wanted) {
      JobStatus next = new JobStatus();
      next.setStartTime(
          status.getStartTime() != null ? status.getStartTime() : Instant.now(clock).toString());
      next.setActive(active + wanted);
      next.setSucceeded(succeeded);
      next.setFailed(failed);
      List<JobCondition> conditions = new ArrayList<>();
      if (succeeded >= completions) {
        String now = Instant.now(clock).toString();
        next.setCompletionTime(now);
        next.setActive(0);
        conditions.add(
            new JobConditionBuilder()
                .withType("Complete")
                .withStatus("True")
                .withLastTransitionTime(now)
                .withLastProbeTime(now)
                .build());
      }
      next.setConditions(conditions);
      job.setStatus(next);
      try {
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace(job.getMetadata().getNamespace())
            .resource(job)
            .updateStatus();
      } catch (KubernetesClientException e) {
        log.debug(
            "job {} status update conflicted, next pass retries: {}",
            job.getMetadata().getName(),
            e.getMessage());
      }
    }
  }

  private void createPod(Job job) {
    ObjectMeta template = job.getSpec().getTemplate().getMetadata();
    Map<String, String> labels =
        new LinkedHashMap<>(
            template == null || template.getLabels() == null ? Map.of() : template.getLabels());
    labels.put(JOB_NAME_LABEL, job.getMetadata().getName());
    labels.put(CONTROLLER_UID_LABEL, job.getMetadata().getUid());
    Map<String, String> annotations =
        template == null || template.getAnnotations() == null
            ? Map.of()
            : template.getAnnotations();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withGenerateName(job.getMetadata().getName() + "-")
            .withName(
                job.getMetadata().getName()
                    + "-"
                    + Long.toString(podsCreated.incrementAndGet(), 36)
                    + suffix())
            .withNamespace(job.getMetadata().getNamespace())
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("batch/v1")
                    .withKind("Job")
                    .withName(job.getMetadata().getName())
                    .withUid(job.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build())
            .endMetadata()
            .withSpec(job.getSpec().getTemplate().getSpec())
            .build();
    client.pods().inNamespace(job.getMetadata().getNamespace()).resource(pod).create();
  }

  private void deleteIfExpired(Job job, JobStatus status, List<Pod> pods) {
    Integer ttl = job.getSpec().getTtlSecondsAfterFinished();
    if (ttl == null || status.getCompletionTime() == null) {
      return;
    }
    Instant finished = Instant.parse(status.getCompletionTime());
    if (Instant.now(clock).isBefore(finished.plusSeconds(ttl))) {
      return;
    }
    for (Pod p : pods) {
      deleteQuietly(p);
      counted.remove(p.getMetadata().getUid());
    }
    try {
      client
          .batch()
          .v1()
          .jobs()
          .inNamespace(job.getMetadata().getNamespace())
          .withName(job.getMetadata().getName())
          .delete();
      jobsDeleted.incrementAndGet();
    } catch (KubernetesClientException e) {
      log.debug(
          "could not delete finished job {}: {}", job.getMetadata().getName(), e.getMessage());
    }
  }

  private String suffix() {
    return "-" + Long.toString(Math.floorMod(clock.millis() * 31 + podsCreated.get(), 46656L), 36);
  }

  private void deleteQuietly(Pod p) {
    try {
      client
          .pods()
          .inNamespace(p.getMetadata().getNamespace())
          .withName(p.getMetadata().getName())
          .withGracePeriod(0)
          .delete();
    } catch (KubernetesClientException e) {
      log.debug("could not delete failed pod {}: {}", p.getMetadata().getName(), e.getMessage());
    }
  }

  private static boolean isComplete(JobStatus status) {
    return status.getConditions() != null
        && status.getConditions().stream()
            .anyMatch(c -> "Complete".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public void close() {
    // a pass under way finishes (its calls are not interrupted), then its workers are done
    GracefulStop.stop(loop, Duration.ofSeconds(10));
    GracefulStop.stop(workers, Duration.ofSeconds(10));
  }
}
