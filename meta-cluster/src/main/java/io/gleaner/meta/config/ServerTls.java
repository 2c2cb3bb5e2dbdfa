package io.gleaner.meta.config;

/**
 * A server's TLS material ({@code *.tls.*}): PEM files, both or neither.
 *
 * @param certFile the certificate chain
 * @param keyFile the private key (PKCS#8)
 */
public record ServerTls(String certFile, String keyFile) implements Validatable {
  /** No TLS: plaintext. */
  public static final ServerTls NONE = new ServerTls(null, null);

  /** Whether TLS is configured. */
  public boolean enabled() {
    return certFile != null && keyFile != null;
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
  }
}
