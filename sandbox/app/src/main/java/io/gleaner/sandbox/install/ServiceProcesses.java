package io.gleaner.sandbox.install;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs the replicas of rendered Deployments as child JVMs, as a kubelet would run their pods: each
 * replica is {@code java -cp <this class path> <main> <the container's args>} with the container's
 * environment, its ConfigMap and Secret volumes written to a directory of its own (mount paths in
 * the args rewritten to it), its own service account's kubeconfig ({@code KUBECONFIG}), and a heap
 * from its memory limit. Processes share the host's network, where pods each have their own: every
 * container port gets a port of its own on 127.0.0.1 (see {@link Ports}).
 *
 * <p>A replica that exits is started again after a back-off, as a kubelet restarts a Deployment's
 * container. Output is prefixed with the replica's name, as {@code docker compose} does. {@link
 * #close()} (also run by a shutdown hook) ends these processes and their descendants, and nothing
 * else.
 */
public final class ServiceProcesses implements AutoCloseable {
  /** The main class every container runs ({@code java -jar gleaner.jar <args>}). */
  public static final String MAIN = "io.gleaner.cli.GleanerCommand";

  private static final Duration GRACE = Duration.ofSeconds(10);

  /** Chooses the host port of a container port of one replica. */
  @FunctionalInterface
  public interface Ports {
    int port(String component, int replica, ContainerPort port);
  }

  /** One running replica. */
  public static final class Replica {
    private final String name;
    private final String deployment;
    private final List<String> command;
    private final Map<String, String> env;
    private final Map<String, Integer> ports;
    private volatile Process process;
    private volatile boolean stopping;
    private int restarts;

    Replica(
        String name,
        String deployment,
        List<String> command,
        Map<String, String> env,
        Map<String, Integer> ports) {
      this.name = name;
      this.deployment = deployment;
      this.command = List.copyOf(command);
      this.env = Map.copyOf(env);
      this.ports = Map.copyOf(ports);
    }

    public String name() {
      return name;
    }

    public String deployment() {
      return deployment;
    }

    /** Host ports by container port name. */
    public Map<String, Integer> ports() {
      return ports;
    }

    public List<String> command() {
      return command;
    }

    public boolean isAlive() {
      Process p = process;
      return p != null && p.isAlive();
    }

    /** How often it was started again after it exited on its own. */
    public synchronized int restarts() {
      return restarts;
    }

    public long pid() {
      Process p = process;
      return p == null ? -1 : p.pid();
    }
  }

  private final Path workDir;
  private final String classpath;
  private final PrintStream out;
  private final String namePrefix;
  private final List<Replica> replicas = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  /**
   * @param workDir where each replica's mounted files go
   * @param out where prefixed output lines go
   */
  public ServiceProcesses(Path workDir, PrintStream out) {
    this(workDir, out, "");
  }

  /**
   * @param workDir where each replica's mounted files go
   * @param out where prefixed output lines go
   * @param namePrefix before every replica's name ({@code <prefix><container>-<n>}), e.g. the
   *     instance of a second installation beside another
   */
  public ServiceProcesses(Path workDir, PrintStream out, String namePrefix) {
    this.namePrefix = Objects.requireNonNull(namePrefix, "namePrefix");
    this.workDir = Objects.requireNonNull(workDir, "workDir");
    this.classpath = System.getProperty("java.class.path");
    this.out = Objects.requireNonNull(out, "out");
    this.shutdownHook = new Thread(this::stopAll, "service-processes-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts every replica of {@code deployment}.
   *
   * @param configMaps the rendered ConfigMaps of its namespace, by name
   * @param secrets the Secrets of its namespace it may mount, by name
   * @param kubeconfig the pod's service account credentials for the metadata cluster
   * @param ports host ports of its container ports
   * @param extraArgs appended to the container's args (e.g. where the pod's own ports are)
   */
  public synchronized List<Replica> start(
      Deployment deployment,
      Map<String, ConfigMap> configMaps,
      Map<String, Secret> secrets,
      Path kubeconfig,
      Ports ports,
      java.util.function.BiFunction<String, Integer, List<String>> extraArgs) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    String component = c.getName();
    int count = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    String namespace = deployment.getMetadata().getNamespace();
    List<Replica> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = namePrefix + component + "-" + i;
      Path root = workDir.resolve(name);
      List<String> args = new ArrayList<>(c.getArgs() == null ? List.of() : c.getArgs());
      mountVolumes(pod, c, configMaps, secrets, root, args);
      Map<String, Integer> hostPorts = new LinkedHashMap<>();
      for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
        hostPorts.put(p.getName(), ports.port(component, i, p));
      }
      rebindPorts(args, hostPorts);
      args.addAll(extraArgs.apply(component, i));
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx" + heapMb(c) + "m");
      command.add("-XX:+UseSerialGC");
      // C1 only: a quarter of the start-up CPU, where several JVMs share a laptop's cores
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-cp");
      command.add(classpath);
      command.add(MAIN);
      command.addAll(args);
      Map<String, String> env = new LinkedHashMap<>();
      for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
        env.put(e.getName(), value(e, name, namespace));
      }
      env.put("KUBECONFIG", kubeconfig.toString());
      Replica r = new Replica(name, deployment.getMetadata().getName(), command, env, hostPorts);
      launch(r);
      replicas.add(r);
      started.add(r);
    }
    return started;
  }

  /** Every replica started so far. */
  public synchronized List<Replica> replicas() {
    return List.copyOf(replicas);
  }

  /** Ends the replicas of {@code deployment} and starts them again (a rollout restart). */
  public synchronized void restart(String deployment) {
    for (Replica r : replicas) {
      if (r.deployment.equals(deployment)) {
        stop(r);
        r.stopping = false;
        launch(r);
      }
    }
  }

  private void launch(Replica r) {
    ProcessBuilder pb = new ProcessBuilder(r.command).redirectErrorStream(true);
    pb.environment().putAll(r.env);
    try {
      r.process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + r.name, e);
    }
    Process p = r.process;
    String prefix = String.format("%-17s | ", r.name);
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.println(prefix + line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            r.name + "-output");
    pump.setDaemon(true);
    pump.start();
    p.onExit().thenAccept(exited -> restartAfterExit(r, exited));
  }

  /**
   * As a kubelet restarts a Deployment's container that exits ({@code restartPolicy: Always}), with
   * a back-off that doubles from 1 s to at most 10 s.
   */
  private void restartAfterExit(Replica r, Process exited) {
    long delayMs;
    synchronized (this) {
      if (closed || r.stopping || r.process != exited) {
        return;
      }
      delayMs = Math.min(10_000, 1000L << Math.min(4, r.restarts));
    }
    out.println(
        String.format(
            "%-17s | exited with code %d; restarting in %d s",
            r.name, exited.exitValue(), delayMs / 1000));
    try {
      Thread.sleep(delayMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    synchronized (this) {
      if (closed || r.stopping || r.process != exited) {
        return;
      }
      synchronized (r) {
        r.restarts++;
      }
      launch(r);
    }
  }

  private static void mountVolumes(
      PodSpec pod,
      Container c,
      Map<String, ConfigMap> configMaps,
      Map<String, Secret> secrets,
      Path root,
      List<String> args) {
    Map<String, Map<String, String>> configFiles = new LinkedHashMap<>();
    Map<String, Map<String, String>> secretFiles = new LinkedHashMap<>();
    for (VolumeMount m :
        c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
      Volume v =
          pod.getVolumes().stream()
              .filter(x -> x.getName().equals(m.getName()))
              .findFirst()
              .orElseThrow();
      if (v.getConfigMap() != null) {
        ConfigMap cm = configMaps.get(v.getConfigMap().getName());
        if (cm == null) {
          throw new IllegalStateException(
              "ConfigMap "
                  + v.getConfigMap().getName()
                  + " mounted by "
                  + c.getName()
                  + " not found");
        }
        configFiles.put(m.getMountPath(), items(cm.getData(), v.getConfigMap().getItems()));
      } else if (v.getSecret() != null) {
        Secret secret = secrets.get(v.getSecret().getSecretName());
        if (secret == null) {
          throw new IllegalStateException(
              "Secret "
                  + v.getSecret().getSecretName()
                  + " mounted by "
                  + c.getName()
                  + " not found");
        }
        Map<String, String> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
          secret
              .getData()
              .forEach(
                  (k, b64) ->
                      data.put(
                          k,
                          new String(
                              java.util.Base64.getDecoder().decode(b64), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
          data.putAll(secret.getStringData());
        }
        secretFiles.put(m.getMountPath(), items(data, v.getSecret().getItems()));
      }
    }
    // a path under a mount, in the args or in a mounted config file, names the replica's copy
    List<String> mounts = new ArrayList<>(configFiles.keySet());
    mounts.addAll(secretFiles.keySet());
    java.util.function.UnaryOperator<String> paths = relocate(mounts, root);
    configFiles.forEach((mount, files) -> files.replaceAll((k, text) -> paths.apply(text)));
    for (Map<String, Map<String, String>> volumes : List.of(configFiles, secretFiles)) {
      for (Map.Entry<String, Map<String, String>> v : volumes.entrySet()) {
        Path dir = root.resolve(v.getKey().replaceFirst("^/", ""));
        try {
          Files.createDirectories(dir);
          for (Map.Entry<String, String> f : v.getValue().entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    args.replaceAll(paths);
  }

  /** A volume's files: every key, or only the listed {@code items} at their paths. */
  private static Map<String, String> items(
      Map<String, String> data, List<io.fabric8.kubernetes.api.model.KeyToPath> items) {
    Map<String, String> all = data == null ? Map.of() : data;
    if (items == null || items.isEmpty()) {
      return new LinkedHashMap<>(all);
    }
    Map<String, String> files = new LinkedHashMap<>();
    for (io.fabric8.kubernetes.api.model.KeyToPath i : items) {
      if (all.containsKey(i.getKey())) {
        files.put(i.getPath(), all.get(i.getKey()));
      }
    }
    return files;
  }

  /**
   * Rewrites absolute paths under any of {@code mounts} to the same path under {@code root}, in one
   * pass (the longest mount first), so that a path already rewritten is not rewritten again.
   */
  static java.util.function.UnaryOperator<String> relocate(List<String> mounts, Path root) {
    if (mounts.isEmpty()) {
      return s -> s;
    }
    String alternatives =
        mounts.stream()
            .map(m -> m.endsWith("/") ? m : m + "/")
            .distinct()
            .sorted(java.util.Comparator.comparingInt(String::length).reversed())
            .map(java.util.regex.Pattern::quote)
            .collect(java.util.stream.Collectors.joining("|"));
    java.util.regex.Pattern p =
        java.util.regex.Pattern.compile("(?<![\\w./-])(" + alternatives + ")");
    String prefix = root.toString().replaceFirst("/$", "");
    return s ->
        p.matcher(s).replaceAll(r -> java.util.regex.Matcher.quoteReplacement(prefix + r.group(1)));
  }

  /**
   * The container's named ports move to this replica's own ports on loopback: {@code http} (the
   * metrics address flag), {@code grpc} (the broker's), {@code kubelet} (the kubelet API) and
   * {@code hooks} (the descheduler's reclaim hooks).
   */
  private static void rebindPorts(List<String> args, Map<String, Integer> hostPorts) {
    Integer http = hostPorts.get("http");
    if (http != null) {
      args.replaceAll(
          a ->
              a.startsWith("--metrics-bind-address=")
                  ? "--metrics-bind-address=127.0.0.1:" + http
                  : a);
    }
    if (hostPorts.containsKey("grpc")) {
      args.add("--set=broker.grpc.port=" + hostPorts.get("grpc"));
    }
    if (hostPorts.containsKey("kubelet")) {
      args.add("--set=virtualKubelet.kubeletPort=" + hostPorts.get("kubelet"));
    }
    if (hostPorts.containsKey("hooks")) {
      args.add("--set=descheduler.hooks.server.port=" + hostPorts.get("hooks"));
    }
  }

  private static String value(EnvVar e, String podName, String namespace) {
    if (e.getValue() != null) {
      return e.getValue();
    }
    if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
      return switch (e.getValueFrom().getFieldRef().getFieldPath()) {
        case "metadata.name" -> podName;
        case "metadata.namespace" -> namespace;
        case "status.podIP", "status.hostIP" -> "127.0.0.1";
        default -> "";
      };
    }
    return "";
  }

  /** Three quarters of the container's memory limit (the chart's MaxRAMPercentage=75). */
  static long heapMb(Container c) {
    Quantity limit =
        c.getResources() == null || c.getResources().getLimits() == null
            ? null
            : c.getResources().getLimits().get("memory");
    if (limit == null) {
      return 512;
    }
    long bytes = Quantity.getAmountInBytes(limit).longValue();
    return Math.max(64, bytes * 3 / 4 / (1024 * 1024));
  }

  private void stop(Replica r) {
    Process p = r.process;
    if (p == null) {
      return;
    }
    r.stopping = true;
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    p.destroy(); // SIGTERM: the service's shutdown hook stops it cleanly
    try {
      if (!p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private synchronized void stopAll() {
    closed = true;
    for (Replica r : replicas) {
      r.stopping = true;
      Process p = r.process;
      if (p != null) {
        p.destroy();
      }
    }
    for (Replica r : replicas) {
      stop(r);
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }
}
