package io.gleaner.sim.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.EventRecorder;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.PodSubresources;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.Times;
import io.gleaner.sim.scheduler.Matching;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelets of all simulated nodes of one cluster. It runs pods bound to nodes it owns, i.e.
 * every node except those labelled {@code type=virtual-kubelet} (a virtual kubelet runs those):
 *
 * <ul>
 *   <li>Pending → Running after {@code startDelay} (pod IP, host IP, start time, ready containers,
 *       conditions, a {@code Started} event);
 *   <li>Running → Succeeded after {@value #RUN_SECONDS} seconds (annotation, or env {@value
 *       #RUN_SECONDS_ENV} of any container); Failed instead when {@value #EXIT_CODE} is non-zero;
 *   <li>an image whose name contains {@code does-not-exist} never starts: ErrImagePull, then
 *       ImagePullBackOff, with the kubelet's events;
 *   <li>a pod whose {@code spec.activeDeadlineSeconds} has passed since its {@code
 *       status.startTime} is failed, on the cluster's clock, whether Running or still Pending on
 *       the node (image pull back-off, missing Secret or ConfigMap): see {@link
 *       #DEADLINE_EXCEEDED};
 *   <li>a pod being deleted is removed when its grace period ends (or after {@value
 *       #SHUTDOWN_SECONDS} if the annotation says it stops sooner), on the cluster's clock;
 *   <li>NoExecute taints evict pods that do not tolerate them; pods of a deleted node are removed
 *       (pod garbage collection).
 * </ul>
 *
 * Container logs are generated (see {@link #logs}).
 */
public final class SimKubelet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimKubelet.class);

  /** Annotation: seconds a pod runs before it completes. */
  public static final String RUN_SECONDS = "sim.gleaner.io/run-seconds";

  /** Container env alternative to {@link #RUN_SECONDS} (copied verbatim by any virtual kubelet). */
  public static final String RUN_SECONDS_ENV = "SIM_RUN_SECONDS";

  /** Annotation: exit code at completion (non-zero: phase Failed). */
  public static final String EXIT_CODE = "sim.gleaner.io/exit-code";

  /**
   * Annotation: seconds the containers take to stop after a graceful delete (default: the whole
   * grace).
   */
  public static final String SHUTDOWN_SECONDS = "sim.gleaner.io/shutdown-seconds";

  /** First retry of a volume set-up that failed; doubled after each failure. */
  static final Duration FIRST_MOUNT_RETRY = Duration.ofMillis(500);

  /** Longest wait between two volume set-up attempts (the kubelet's 2m2s). */
  static final Duration MAX_MOUNT_RETRY = Duration.ofSeconds(122);

  /** Wait before the next attempt to create containers whose environment could not be made. */
  static final Duration CONFIG_RETRY = Duration.ofSeconds(10);

  /** Label key and value of nodes the simulator does not run. */
  public static final String VIRTUAL_NODE_LABEL = "type";

  public static final String VIRTUAL_NODE_VALUE = "virtual-kubelet";

  /** Substring of an image name that makes its pull fail. */
  public static final String MISSING_IMAGE_MARKER = "does-not-exist";

  /**
   * {@code status.reason} (and the reason of a Normal event with the same message) of a pod the
   * kubelet failed because it was active longer than its {@code spec.activeDeadlineSeconds}, as a
   * real kubelet (its active deadline handler) does once {@code now - status.startTime >=
   * activeDeadlineSeconds}, for a Running pod as for one still Pending on the node; a deadline
   * lowered on a live pod applies at its new value. The pod becomes Failed with {@link
   * #DEADLINE_EXCEEDED_MESSAGE}; its running containers are killed: terminated with exit code 137
   * (SIGKILL) and reason {@code Error}, keeping their {@code startedAt}; containers that never
   * started are reported as a kubelet's status manager reports them when it terminates a pod:
   * terminated with exit code 137, reason {@value #CONTAINER_STATUS_UNKNOWN} and message {@value
   * #CONTAINER_STATUS_UNKNOWN_MESSAGE}; but in a pod whose init containers have not completed the
   * regular containers stay waiting, and init containers that never started stay waiting too,
   * except the first one when none has run. Ready and ContainersReady become False with reason
   * {@code PodFailed}, PodReadyToStartContainers False. A real kubelet first stops the containers
   * (within the grace period) and reports Failed after; the simulator stops them at once.
   */
  public static final String DEADLINE_EXCEEDED = "DeadlineExceeded";

  /** {@code status.message} of a pod failed at its active deadline. */
  public static final String DEADLINE_EXCEEDED_MESSAGE =
      "Pod was active on the node longer than the specified deadline";

  /** Terminated reason of a container that never ran in a pod the kubelet terminated. */
  public static final String CONTAINER_STATUS_UNKNOWN = "ContainerStatusUnknown";

  /** Its message. */
  public static final String CONTAINER_STATUS_UNKNOWN_MESSAGE =
      "The container could not be located when the pod was terminated";

  /** Exit code of a killed container (128 + SIGKILL). */
  static final int KILLED_EXIT_CODE = 137;

  /** Kubelet settings: start delay (clock time) and the second octet of pod IPs. */
  public record Options(Duration startDelay, int ipOctet) {}

  private final String cluster;
  private final ObjectStore store;
  private final SimRuntime.Timeline timeline;
  private final ScheduledExecutorService executor;
  private final Options options;
  private final EventRecorder events;
  private final ConcurrentLinkedQueue<ObjectStore.WatchEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final Object loopLock = new Object();
  private final Set<String> starting = ConcurrentHashMap.newKeySet();
  private final Set<String> completing = ConcurrentHashMap.newKeySet();
  private final Set<String> removing = ConcurrentHashMap.newKeySet();

  /** Per pod UID: the earliest instant a deadline check is scheduled for. */
  private final Map<String, Instant> deadlines = new ConcurrentHashMap<>();

  private final AtomicLong ipCounter = new AtomicLong();
  private final List<ObjectStore.Subscription> subscriptions = new ArrayList<>();
  private volatile boolean closed;

  public SimKubelet(
      String cluster,
      ObjectStore store,
      SimRuntime.Timeline timeline,
      ScheduledExecutorService executor,
      Options options) {
    this.cluster = cluster;
    this.store = Objects.requireNonNull(store, "store");
    this.timeline = Objects.requireNonNull(timeline, "timeline");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.options = Objects.requireNonNull(options, "options");
    this.events = new EventRecorder(store, "kubelet", null);
  }

  public void start() {
    ObjectStore.Watcher w =
        e -> {
          inbox.add(e);
          if (!closed && queued.compareAndSet(false, true)) {
            try {
              executor.execute(this::loop);
            } catch (java.util.concurrent.RejectedExecutionException ex) {
              queued.set(false);
            }
          }
        };
    subscriptions.add(store.watch(ResourceTypes.NODES, null, o -> true, null, w));
    subscriptions.add(
        store.watch(
            ResourceTypes.PODS,
            null,
            o -> !o.path("spec").path("nodeName").asText("").isEmpty(),
            null,
            w));
  }

  /**
   * Whether this kubelet runs pods of {@code nodeName} (the node exists and is not a virtual
   * kubelet's).
   */
  public boolean owns(String nodeName) {
    ObjectNode node = store.get(ResourceTypes.NODES, null, nodeName);
    return node != null && !isVirtual(node);
  }

  public static boolean isVirtual(JsonNode node) {
    return VIRTUAL_NODE_VALUE.equals(
        node.path("metadata").path("labels").path(VIRTUAL_NODE_LABEL).asText());
  }

  private void loop() {
    synchronized (loopLock) {
      queued.set(false);
      ObjectStore.WatchEvent e;
      while (!closed && (e = inbox.poll()) != null) {
        try {
          if (e.resourceType().equals(ResourceTypes.NODES)) {
            onNode(e);
          } else {
            onPod(e);
          }
        } catch (RuntimeException ex) {
          LOG.warn(
              "cluster {}: kubelet failed on {} {}",
              cluster,
              e.type(),
              e.object().path("metadata").path("name").asText(),
              ex);
        }
      }
    }
  }

  private void onPod(ObjectStore.WatchEvent e) {
    JsonNode pod = e.object();
    JsonNode meta = pod.path("metadata");
    String uid = meta.path("uid").asText();
    if (e.type().equals(ObjectStore.DELETED)) {
      starting.remove(uid);
      completing.remove(uid);
      removing.remove(uid);
      deadlines.remove(uid);
      return;
    }
    String nodeName = pod.path("spec").path("nodeName").asText("");
    ObjectNode node = store.get(ResourceTypes.NODES, null, nodeName);
    if (node != null && isVirtual(node)) {
      return;
    }
    String ns = meta.path("namespace").asText();
    String name = meta.path("name").asText();
    if (meta.has("deletionTimestamp")) {
      if (removing.add(uid)) {
        Instant at = Instant.parse(meta.path("deletionTimestamp").asText());
        String shutdown = meta.path("annotations").path(SHUTDOWN_SECONDS).asText("");
        if (!shutdown.isEmpty()) {
          Instant sooner = store.clock().instant().plusSeconds(Long.parseLong(shutdown.trim()));
          if (sooner.isBefore(at)) {
            at = sooner;
          }
        }
        timeline.at(at, () -> remove(ns, name, uid));
      }
      return;
    }
    if (node == null) {
      return;
    }
    String phase = pod.path("status").path("phase").asText("Pending");
    scheduleDeadline(pod, ns, name, uid);
    if (phase.equals("Pending") && starting.add(uid)) {
      timeline.after(options.startDelay(), () -> startPod(ns, name, uid));
    } else if (phase.equals("Running") && completing.add(uid)) {
      Long runSeconds = runSeconds(pod);
      if (runSeconds != null) {
        Instant started = containersStarted(pod);
        Instant at = (started == null ? store.clock().instant() : started).plusSeconds(runSeconds);
        timeline.at(at, () -> complete(ns, name, uid));
      }
    }
  }

  private void onNode(ObjectStore.WatchEvent e) {
    JsonNode node = e.object();
    if (isVirtual(node)) {
      return;
    }
    String nodeName = node.path("metadata").path("name").asText();
    if (e.type().equals(ObjectStore.DELETED)) {
      for (ObjectNode pod : podsOn(nodeName)) {
        store.forceDelete(
            ResourceTypes.PODS,
            pod.path("metadata").path("namespace").asText(),
            pod.path("metadata").path("name").asText());
      }
      return;
    }
    List<Taint> noExecute = new ArrayList<>();
    for (JsonNode t : node.path("spec").path("taints")) {
      if ("NoExecute".equals(t.path("effect").asText())) {
        noExecute.add(Serialization.jsonMapper().convertValue(t, Taint.class));
      }
    }
    if (noExecute.isEmpty()) {
      return;
    }
    for (ObjectNode pod : podsOn(nodeName)) {
      if (pod.path("metadata").has("deletionTimestamp")) {
        continue;
      }
      List<Toleration> tolerations = new ArrayList<>();
      pod.path("spec")
          .path("tolerations")
          .forEach(
              t -> tolerations.add(Serialization.jsonMapper().convertValue(t, Toleration.class)));
      if (Matching.untoleratedTaint(noExecute, tolerations) != null) {
        try {
          events.record(
              pod,
              "Normal",
              "TaintManagerEviction",
              "Marking for deletion Pod "
                  + pod.path("metadata").path("namespace").asText()
                  + "/"
                  + pod.path("metadata").path("name").asText());
          store.delete(
              ResourceTypes.PODS,
              pod.path("metadata").path("namespace").asText(),
              pod.path("metadata").path("name").asText(),
              ObjectStore.DeleteOptions.DEFAULT);
        } catch (ApiException ex) {
          // already gone
        }
      }
    }
  }

  private List<ObjectNode> podsOn(String nodeName) {
    return store
        .list(
            ResourceTypes.PODS,
            null,
            p -> nodeName.equals(p.path("spec").path("nodeName").asText()))
        .items();
  }

  static Long runSeconds(JsonNode pod) {
    String v = pod.path("metadata").path("annotations").path(RUN_SECONDS).asText("");
    if (v.isEmpty()) {
      for (JsonNode c : pod.path("spec").path("containers")) {
        for (JsonNode env : c.path("env")) {
          if (RUN_SECONDS_ENV.equals(env.path("name").asText())) {
            v = env.path("value").asText("");
          }
        }
      }
    }
    if (v.isEmpty()) {
      return null;
    }
    try {
      return Math.max(0, Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      LOG.warn(
          "pod {}/{}: {} is not a number of seconds: \"{}\"",
          pod.path("metadata").path("namespace").asText(),
          pod.path("metadata").path("name").asText(),
          RUN_SECONDS,
          v);
      return null;
    }
  }

  private void startPod(String ns, String name, String uid) {
    startPod(ns, name, uid, FIRST_MOUNT_RETRY);
  }

  /**
   * Starts a pending pod, or keeps it pending while its volumes cannot be set up (retried after
   * {@code mountRetry}, doubling to {@link #MAX_MOUNT_RETRY}, as the kubelet's volume manager backs
   * off) or its containers' environment cannot be made (retried every {@link #CONFIG_RETRY}, as the
   * kubelet's pod worker does after a failed sync).
   */
  private void startPod(String ns, String name, String uid, Duration mountRetry) {
    ObjectNode pod = closed ? null : store.get(ResourceTypes.PODS, ns, name);
    if (pod == null || !stillPending(pod, uid)) {
      return;
    }
    String nodeName = pod.path("spec").path("nodeName").asText();
    ObjectNode node = store.get(ResourceTypes.NODES, null, nodeName);
    if (node == null || isVirtual(node)) {
      return;
    }
    PodReferences.Lookup lookup =
        (kind, objectName) ->
            store.get(
                kind == PodReferences.Kind.SECRET
                    ? ResourceTypes.SECRETS
                    : ResourceTypes.CONFIGMAPS,
                ns,
                objectName);
    // volumes are set up before any image is pulled or container created
    Map<String, String> unmountable = PodReferences.unmountable(pod, lookup);
    if (!unmountable.isEmpty()) {
      ObjectNode held = holdPending(ns, name, uid, Map.of(), false);
      for (String message : unmountable.values()) {
        events.record(held == null ? pod : held, "Warning", "FailedMount", message);
      }
      Duration next = mountRetry.multipliedBy(2);
      timeline.after(
          mountRetry,
          () ->
              startPod(
                  ns, name, uid, next.compareTo(MAX_MOUNT_RETRY) > 0 ? MAX_MOUNT_RETRY : next));
      return;
    }
    String missing = null;
    for (JsonNode c : pod.path("spec").path("containers")) {
      if (c.path("image").asText().contains(MISSING_IMAGE_MARKER)) {
        missing = c.path("image").asText();
      }
    }
    Instant now = store.clock().instant();
    if (missing != null) {
      failPull(
          ns,
          name,
          uid,
          missing,
          "ErrImagePull",
          "rpc error: code = NotFound desc = failed to pull and unpack "
              + "image \""
              + missing
              + "\": not found");
      String image = missing;
      timeline.after(
          Duration.ofSeconds(10),
          () ->
              failPull(
                  ns,
                  name,
                  uid,
                  image,
                  "ImagePullBackOff",
                  "Back-off pulling image \"" + image + "\""));
      return;
    }
    // each container's environment is made when it is created, after its image is pulled
    Map<String, String> configErrors = PodReferences.configErrors(pod, lookup);
    if (!configErrors.isEmpty()) {
      ObjectNode held = holdPending(ns, name, uid, configErrors, true);
      // init containers run one after the other: the first one in error is the only one tried
      String initInError = firstInitContainerInError(pod, configErrors);
      for (Map.Entry<String, String> e : configErrors.entrySet()) {
        if (initInError == null || initInError.equals(e.getKey())) {
          events.record(held == null ? pod : held, "Warning", "Failed", "Error: " + e.getValue());
        }
      }
      timeline.after(CONFIG_RETRY, () -> startPod(ns, name, uid, FIRST_MOUNT_RETRY));
      return;
    }
    String hostIp = hostIp(node);
    String podIp = pod.path("status").path("podIP").asText("");
    if (podIp.isEmpty()) {
      podIp = nextPodIp();
    }
    String ip = podIp;
    ObjectNode running =
        store.mutate(
            ResourceTypes.PODS,
            ns,
            name,
            p -> {
              // failed meanwhile (its active deadline), deleted or replaced: not started
              if (!stillPending(p, uid)) {
                return null;
              }
              ObjectNode st = p.with("status");
              st.put("phase", "Running");
              st.put("hostIP", hostIp);
              st.putArray("hostIPs").addObject().put("ip", hostIp);
              st.put("podIP", ip);
              st.putArray("podIPs").addObject().put("ip", ip);
              if (st.has("initContainerStatuses")) {
                // held by an init container's environment: the init containers have run since
                st.set("initContainerStatuses", initStatuses(p, Map.of(), Integer.MAX_VALUE));
              }
              if (!st.has("startTime")) {
                // a pod held for its Secrets or ConfigMaps keeps the time the kubelet took it
                st.put("startTime", Times.format(now));
              }
              for (String c :
                  List.of(
                      "PodReadyToStartContainers",
                      "Initialized",
                      "Ready",
                      "ContainersReady",
                      "PodScheduled")) {
                PodSubresources.setCondition(p, c, "True", null, null, now);
              }
              ArrayNode statuses = st.putArray("containerStatuses");
              for (JsonNode c : p.path("spec").path("containers")) {
                ObjectNode cs = statuses.addObject();
                cs.put("name", c.path("name").asText());
                cs.put("image", c.path("image").asText());
                cs.put("imageID", "sim://" + c.path("image").asText());
                cs.put(
                    "containerID",
                    "sim://"
                        + uid.replace("-", "").substring(0, 12)
                        + "-"
                        + c.path("name").asText());
                cs.put("ready", true);
                cs.put("started", true);
                cs.put("restartCount", 0);
                cs.putObject("state").putObject("running").put("startedAt", Times.format(now));
              }
              return p;
            });
    if (running != null) {
      events.record(
          running,
          "Normal",
          "Started",
          "Started container "
              + running.path("spec").path("containers").get(0).path("name").asText());
    }
  }

  /**
   * When the pod's containers started (the first container's {@code startedAt}), else its {@code
   * startTime}; null if neither is known. They differ for a pod held for its Secrets or ConfigMaps.
   */
  static Instant containersStarted(JsonNode pod) {
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      JsonNode state = cs.path("state");
      String at =
          state
              .path("running")
              .path("startedAt")
              .asText(state.path("terminated").path("startedAt").asText(""));
      Instant t = Times.parse(at);
      if (t != null) {
        return t;
      }
    }
    return Times.parse(pod.path("status").path("startTime").asText(""));
  }

  private String nextPodIp() {
    long n = ipCounter.incrementAndGet();
    return "10." + options.ipOctet() + "." + (n / 250 % 250) + "." + (n % 250 + 2);
  }

  /** The first init container (in spec order) that {@code configErrors} names, or null. */
  private static String firstInitContainerInError(JsonNode pod, Map<String, String> configErrors) {
    for (JsonNode c : pod.path("spec").path("initContainers")) {
      if (configErrors.containsKey(c.path("name").asText())) {
        return c.path("name").asText();
      }
    }
    return null;
  }

  /**
   * Init container statuses: those before index {@code done} have completed, the one at {@code
   * done} waits with its {@code configErrors} entry if any, the others wait in PodInitializing.
   */
  private static ArrayNode initStatuses(JsonNode pod, Map<String, String> configErrors, int done) {
    ArrayNode statuses = JsonNodeFactory.instance.arrayNode();
    String startedAt = pod.path("status").path("startTime").asText("");
    int i = 0;
    for (JsonNode c : pod.path("spec").path("initContainers")) {
      String cName = c.path("name").asText();
      ObjectNode cs = containerStatus(c, i < done);
      if (i < done) {
        cs.putObject("state")
            .putObject("terminated")
            .put("exitCode", 0)
            .put("reason", "Completed")
            .put("startedAt", startedAt)
            .put("finishedAt", startedAt)
            .put("containerID", cs.path("containerID").asText());
      } else if (i == done && configErrors.containsKey(cName)) {
        cs.putObject("state")
            .putObject("waiting")
            .put("reason", "CreateContainerConfigError")
            .put("message", configErrors.get(cName));
      } else {
        cs.putObject("state").putObject("waiting").put("reason", "PodInitializing");
      }
      statuses.add(cs);
      i++;
    }
    return statuses;
  }

  private static ObjectNode containerStatus(JsonNode container, boolean created) {
    ObjectNode cs = JsonNodeFactory.instance.objectNode();
    cs.put("name", container.path("name").asText());
    cs.put("image", container.path("image").asText());
    cs.put("imageID", created ? "sim://" + container.path("image").asText() : "");
    cs.put("ready", false);
    cs.put("started", false);
    cs.put("restartCount", 0);
    return cs;
  }

  /**
   * The status of a pod the kubelet cannot start yet, as the kubelet reports it: host IP, start
   * time, containers waiting (ContainerCreating, PodInitializing behind init containers, or
   * CreateContainerConfigError with the message of {@code configErrors}), not ready. {@code
   * sandbox}: the pod sandbox exists (its IP is assigned), i.e. the volumes are set up. The other
   * containers of a pod whose container is in CreateContainerConfigError are shown waiting too (a
   * real kubelet runs them meanwhile; the simulator starts a pod's containers together). Unchanged
   * on a retry with the same errors (no write). Returns the stored pod, or null when nothing
   * changed or the pod is no longer pending.
   */
  private ObjectNode holdPending(
      String ns, String name, String uid, Map<String, String> configErrors, boolean sandbox) {
    return store.mutate(
        ResourceTypes.PODS,
        ns,
        name,
        p -> {
          if (!stillPending(p, uid)) {
            return null;
          }
          Instant now = store.clock().instant();
          ObjectNode st = p.with("status");
          String hostIp =
              hostIp(
                  store.get(ResourceTypes.NODES, null, p.path("spec").path("nodeName").asText()));
          st.put("hostIP", hostIp);
          st.putArray("hostIPs").addObject().put("ip", hostIp);
          if (!st.has("startTime")) {
            st.put("startTime", Times.format(now));
          }
          if (sandbox && !st.has("podIP")) {
            String podIp = nextPodIp();
            st.put("podIP", podIp);
            st.putArray("podIPs").addObject().put("ip", podIp);
          }
          JsonNode inits = p.path("spec").path("initContainers");
          String initInError = firstInitContainerInError(p, configErrors);
          int done = 0;
          if (sandbox) {
            done = inits.size();
            for (int i = 0; i < inits.size(); i++) {
              if (inits.get(i).path("name").asText().equals(initInError)) {
                done = i;
              }
            }
          }
          boolean initialized = done >= inits.size();
          if (!inits.isEmpty()) {
            st.set("initContainerStatuses", initStatuses(p, configErrors, done));
          }
          List<String> names = new ArrayList<>();
          ArrayNode statuses = st.putArray("containerStatuses");
          for (JsonNode c : p.path("spec").path("containers")) {
            String cName = c.path("name").asText();
            ObjectNode cs = statuses.addObject();
            cs.setAll(containerStatus(c, false));
            ObjectNode waiting = cs.putObject("state").putObject("waiting");
            if (!initialized) {
              waiting.put("reason", "PodInitializing");
            } else if (configErrors.containsKey(cName)) {
              waiting.put("reason", "CreateContainerConfigError");
              waiting.put("message", configErrors.get(cName));
            } else {
              waiting.put("reason", inits.isEmpty() ? "ContainerCreating" : "PodInitializing");
            }
            names.add(cName);
          }
          PodSubresources.setCondition(
              p, "PodReadyToStartContainers", sandbox ? "True" : "False", null, null, now);
          if (initialized) {
            PodSubresources.setCondition(p, "Initialized", "True", null, null, now);
          } else {
            List<String> incomplete = new ArrayList<>();
            for (int i = done; i < inits.size(); i++) {
              incomplete.add(inits.get(i).path("name").asText());
            }
            PodSubresources.setCondition(
                p,
                "Initialized",
                "False",
                "ContainersNotInitialized",
                "containers with incomplete status: [" + String.join(" ", incomplete) + "]",
                now);
          }
          String unready = "containers with unready status: [" + String.join(" ", names) + "]";
          PodSubresources.setCondition(p, "Ready", "False", "ContainersNotReady", unready, now);
          PodSubresources.setCondition(
              p, "ContainersReady", "False", "ContainersNotReady", unready, now);
          return p;
        });
  }

  /** The pod is still the one {@code uid} names, not being deleted, and not started. */
  private static boolean stillPending(JsonNode pod, String uid) {
    return uid.equals(pod.path("metadata").path("uid").asText())
        && !pod.path("metadata").has("deletionTimestamp")
        && "Pending".equals(pod.path("status").path("phase").asText());
  }

  private void failPull(
      String ns, String name, String uid, String image, String reason, String message) {
    ObjectNode updated =
        store.mutate(
            ResourceTypes.PODS,
            ns,
            name,
            p -> {
              if (!stillPending(p, uid)) {
                return null;
              }
              Instant now = store.clock().instant();
              ObjectNode st = p.with("status");
              st.put(
                  "hostIP",
                  hostIp(
                      store.get(
                          ResourceTypes.NODES, null, p.path("spec").path("nodeName").asText())));
              if (!st.has("startTime")) {
                st.put("startTime", Times.format(now));
              }
              List<String> names = new ArrayList<>();
              ArrayNode statuses = st.putArray("containerStatuses");
              for (JsonNode c : p.path("spec").path("containers")) {
                ObjectNode cs = statuses.addObject();
                cs.put("name", c.path("name").asText());
                cs.put("image", c.path("image").asText());
                cs.put("imageID", "");
                cs.put("ready", false);
                cs.put("started", false);
                cs.put("restartCount", 0);
                if (c.path("image").asText().equals(image)) {
                  cs.putObject("state")
                      .putObject("waiting")
                      .put("reason", reason)
                      .put("message", message);
                } else {
                  cs.putObject("state").putObject("waiting").put("reason", "ContainerCreating");
                }
                names.add(c.path("name").asText());
              }
              PodSubresources.setCondition(p, "Initialized", "True", null, null, now);
              PodSubresources.setCondition(
                  p,
                  "Ready",
                  "False",
                  "ContainersNotReady",
                  "containers with unready status: [" + String.join(" ", names) + "]",
                  now);
              PodSubresources.setCondition(
                  p,
                  "ContainersReady",
                  "False",
                  "ContainersNotReady",
                  "containers with unready status: [" + String.join(" ", names) + "]",
                  now);
              return p;
            });
    if (updated == null) {
      return;
    }
    if (reason.equals("ErrImagePull")) {
      events.record(updated, "Normal", "Pulling", "Pulling image \"" + image + "\"");
      events.record(
          updated, "Warning", "Failed", "Failed to pull image \"" + image + "\": " + message);
      events.record(updated, "Warning", "Failed", "Error: ErrImagePull");
    } else {
      events.record(updated, "Normal", "BackOff", message);
      events.record(updated, "Warning", "Failed", "Error: ImagePullBackOff");
    }
  }

  private static String hostIp(JsonNode node) {
    if (node != null) {
      for (JsonNode a : node.path("status").path("addresses")) {
        if ("InternalIP".equals(a.path("type").asText())) {
          return a.path("address").asText();
        }
      }
    }
    return "127.0.0.1";
  }

  private void complete(String ns, String name, String uid) {
    ObjectNode done =
        store.mutate(
            ResourceTypes.PODS,
            ns,
            name,
            p -> {
              if (!uid.equals(p.path("metadata").path("uid").asText())
                  || !"Running".equals(p.path("status").path("phase").asText())) {
                return null;
              }
              int exit = p.path("metadata").path("annotations").path(EXIT_CODE).asInt(0);
              Instant now = store.clock().instant();
              ObjectNode st = p.with("status");
              st.put("phase", exit == 0 ? "Succeeded" : "Failed");
              for (JsonNode cs : st.path("containerStatuses")) {
                ObjectNode c = (ObjectNode) cs;
                String startedAt =
                    c.path("state").path("running").path("startedAt").asText(Times.format(now));
                c.put("ready", false);
                c.put("started", false);
                ObjectNode term = c.putObject("state").putObject("terminated");
                term.put("exitCode", exit);
                term.put("reason", exit == 0 ? "Completed" : "Error");
                term.put("startedAt", startedAt);
                term.put("finishedAt", Times.format(now));
                term.put("containerID", c.path("containerID").asText());
              }
              String reason = exit == 0 ? "PodCompleted" : "PodFailed";
              PodSubresources.setCondition(p, "Ready", "False", reason, null, now);
              PodSubresources.setCondition(p, "ContainersReady", "False", reason, null, now);
              PodSubresources.setCondition(
                  p, "PodReadyToStartContainers", "False", null, null, now);
              return p;
            });
    if (done != null) {
      completing.remove(uid);
    }
  }

  /**
   * When the pod's active deadline passes: its {@code status.startTime} plus {@code
   * spec.activeDeadlineSeconds}; null when either is unset.
   */
  static Instant activeDeadline(JsonNode pod) {
    JsonNode seconds = pod.path("spec").path("activeDeadlineSeconds");
    Instant start = Times.parse(pod.path("status").path("startTime").asText(""));
    if (start == null || !seconds.isNumber() || !seconds.canConvertToLong()) {
      return null;
    }
    return start.plusSeconds(seconds.asLong());
  }

  private static boolean isTerminal(JsonNode pod) {
    String phase = pod.path("status").path("phase").asText("");
    return phase.equals("Succeeded") || phase.equals("Failed");
  }

  /**
   * Schedules the check of the pod's active deadline, once its start time is known, unless one is
   * already scheduled for that instant or sooner (a lowered deadline schedules a sooner one).
   */
  private void scheduleDeadline(JsonNode pod, String ns, String name, String uid) {
    Instant due = activeDeadline(pod);
    if (due == null || isTerminal(pod) || pod.path("metadata").has("deletionTimestamp")) {
      return;
    }
    boolean[] sooner = {false};
    deadlines.compute(
        uid,
        (k, scheduled) -> {
          if (scheduled != null && !due.isBefore(scheduled)) {
            return scheduled;
          }
          sooner[0] = true;
          return due;
        });
    if (sooner[0]) {
      timeline.at(due, () -> enforceDeadline(ns, name, uid, due));
    }
  }

  /**
   * Fails the pod if, read again now, it is the same pod, not being deleted, not terminal, and past
   * its deadline under its current spec (see {@link #DEADLINE_EXCEEDED}); otherwise schedules the
   * check again for its current deadline, if any.
   */
  private void enforceDeadline(String ns, String name, String uid, Instant scheduled) {
    if (closed) {
      return;
    }
    ObjectNode failed =
        store.mutate(
            ResourceTypes.PODS,
            ns,
            name,
            p -> {
              if (!uid.equals(p.path("metadata").path("uid").asText())
                  || p.path("metadata").has("deletionTimestamp")
                  || isTerminal(p)) {
                return null;
              }
              Instant now = store.clock().instant();
              Instant due = activeDeadline(p);
              if (due == null || now.isBefore(due)) {
                return null;
              }
              failForDeadline(p, now);
              return p;
            });
    if (failed != null) {
      // nothing the kubelet still has scheduled may start or complete the pod
      starting.remove(uid);
      completing.remove(uid);
      deadlines.remove(uid);
      events.record(failed, "Normal", DEADLINE_EXCEEDED, DEADLINE_EXCEEDED_MESSAGE);
      return;
    }
    deadlines.remove(uid, scheduled);
    ObjectNode pod = store.get(ResourceTypes.PODS, ns, name);
    if (pod != null && uid.equals(pod.path("metadata").path("uid").asText())) {
      scheduleDeadline(pod, ns, name, uid);
    }
  }

  /** The status of a pod failed at its active deadline (see {@link #DEADLINE_EXCEEDED}). */
  private static void failForDeadline(ObjectNode p, Instant now) {
    ObjectNode st = p.with("status");
    st.put("phase", "Failed");
    st.put("reason", DEADLINE_EXCEEDED);
    st.put("message", DEADLINE_EXCEEDED_MESSAGE);
    if (hasInitialized(p)) {
      for (JsonNode cs : st.path("containerStatuses")) {
        kill((ObjectNode) cs, now);
      }
    }
    // init containers: all up to the last one that left waiting, at least the first
    JsonNode inits = st.path("initContainerStatuses");
    int last = 0;
    for (int i = 0; i < inits.size(); i++) {
      if (!inits.get(i).path("state").has("waiting")) {
        last = i;
      }
    }
    for (int i = 0; i < inits.size() && i <= last; i++) {
      kill((ObjectNode) inits.get(i), now);
    }
    PodSubresources.setCondition(p, "Ready", "False", "PodFailed", null, now);
    PodSubresources.setCondition(p, "ContainersReady", "False", "PodFailed", null, now);
    PodSubresources.setCondition(p, "PodReadyToStartContainers", "False", null, null, now);
  }

  /**
   * Whether the pod has shown a sign of having initialized: no init containers, a regular container
   * out of waiting, or its last init container completed. A kubelet terminating a pod reports the
   * regular containers of any other pod as they were (waiting).
   */
  private static boolean hasInitialized(JsonNode pod) {
    if (pod.path("spec").path("initContainers").isEmpty()) {
      return true;
    }
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      if (!cs.path("state").has("waiting")) {
        return true;
      }
    }
    JsonNode inits = pod.path("status").path("initContainerStatuses");
    return !inits.isEmpty()
        && inits.get(inits.size() - 1).path("state").path("terminated").path("exitCode").asInt(-1)
            == 0;
  }

  /**
   * A container status as the kill leaves it: a running container terminated with exit code 137,
   * one that never started terminated as {@value #CONTAINER_STATUS_UNKNOWN}, a terminated one
   * unchanged.
   */
  private static void kill(ObjectNode cs, Instant now) {
    JsonNode state = cs.path("state");
    if (state.has("terminated")) {
      return;
    }
    cs.put("ready", false);
    cs.put("started", false);
    String startedAt = state.path("running").path("startedAt").asText("");
    ObjectNode term = cs.putObject("state").putObject("terminated");
    term.put("exitCode", KILLED_EXIT_CODE);
    if (startedAt.isEmpty()) {
      term.put("reason", CONTAINER_STATUS_UNKNOWN);
      term.put("message", CONTAINER_STATUS_UNKNOWN_MESSAGE);
    } else {
      term.put("reason", "Error");
      term.put("startedAt", startedAt);
      term.put("finishedAt", Times.format(now));
      term.put("containerID", cs.path("containerID").asText());
    }
  }

  private void remove(String ns, String name, String uid) {
    ObjectNode pod = store.get(ResourceTypes.PODS, ns, name);
    if (pod == null || !uid.equals(pod.path("metadata").path("uid").asText())) {
      return;
    }
    try {
      store.delete(ResourceTypes.PODS, ns, name, new ObjectStore.DeleteOptions(0L, uid, null));
    } catch (ApiException e) {
      if (e.code() != 404 && e.code() != 409) {
        throw e;
      }
    }
  }

  /**
   * Generated container log: a start line, then one line per 30 s of clock time the container has
   * run (at most the last 1000), honouring {@code tailLines}, {@code timestamps} and {@code
   * sinceSeconds}. Returns null for pods on virtual nodes (the API server proxies those to the
   * node's kubelet endpoint).
   */
  /**
   * Runs an exec in a container this kubelet runs; null for a pod on a virtual node (its kubelet
   * serves it).
   */
  public ServerExtensions.ExecResult exec(
      JsonNode pod, String container, List<String> command, String stdin) {
    String nodeName = pod.path("spec").path("nodeName").asText("");
    ObjectNode node = nodeName.isEmpty() ? null : store.get(ResourceTypes.NODES, null, nodeName);
    if (node != null && isVirtual(node)) {
      return null;
    }
    return SimExec.run(pod, container, command, store.clock().instant(), stdin);
  }

  public String logs(JsonNode pod, String container, ServerExtensions.LogOptions options) {
    String nodeName = pod.path("spec").path("nodeName").asText("");
    ObjectNode node = nodeName.isEmpty() ? null : store.get(ResourceTypes.NODES, null, nodeName);
    if (node != null && isVirtual(node)) {
      return null;
    }
    Instant start = containersStarted(pod);
    if (start == null
        || !"Running,Succeeded,Failed".contains(pod.path("status").path("phase").asText("x"))) {
      return "";
    }
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      JsonNode state = cs.path("state");
      if (container.equals(cs.path("name").asText())
          && !state.path("running").has("startedAt")
          && !state.path("terminated").has("startedAt")) {
        // never started (a pod failed while pending): nothing logged
        return "";
      }
    }
    Instant end = store.clock().instant();
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      String finished = cs.path("state").path("terminated").path("finishedAt").asText("");
      if (container.equals(cs.path("name").asText()) && !finished.isEmpty()) {
        end = Instant.parse(finished);
      }
    }
    List<String[]> lines = new ArrayList<>();
    String image = "";
    for (JsonNode c : pod.path("spec").path("containers")) {
      if (container.equals(c.path("name").asText())) {
        image = c.path("image").asText();
      }
    }
    lines.add(
        new String[] {
          stamp(start),
          "starting "
              + container
              + " (image "
              + image
              + ") on node "
              + nodeName
              + " in cluster "
              + cluster
        });
    long steps = Math.max(0, Duration.between(start, end).getSeconds() / 30);
    long first = Math.max(1, steps - 999);
    for (long i = first; i <= steps; i++) {
      Instant t = start.plusSeconds(30 * i);
      lines.add(
          new String[] {
            stamp(t), "step " + i + ": processed batch " + (i * 7919 % 10007) + ", ok"
          });
    }
    if (options.sinceSeconds() != null) {
      Instant since = store.clock().instant().minusSeconds(options.sinceSeconds());
      lines.removeIf(l -> Instant.parse(l[0]).isBefore(since));
    }
    if (options.tailLines() != null
        && options.tailLines() >= 0
        && lines.size() > options.tailLines()) {
      lines = lines.subList(lines.size() - options.tailLines(), lines.size());
    }
    StringBuilder sb = new StringBuilder();
    for (String[] l : lines) {
      if (options.timestamps()) {
        sb.append(l[0]).append(' ');
      }
      sb.append(l[1]).append('\n');
    }
    return sb.toString();
  }

  private static String stamp(Instant t) {
    return DateTimeFormatter.ISO_INSTANT
        .format(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
        .replace("Z", ".000000000Z");
  }

  /**
   * The instant this kubelet will next check the active deadline of the pod {@code uid}, or null
   * when none is scheduled (diagnostics).
   */
  public Instant deadlineCheck(String uid) {
    return deadlines.get(uid);
  }

  /** UIDs of pods waiting for their start (diagnostics). */
  public Set<String> starting() {
    return new HashSet<>(starting);
  }

  @Override
  public void close() {
    closed = true;
    subscriptions.forEach(ObjectStore.Subscription::close);
  }
}
