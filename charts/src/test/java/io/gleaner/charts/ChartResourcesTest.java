package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Resources of every container the gleaner chart runs (requests, memory limits, JVM heaps sized
 * from the container) and the bundled ZooKeeper's storage.
 */
class ChartResourcesTest {

  private static final String PREFIX = "glean-gleaner-";
  private static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");
  private static final Pattern MAX_RAM = Pattern.compile("-XX:MaxRAMPercentage=([0-9.]+)");

  /**
   * Live heap of each service after a full GC with the whole system at 100 members × 100 nodes, the
   * scale the README claims ({@code gleaner bench system}, docs/figures.md "The whole system at
   * scale": 3,777 Gleaner pods running, 6,550 metadata pods; the virtual-kubelet is the leader).
   */
  private static final Map<String, Long> LIVE_HEAP_MB_AT_100_BY_100 =
      Map.of("broker", 187L, "idle-detector", 532L, "virtual-kubelet", 552L, "descheduler", 464L);

  private static Container container(RenderedChart chart, String service) {
    return chart
        .get(Deployment.class, PREFIX + service)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  private static PodSpec zookeeperPod(RenderedChart chart) {
    return chart.get(StatefulSet.class, PREFIX + "zookeeper").getSpec().getTemplate().getSpec();
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse(null);
  }

  private static long mebibytes(Quantity q) {
    return Quantity.getAmountInBytes(q).divide(BigDecimal.valueOf(1024 * 1024)).longValue();
  }

  /** The heap a JVM takes in this container: MaxRAMPercentage of the memory limit. */
  private static long heapMb(Container c) {
    Matcher m = MAX_RAM.matcher(env(c, "JAVA_TOOL_OPTIONS"));
    assertThat(m.find()).as("%s: MaxRAMPercentage in JAVA_TOOL_OPTIONS", c.getName()).isTrue();
    return (long)
        (mebibytes(c.getResources().getLimits().get("memory"))
            * Double.parseDouble(m.group(1))
            / 100);
  }

  @Nested
  class Requests {
    private final RenderedChart chart = render(GLEANER);

    @Test
    void everyContainerRequestsCpuAndMemoryAndIsLimitedInMemory() {
      List<Container> all =
          Stream.concat(
                  SERVICES.stream().map(s -> container(chart, s)),
                  zookeeperPod(chart).getContainers().stream())
              .toList();
      assertThat(all).hasSize(5);
      for (Container c : all) {
        assertThat(c.getResources().getRequests()).as(c.getName()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).as(c.getName()).containsKey("memory");
        // a JVM's footprint does not shrink under node pressure: request what the limit allows
        assertThat(c.getResources().getRequests().get("memory"))
            .as(c.getName())
            .isEqualTo(c.getResources().getLimits().get("memory"));
      }
    }

    @Test
    void everyServicesHeapHoldsWhatItWasMeasuredToNeedAtTheClaimedScale() {
      // G1 needs room to collect: the live heap at most two thirds of the maximum
      for (String service : SERVICES) {
        assertThat(heapMb(container(chart, service)))
            .as(service)
            .isGreaterThanOrEqualTo(LIVE_HEAP_MB_AT_100_BY_100.get(service) * 3 / 2);
      }
    }

    @Test
    void servicesThatWatchEveryMemberGetTheIdleDetectorsHeap() {
      // the virtual-kubelet and the descheduler hold a client and informers per member, as the
      // idle-detector does, and more pods each
      long detector = heapMb(container(chart, "idle-detector"));
      assertThat(heapMb(container(chart, "virtual-kubelet"))).isGreaterThanOrEqualTo(detector);
      assertThat(heapMb(container(chart, "descheduler"))).isGreaterThanOrEqualTo(detector);
    }
  }

  @Nested
  class JvmHeaps {

    @Test
    void everyServiceSizesItsHeapFromItsContainer() {
      RenderedChart chart = render(GLEANER);
      for (String service : SERVICES) {
        Container c = container(chart, service);
        String options = env(c, "JAVA_TOOL_OPTIONS");
        assertThat(options).as(service).contains("-XX:MaxRAMPercentage=75").doesNotContain("-Xmx");
        assertThat(c.getArgs()).as(service).noneMatch(a -> a.startsWith("-Xmx"));
      }
    }

    @Test
    void javaOptionsAndLimitsAreOverridablePerService() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "idleDetector.javaOptions", "-XX:MaxRAMPercentage=60",
                  "idleDetector.resources.limits.memory", "2Gi",
                  "idleDetector.resources.requests.memory", "2Gi",
                  "javaOptions", "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError"));
      Container detector = container(chart, "idle-detector");
      assertThat(env(detector, "JAVA_TOOL_OPTIONS")).isEqualTo("-XX:MaxRAMPercentage=60");
      assertThat(heapMb(detector)).isEqualTo(2048 * 60 / 100);
      assertThat(env(container(chart, "broker"), "JAVA_TOOL_OPTIONS"))
          .isEqualTo("-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void zooKeeperTakesItsHeapFromItsMemoryLimit() {
      Container zk = zookeeperPod(render(GLEANER)).getContainers().get(0);
      // zkEnv.sh puts -Xmx${ZK_SERVER_HEAP}m (default 1000) before SERVER_JVMFLAGS; the start
      // script sets ZK_SERVER_HEAP from the limit the Downward API passes in
      EnvVar limit =
          zk.getEnv().stream()
              .filter(e -> e.getName().equals("ZK_MEMORY_LIMIT_MB"))
              .findFirst()
              .orElseThrow();
      assertThat(limit.getValueFrom().getResourceFieldRef().getResource())
          .isEqualTo("limits.memory");
      assertThat(limit.getValueFrom().getResourceFieldRef().getDivisor())
          .isEqualTo(new Quantity("1Mi"));
      String script = String.join("\n", zk.getCommand());
      assertThat(script).contains("ZK_SERVER_HEAP=$(( ZK_MEMORY_LIMIT_MB * 75 / 100 ))");
      assertThat(String.valueOf(env(zk, "SERVER_JVMFLAGS"))).doesNotContain("-Xmx");
    }

