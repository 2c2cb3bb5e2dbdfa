package io.gleaner.meta.config;

/**
 * How a service verifies and authenticates to a Gleaner gRPC server ({@code brokerTls.*}): PEM
 * files. Plaintext unless {@code caFile} is set.
 *
 * @param caFile the CA bundle the server's certificate must chain to
 * @param certFile this service's client certificate, for mutual TLS (with {@code keyFile})
 * @param keyFile its private key (PEM: PKCS#8, PKCS#1 or SEC 1)
 */
public record ClientTls(String caFile, String certFile, String keyFile) implements Validatable {
  /** Plaintext. */
  public static final ClientTls NONE = new ClientTls(null, null, null);

  public boolean enabled() {
    return caFile != null;
  }

  @Override
  public void validate(Problems p) {
    if ((certFile == null) != (keyFile == null)) {
      p.add(
          certFile == null ? "certFile" : "keyFile",
          "must be set together with "
              + (certFile == null ? "keyFile" : "certFile")
              + " (a client certificate needs its key)");
    }
    if (certFile != null && caFile == null) {
      p.add("caFile", "must be set when a client certificate is (mutual TLS needs TLS)");
    }
  }
}
