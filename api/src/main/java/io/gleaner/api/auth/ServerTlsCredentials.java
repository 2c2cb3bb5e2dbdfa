package io.gleaner.api.auth;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The credentials of every Gleaner gRPC server, from PEM files. */
public final class ServerTlsCredentials {
  private ServerTlsCredentials() {}

  /**
   * Plaintext when {@code certFile} is null; TLS otherwise; with {@code clientCaFile}, the
   * handshake also asks for a client certificate and verifies it against that CA. A certificate is
   * asked for, not required: a caller without one completes the handshake and is then refused by
   * {@link CallerAuthorizer} with {@code UNAUTHENTICATED}, which says more than a failed handshake.
   */
  public static ServerCredentials of(String certFile, String keyFile, String clientCaFile) {
    if (certFile == null) {
      return InsecureServerCredentials.create();
    }
    try {
      TlsServerCredentials.Builder b =
          TlsServerCredentials.newBuilder().keyManager(PemKeys.keyManagers(certFile, keyFile));
      if (clientCaFile != null) {
        b.trustManager(new File(clientCaFile)).clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the TLS files (cert "
              + certFile
              + ", key "
              + keyFile
              + ", client CA "
              + clientCaFile
              + "): "
              + e.getMessage(),
          e);
    }
  }
}
