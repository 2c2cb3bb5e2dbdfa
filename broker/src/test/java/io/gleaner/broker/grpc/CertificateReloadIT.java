package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewed certificate (cert-manager rewriting the mounted Secret) is used by the gRPC server and
 * by its clients without a restart: the next handshake presents it, and no handshake fails while
 * the files are swapped, even with the key written before the certificate. A rotated CA bundle
 * verifies the next handshake on both sides.
 */
class CertificateReloadIT {
  private static final Duration POLL = Duration.ofMillis(50);

  @TempDir Path dir;
  private final ClusterCa ca = ClusterCa.create("gleaner-grpc-ca");
  private final AtomicReference<BigInteger> callerSerial = new AtomicReference<>();
  private BrokerServer server;
  private Path serverCert;
  private Path serverKey;
  private Path caFile;

  @BeforeEach
  void start() throws Exception {
    caFile = Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
    serverCert = dir.resolve("tls.crt");
    serverKey = dir.resolve("tls.key");
    write(serverCert, serverKey, ca.issueServing("broker", List.of("127.0.0.1")));
    server =
        new BrokerServer(
                "127.0.0.1",
                0,
                serverCert.toString(),
                serverKey.toString(),
                caFile.toString(),
                List.of(capacityRecordingTheCaller()),
                new SimpleMeterRegistry())
            .certificatePoll(POLL);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void aRenewedServerCertificateIsPresentedAndNoHandshakeFailsDuringTheSwaps() throws Exception {
    ClusterCa.Issued reader = ca.issueClient("reader", List.of());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger handshakes = new AtomicInteger();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      Thread t =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try {
                    served(reader);
                    handshakes.incrementAndGet();
                  } catch (Exception e) {
                    failures.add(e.toString());
                  }
                }
              },
              "handshakes-" + c);
      t.start();
      clients.add(t);
    }
    int swaps = 5;
    try {
      for (int i = 0; i < swaps; i++) {
        ClusterCa.Issued renewed = ca.issueServing("broker", List.of("127.0.0.1"));
        BigInteger serial = renewed.certificate().getSerialNumber();
        // the key lands before the certificate, so a poll may see a pair that does not match
        Files.writeString(serverKey, renewed.pkcs8KeyPem());
        Files.writeString(serverCert, renewed.certificatePem());
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> served(reader).getSerialNumber().equals(serial));
        int before = handshakes.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> handshakes.get() >= before + 10);
      }
    } finally {
      stop.set(true);
      for (Thread t : clients) {
        t.join();
      }
    }
    assertThat(handshakes.get()).isGreaterThanOrEqualTo(swaps * 10);
    assertThat(failures)
        .as("of %d handshakes during %d swaps, these failed", handshakes.get(), swaps)
        .isEmpty();
  }

  @Test
  void aRenewedClientCertificateIsPresentedOnTheNextConnection() throws Exception {
    Path cert = dir.resolve("client.crt");
    Path key = dir.resolve("client.key");
    ClusterCa.Issued first = ca.issueClient("reader", List.of());
    write(cert, key, first);
    ManagedChannel channel =
        ApiChannels.open(
            ChannelSettings.plaintext("127.0.0.1:" + server.port(), "test")
                .withTls(caFile.toString(), cert.toString(), key.toString()),
            new SimpleMeterRegistry(),
            POLL);
    try {
      BrokerGrpc.BrokerBlockingStub stub = BrokerGrpc.newBlockingStub(channel);
      stub.getCapacity(CapacityRequest.getDefaultInstance());
      assertThat(callerSerial.get()).isEqualTo(first.certificate().getSerialNumber());

      ClusterCa.Issued renewed = ca.issueClient("reader", List.of());
      write(cert, key, renewed);
      BigInteger serial = renewed.certificate().getSerialNumber();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                channel.enterIdle(); // the next call opens a new connection
                stub.getCapacity(CapacityRequest.getDefaultInstance());
                return serial.equals(callerSerial.get());
              });
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aRotatedCaVerifiesTheNextHandshakeOnTheServerAndOnItsClients() throws Exception {
    Path cert = dir.resolve("client.crt");
    Path key = dir.resolve("client.key");
    write(cert, key, ca.issueClient("reader", List.of()));
    ManagedChannel channel =
        ApiChannels.open(
            ChannelSettings.plaintext("127.0.0.1:" + server.port(), "test")
                .withTls(caFile.toString(), cert.toString(), key.toString()),
            new SimpleMeterRegistry(),
            POLL);
    ClusterCa next = ClusterCa.create("gleaner-grpc-ca-next");
    Path oldClientCert = dir.resolve("old-client.crt");
    Path oldClientKey = dir.resolve("old-client.key");
    ClusterCa.Issued oldClient = ca.issueClient("reader", List.of());
    write(oldClientCert, oldClientKey, oldClient);
    Path bothCas =
        Files.writeString(dir.resolve("both.crt"), ca.certificatePem() + next.certificatePem());
    ManagedChannel oldChannel =
        ApiChannels.open(
            ChannelSettings.plaintext("127.0.0.1:" + server.port(), "old")
                .withTls(bothCas.toString(), oldClientCert.toString(), oldClientKey.toString()),
            new SimpleMeterRegistry(),
            POLL);
    try {
      BrokerGrpc.BrokerBlockingStub stub = BrokerGrpc.newBlockingStub(channel);
      stub.getCapacity(CapacityRequest.getDefaultInstance());

      // the rotation: both CAs trusted, then both sides get certificates of the new CA
      Files.writeString(caFile, ca.certificatePem() + next.certificatePem());
      ClusterCa.Issued newClient = next.issueClient("reader", List.of());
      write(serverCert, serverKey, next.issueServing("broker", List.of("127.0.0.1")));
      write(cert, key, newClient);
      BigInteger serial = newClient.certificate().getSerialNumber();
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () -> {
                channel.enterIdle();
                stub.getCapacity(CapacityRequest.getDefaultInstance());
                return serial.equals(callerSerial.get());
              });
      BrokerGrpc.BrokerBlockingStub oldStub = BrokerGrpc.newBlockingStub(oldChannel);
      oldStub.getCapacity(CapacityRequest.getDefaultInstance());
      assertThat(callerSerial.get()).isEqualTo(oldClient.certificate().getSerialNumber());

      // the old CA dropped: its clients are refused from the next handshake on
      Files.writeString(caFile, next.certificatePem());
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                oldChannel.enterIdle();
                try {
                  oldStub.getCapacity(CapacityRequest.getDefaultInstance());
                  return false;
                } catch (io.grpc.StatusRuntimeException e) {
                  // the handshake fails: the server no longer trusts the client's certificate
                  assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
                  return true;
                }
              });
      channel.enterIdle();
      stub.getCapacity(CapacityRequest.getDefaultInstance());
      assertThat(callerSerial.get()).isEqualTo(serial);
    } finally {
      channel.shutdownNow();
      oldChannel.shutdownNow();
    }
  }

  private static void write(Path cert, Path key, ClusterCa.Issued issued) throws Exception {
    Files.writeString(key, issued.pkcs8KeyPem());
    Files.writeString(cert, issued.certificatePem());
  }

  /** A TLS handshake with the broker's port as a gRPC client makes it: the certificate handed. */
  private X509Certificate served(ClusterCa.Issued client) throws Exception {
    try (SSLSocket s =
        (SSLSocket)
            ca.sslContext(client).getSocketFactory().createSocket("127.0.0.1", server.port())) {
      SSLParameters p = s.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      p.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(p);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  /** GetCapacity, remembering the serial of the caller's certificate. */
  private BindableService capacityRecordingTheCaller() {
    BindableService capacity =
        new BrokerGrpc.BrokerImplBase() {
          @Override
          public void getCapacity(CapacityRequest request, StreamObserver<Capacity> response) {
            response.onNext(Capacity.getDefaultInstance());
            response.onCompleted();
          }
        };
    ServerInterceptor recordCaller =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, io.grpc.Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            try {
              callerSerial.set(
                  ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber());
            } catch (Exception e) {
              callerSerial.set(null);
            }
            return next.startCall(call, headers);
          }
        };
    return () -> ServerInterceptors.intercept(capacity, recordCaller);
  }
}
