package io.gleaner.api.auth;

import io.gleaner.api.tls.CertificateFiles;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The credentials of every Gleaner gRPC server, from PEM files. The certificate and key are
 * followed ({@link CertificateFiles}): a renewed Secret is presented to the next handshake, without
 * a restart and without dropping a handshake (Gleaner's clients resume no TLS session, see {@link
 * io.gleaner.api.client.ApiChannels}). Close it with the server.
 */
public final class ServerTlsCredentials implements AutoCloseable {
  private final ServerCredentials credentials;
  private final CertificateFiles.Watched keys;
  private final CertificateFiles.WatchedTrust clientCas;

  private ServerTlsCredentials(
      ServerCredentials credentials,
      CertificateFiles.Watched keys,
      CertificateFiles.WatchedTrust clientCas) {
    this.credentials = credentials;
    this.keys = keys;
    this.clientCas = clientCas;
  }

  /** {@link #open(String, String, String, Duration)} polling every minute. */
  public static ServerTlsCredentials open(String certFile, String keyFile, String clientCaFile) {
    return open(certFile, keyFile, clientCaFile, CertificateFiles.DEFAULT_POLL);
  }

  /**
   * Plaintext when {@code certFile} is null; TLS otherwise, the certificate and key looked at every
   * {@code poll}; with {@code clientCaFile}, the handshake also asks for a client certificate and
   * verifies it against that CA bundle, also looked at every {@code poll} (a rotated CA verifies
   * the next handshake). A certificate is asked for, not required: a caller without one completes
   * the handshake and is then refused by {@link CallerAuthorizer} with {@code UNAUTHENTICATED},
   * which says more than a failed handshake.
   */
  public static ServerTlsCredentials open(
      String certFile, String keyFile, String clientCaFile, Duration poll) {
    if (certFile == null) {
      return new ServerTlsCredentials(InsecureServerCredentials.create(), null, null);
    }
    CertificateFiles.Watched keys;
    try {
      keys = CertificateFiles.keyManager(Path.of(certFile), Path.of(keyFile), poll);
    } catch (IllegalArgumentException e) {
      throw new UncheckedIOException(
          new IOException(
              "cannot use the TLS files (cert "
                  + certFile
                  + ", key "
                  + keyFile
                  + "): "
                  + e.getMessage(),
              e));
    }
    CertificateFiles.WatchedTrust trust = null;
    try {
      TlsServerCredentials.Builder b =
          TlsServerCredentials.newBuilder().keyManager(keys.keyManager());
      if (clientCaFile != null) {
        trust = CertificateFiles.trustManager(Path.of(clientCaFile), poll);
        b.trustManager(trust.trustManager()).clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
      }
      return new ServerTlsCredentials(b.build(), keys, trust);
    } catch (IllegalArgumentException e) {
      keys.close();
      if (trust != null) {
        trust.close();
      }
      throw new UncheckedIOException(
          new IOException("cannot read the client CA " + clientCaFile + ": " + e.getMessage(), e));
    }
  }

  public ServerCredentials credentials() {
    return credentials;
  }

  @Override
  public void close() {
    if (keys != null) {
      keys.close();
    }
    if (clientCas != null) {
      clientCas.close();
    }
  }
}
