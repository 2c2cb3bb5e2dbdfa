package io.gleaner.api.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches PEM files (a mounted {@code kubernetes.io/tls} Secret's certificate and key, or a CA
 * bundle) and hands them on again when they change, so that a certificate renewed by cert-manager,
 * or a rotated CA, is used without a restart. The one way every Gleaner TLS endpoint follows its
 * files: the kubelet API, the gRPC servers and the gRPC clients, each into a {@link
 * ReloadingKeyManager}; the gRPC servers' client CA and the gRPC clients' server CA into a {@link
 * ReloadingTrustManager}.
 *
 * <p>The files are compared by content every {@code poll}. Content that cannot be used (the key of
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

  private final List<Path> files;
  private final Consumer<List<String>> serve;
  private final ScheduledFuture<?> task;
  private List<byte[]> seen;

  private CertificateFiles(List<Path> files, Duration poll, Consumer<List<String>> serve) {
    this.files = List.copyOf(files);
    this.serve = serve;
    this.seen = files.stream().map(CertificateFiles::read).toList();
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
    return new CertificateFiles(
        List.of(cert, key), poll, pem -> serve.accept(new TlsMaterial(pem.get(0), pem.get(1))));
  }

  /**
   * Calls {@code serve} with the text of {@code file} whenever its content changes (looked at every
   * {@code poll}); not for the content it holds now. {@code serve} refuses text it cannot use by
   * throwing; it is offered again at the next change or poll.
   */
  public static CertificateFiles watch(Path file, Duration poll, Consumer<String> serve) {
    return new CertificateFiles(List.of(file), poll, pem -> serve.accept(pem.get(0)));
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

  /**
   * A trust manager verifying peers against the PEM bundle {@code caFile}, following its changes
   * (looked at every {@code poll}).
   *
   * @throws IllegalArgumentException when the file cannot be read or holds no certificate
   */
  public static WatchedTrust trustManager(Path caFile, Duration poll) {
    ReloadingTrustManager tm = new ReloadingTrustManager(readPem(caFile));
    return new WatchedTrust(tm, watch(caFile, poll, tm::trust));
  }

  /** A trust manager and the watch that keeps it current; closing stops the watch. */
  public record WatchedTrust(ReloadingTrustManager trustManager, CertificateFiles files)
      implements AutoCloseable {
    @Override
    public void close() {
      files.close();
    }
  }

  private synchronized void check() {
    List<byte[]> now = files.stream().map(CertificateFiles::read).toList();
    if (now.contains(null) || sameAs(now)) {
      return;
    }
    try {
      serve.accept(now.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
      seen = now;
      log.info("TLS files {} changed: new connections use them", files);
    } catch (RuntimeException e) {
      log.warn(
          "TLS files {} changed but cannot be used yet (read again in the next poll): {}",
          files,
          e.getMessage());
    }
  }

  private boolean sameAs(List<byte[]> now) {
    for (int i = 0; i < now.size(); i++) {
      if (!Arrays.equals(now.get(i), seen.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static String readPem(Path file) {
    byte[] b = read(file);
    if (b == null) {
      throw new IllegalArgumentException("cannot read " + file);
    }
    return new String(b, StandardCharsets.UTF_8);
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
