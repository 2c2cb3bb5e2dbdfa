package io.gleaner.api.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a PEM certificate and key (a mounted {@code kubernetes.io/tls} Secret) and hands them on
 * again when they change, so that a certificate renewed by cert-manager is used without a restart.
 * The one way every Gleaner TLS endpoint follows its files: the kubelet API, the gRPC servers and
 * the gRPC clients, each into a {@link ReloadingKeyManager}.
 *
 * <p>The files are compared by content every {@code poll}. A pair that cannot be used (the key of
 * another certificate: a Secret caught half-written) is not handed on and is read again at the next
 * poll; what was served before stays. One daemon thread polls for every watch of the process.
 */
public final class CertificateFiles implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateFiles.class);

  /** How often production endpoints look at their files. */
  public static final Duration DEFAULT_POLL = Duration.ofMinutes(1);

  private static final ScheduledExecutorService POLLER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "gleaner-certificate-files");
            t.setDaemon(true);
            return t;
          });

  private final Path cert;
  private final Path key;
  private final Consumer<TlsMaterial> serve;
  private final ScheduledFuture<?> task;
  private byte[] seenCert;
  private byte[] seenKey;

  private CertificateFiles(Path cert, Path key, Duration poll, Consumer<TlsMaterial> serve) {
    this.cert = cert;
    this.key = key;
    this.serve = serve;
    this.seenCert = read(cert);
    this.seenKey = read(key);
    long every = Math.max(1, poll.toMillis());
    this.task = POLLER.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Calls {@code serve} with {@code cert} and {@code key} whenever either file's content changes
   * (looked at every {@code poll}); not for the content they hold now. {@code serve} refuses a pair
   * it cannot use by throwing; it is offered again at the next change or poll.
   */
  public static CertificateFiles watch(
      Path cert, Path key, Duration poll, Consumer<TlsMaterial> serve) {
    return new CertificateFiles(cert, key, poll, serve);
  }

  /** A key manager presenting {@code cert} and {@code key}, following their changes. */
  public static Watched keyManager(Path cert, Path key, Duration poll) {
    ReloadingKeyManager km = ReloadingKeyManager.fromFiles(cert, key);
    return new Watched(km, watch(cert, key, poll, km::serve));
  }

  /** A key manager and the watch that keeps it current; closing stops the watch. */
  public record Watched(ReloadingKeyManager keyManager, CertificateFiles files)
      implements AutoCloseable {
    @Override
    public void close() {
      files.close();
    }
  }

  private synchronized void check() {
    byte[] c = read(cert);
    byte[] k = read(key);
    if (c == null || k == null || (Arrays.equals(c, seenCert) && Arrays.equals(k, seenKey))) {
      return;
    }
    try {
      serve.accept(
          new TlsMaterial(
              new String(c, StandardCharsets.UTF_8), new String(k, StandardCharsets.UTF_8)));
      seenCert = c;
      seenKey = k;
      log.info("TLS certificate {} changed: new connections use it", cert);
    } catch (RuntimeException e) {
      log.warn(
          "TLS certificate {} or key {} changed but cannot be used yet (read again in the next"
              + " poll): {}",
          cert,
          key,
          e.getMessage());
    }
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
