package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.zookeeper.ClientCnxnSocketNIO;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each client's TLS settings are its own: JVM-wide {@code zookeeper.*} properties (an in-process
 * server's, or another client's) do not change them.
 */
class ZkTlsTest {
  private static final String SECURE = "zookeeper.client.secure";
  private static final String KEY_STORE = "zookeeper.ssl.keyStore.location";
  private static final String TRUST_STORE = "zookeeper.ssl.trustStore.location";

  @AfterEach
  void clear() {
    System.clearProperty(SECURE);
    System.clearProperty(KEY_STORE);
    System.clearProperty(TRUST_STORE);
  }

  @Test
  void aTlsClientTrustsItsCaOnlyAndPresentsNoKeyWhateverTheProcessSets() {
    System.setProperty(KEY_STORE, "/server/keystore.pem");
    System.setProperty(TRUST_STORE, "/elsewhere/ca.crt");

    ZKClientConfig c = ZkTls.clientConfig(Path.of("/etc/gleaner/zookeeper-tls/ca.crt"));

    assertThat(c.getBoolean(ZKClientConfig.SECURE_CLIENT)).isTrue();
    assertThat(c.getProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET))
        .isEqualTo(ClientCnxnSocketNetty.class.getName());
    assertThat(c.getProperty(TRUST_STORE)).isEqualTo("/etc/gleaner/zookeeper-tls/ca.crt");
    assertThat(c.getProperty("zookeeper.ssl.trustStore.type")).isEqualTo("PEM");
    assertThat(c.getProperty(KEY_STORE)).isEmpty();
    assertThat(c.getProperty("zookeeper.ssl.hostnameVerification")).isEqualTo("true");
  }

  @Test
  void aPlaintextClientStaysPlaintextWhenTheProcessAsksForTls() {
    System.setProperty(SECURE, "true");

    ZKClientConfig c = ZkTls.clientConfig(null);

    assertThat(c.getBoolean(ZKClientConfig.SECURE_CLIENT)).isFalse();
    assertThat(c.getProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET))
        .isEqualTo(ClientCnxnSocketNIO.class.getName());
  }
}
