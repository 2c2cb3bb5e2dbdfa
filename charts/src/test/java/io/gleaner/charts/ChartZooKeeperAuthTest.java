package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chart's ZooKeeper authentication (zookeeper.auth): a generated identity in a Secret, mounted
 * into every pod that connects to ZooKeeper, with the flag that points the service at it.
 */
class ChartZooKeeperAuthTest {
  private static final String SECRET = "glean-gleaner-zookeeper-auth";
  private static final String FLAG = "--set=zk.authFile=/etc/gleaner/zookeeper-auth/auth";

  /** Every Deployment that connects to ZooKeeper (has --zk-connect): each Gleaner service. */
  private static List<Deployment> zookeeperClients(RenderedChart chart) {
    List<Deployment> out =
        chart.all(Deployment.class).stream()
            .filter(
                d ->
                    d.getSpec().getTemplate().getSpec().getContainers().stream()
                        .anyMatch(
                            c ->
                                c.getArgs() != null
                                    && c.getArgs().stream()
                                        .anyMatch(a -> a.startsWith("--zk-connect="))))
            .toList();
    assertThat(out).hasSize(4);
    return out;
  }

  private static void assertMounts(RenderedChart chart, String secret, String key) {
    for (Deployment d : zookeeperClients(chart)) {
      String name = d.getMetadata().getName();
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      Volume v =
          pod.getVolumes().stream()
              .filter(x -> x.getName().equals("zookeeper-auth"))
              .findFirst()
              .orElseThrow(() -> new AssertionError(name + " mounts no zookeeper-auth"));
      assertThat(v.getSecret().getSecretName()).as(name).isEqualTo(secret);
      assertThat(v.getSecret().getItems())
          .as(name)
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.getKey()).isEqualTo(key);
                assertThat(i.getPath()).isEqualTo("auth");
              });
      Container c = pod.getContainers().get(0);
      assertThat(c.getVolumeMounts())
          .as(name)
          .anyMatch(
              m ->
                  m.getName().equals("zookeeper-auth")
                      && m.getMountPath().equals("/etc/gleaner/zookeeper-auth")
                      && m.getReadOnly());
      assertThat(c.getArgs()).as(name).contains(FLAG);
    }
  }

  @Test
  void onByDefaultWithAGeneratedPasswordMountedIntoEveryService() {
    RenderedChart chart = render(GLEANER);
    Secret secret = chart.get(Secret.class, SECRET);
    String credentials =
        new String(
            Base64.getDecoder().decode(secret.getData().get("auth")), StandardCharsets.UTF_8);
    assertThat(credentials).matches("gleaner:[A-Za-z0-9]{32}");
    // kept when the release is uninstalled: the znodes are readable only with this password
    assertThat(secret.getMetadata().getAnnotations())
        .containsEntry("helm.sh/resource-policy", "keep");
    assertMounts(chart, SECRET, "auth");
    // each render without lookup generates another password: it is not a constant of the chart
    String again =
        new String(
            Base64.getDecoder()
                .decode(render(GLEANER).get(Secret.class, SECRET).getData().get("auth")),
            StandardCharsets.UTF_8);
    assertThat(again).isNotEqualTo(credentials);
  }

  @Test
  void theBundledEnsembleNeedsNoChangeForDigestAcls() {
    // digest is one of ZooKeeper's built-in authentication providers; only skipACL would undo it
    StatefulSet zk = render(GLEANER).get(StatefulSet.class, "glean-gleaner-zookeeper");
    assertThat(zk.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .noneMatch(e -> e.getValue() != null && e.getValue().contains("skipACL"));
  }

  @Test
  void anExistingSecretOfTheUserReplacesTheGeneratedOne() {
    RenderedChart chart =
        render(
            GLEANER,
            values(
                "zookeeper.connect", "zk-0.zk:2181",
                "zookeeper.auth.existingSecret", "my-zk-identity",
                "zookeeper.auth.key", "credentials"));
    assertThat(chart.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().equals(SECRET));
    assertMounts(chart, "my-zk-identity", "credentials");
  }

  @Test
  void offMeansNoSecretMountOrFlag() {
    RenderedChart chart = render(GLEANER, values("zookeeper.auth.enabled", false));
    assertThat(chart.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().equals(SECRET));
    for (Deployment d : zookeeperClients(chart)) {
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes()).noneMatch(v -> v.getName().equals("zookeeper-auth"));
      assertThat(pod.getContainers().get(0).getArgs()).noneMatch(a -> a.contains("zk.authFile"));
    }
  }
}
