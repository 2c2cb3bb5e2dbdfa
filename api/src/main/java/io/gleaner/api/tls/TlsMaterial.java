package io.gleaner.api.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A PEM certificate chain and its private key: what a TLS endpoint presents. */
public record TlsMaterial(String certificatePem, String privateKeyPem) {
  public TlsMaterial {
    if (certificatePem == null || !certificatePem.contains("BEGIN CERTIFICATE")) {
      throw new IllegalArgumentException("the certificate is not a PEM certificate");
    }
    if (privateKeyPem == null || !privateKeyPem.contains("PRIVATE KEY")) {
      throw new IllegalArgumentException("the key is not a PEM private key");
    }
  }

  /** Reads {@code cert} and {@code key} (a mounted {@code kubernetes.io/tls} Secret). */
  public static TlsMaterial fromFiles(Path cert, Path key) {
    try {
      return new TlsMaterial(Files.readString(cert), Files.readString(key));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the TLS files " + cert + " / " + key + ": " + e.getMessage(), e);
    }
  }
}
