package io.gleaner.meta.config;

/**
 * A gRPC server's TLS material ({@code *.tls.*}): PEM files. Certificate and key go together;
 * {@code clientCaFile} turns on mutual TLS: callers must present a certificate signed by that CA,
 * and its subject CN is the caller's identity, which each method authorizes.
 *
 * @param certFile the certificate chain
 * @param keyFile the private key (PEM: PKCS#8, PKCS#1 or SEC 1)
 * @param clientCaFile the CA bundle callers' certificates must chain to; null: callers are not
 *     authenticated
 */
public record ServerTls(String certFile, String keyFile, String clientCaFile)
    implements Validatable {
  /** No TLS: plaintext. */
  public static final ServerTls NONE = new ServerTls(null, null, null);

  /** Server TLS without client authentication. */
  public ServerTls(String certFile, String keyFile) {
    this(certFile, keyFile, null);
  }

  /** Whether TLS is configured. */
  public boolean enabled() {
    return certFile != null && keyFile != null;
  }

  /** Whether callers must authenticate with a client certificate. */
  public boolean mutual() {
    return enabled() && clientCaFile != null;
  }

  @Override
  public void validate(Problems p) {
    if ((certFile == null) != (keyFile == null)) {
      p.add(
          certFile == null ? "certFile" : "keyFile",
          "must be set together with "
              + (certFile == null ? "keyFile" : "certFile")
              + " (TLS needs both or neither)");
    }
    if (clientCaFile != null && certFile == null) {
      p.add("clientCaFile", "needs certFile and keyFile (mutual TLS needs TLS)");
    }
  }
}