    @Test
    void zooKeeperHeapShareOrAFixedHeapAreOverridable() {
      Container share =
          zookeeperPod(render(GLEANER, values("zookeeper.bundled.heapPercent", 60)))
              .getContainers()
              .get(0);
      assertThat(String.join("\n", share.getCommand()))
          .contains("ZK_SERVER_HEAP=$(( ZK_MEMORY_LIMIT_MB * 60 / 100 ))");
      Container fixed =
          zookeeperPod(render(GLEANER, values("zookeeper.bundled.heapMb", 300)))
              .getContainers()
              .get(0);
      assertThat(String.join("\n", fixed.getCommand())).contains("ZK_SERVER_HEAP=300");
    }
  }

  @Nested
  class ZooKeeperStorage {

    private static VolumeMount mount(Container c, String path) {
      return c.getVolumeMounts().stream()
          .filter(m -> m.getMountPath().equals(path))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no mount at " + path));
    }

    @Test
    void theTransactionLogIsOnThePersistentVolume() {
      StatefulSet zk = render(GLEANER).get(StatefulSet.class, PREFIX + "zookeeper");
      Container c = zk.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(env(c, "ZOO_DATA_LOG_DIR")).isEqualTo("/datalog");
      assertThat(env(c, "ZOO_DATA_DIR")).isEqualTo("/data");
      VolumeMount log = mount(c, "/datalog");
      VolumeMount data = mount(c, "/data");
      assertThat(zk.getSpec().getVolumeClaimTemplates())
          .extracting(p -> p.getMetadata().getName())
          .containsExactly("data");
      // both on the claim (no pod volume may shadow its name)
      assertThat(log.getName()).isEqualTo("data");
      assertThat(log.getSubPath()).isEqualTo("datalog");
      assertThat(data.getName()).isEqualTo("data");
      assertThat(zk.getSpec().getTemplate().getSpec().getVolumes())
          .extracting(Volume::getName)
          .doesNotContain("data", "datalog");
    }

    @Test
    void withoutPersistenceBothShareOneScratchVolume() {
      StatefulSet zk =
          render(GLEANER, values("zookeeper.bundled.persistence.enabled", false))
              .get(StatefulSet.class, PREFIX + "zookeeper");
      Container c = zk.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(mount(c, "/datalog").getName()).isEqualTo("data");
      assertThat(zk.getSpec().getTemplate().getSpec().getVolumes())
          .filteredOn(v -> v.getName().equals("data"))
          .singleElement()
          .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
      assertThat(zk.getSpec().getVolumeClaimTemplates()).isEmpty();
    }

    @Test
    void theRenderedConfigNamesNoOtherLogDirectory() {
      Container c = zookeeperPod(render(GLEANER)).getContainers().get(0);
      Map<String, String> env =
          c.getEnv().stream()
              .filter(e -> e.getValue() != null)
              .collect(java.util.stream.Collectors.toMap(EnvVar::getName, EnvVar::getValue));
      assertThat(String.valueOf(env.get("ZOO_CFG_EXTRA"))).doesNotContain("dataLogDir");
    }
  }
}
