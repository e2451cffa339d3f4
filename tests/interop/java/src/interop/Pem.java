package interop;

import java.io.ByteArrayInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Key material from the party's PEM files, as a vendor loads its PKIoverheid certificate.
 *
 * <p>The dev PKI's password-less .p12 keeps its key in an unencrypted PKCS#12 KeyBag, which the
 * JDK's PKCS12 KeyStore does not read (it lists 0 entries), so the key and chain come from the
 * PEM files (key.pem is PKCS#8) into an in-memory KeyStore.
 */
public final class Pem {
    public static final char[] PASSWORD = "changeit".toCharArray();
    public static final String ALIAS = "client";

    private Pem() {}

    public static List<X509Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    public static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = new String(Files.readAllBytes(pem), StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new GeneralSecurityException(pem + ": expected a PKCS#8 'BEGIN PRIVATE KEY' block");
        }
        String body = text.substring(text.indexOf("-----BEGIN PRIVATE KEY-----") + 27, text.indexOf("-----END PRIVATE KEY-----"));
        byte[] der = Base64.getMimeDecoder().decode(body);
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(pem + ": neither an RSA nor an EC key");
    }

    /** A PKCS12 KeyStore with one key entry (alias "client", password "changeit"): key and chain. */
    public static KeyStore keyStore(Path key, Path chain) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ALIAS, privateKey(key), PASSWORD, certificates(chain).toArray(new Certificate[0]));
        return store;
    }

    /** A PKCS12 KeyStore with every certificate of the bundle as a trusted entry. */
    public static KeyStore trustStore(Path bundle) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (X509Certificate c : certificates(bundle)) {
            store.setCertificateEntry("ca" + i++, c);
        }
        return store;
    }

    /** Mutual TLS: our key and chain, trusting only the bundle. */
    public static SSLContext sslContext(KeyStore keys, KeyStore trust) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /** {@code Pem key.pem chain.pem trust-bundle.pem keystore.p12 truststore.p12}: files for wsimport's JVM. */
    public static void main(String[] args) throws Exception {
        write(keyStore(Path.of(args[0]), Path.of(args[1])), Path.of(args[3]));
        write(trustStore(Path.of(args[2])), Path.of(args[4]));
    }

    private static void write(KeyStore store, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = new FileOutputStream(file.toFile())) {
            store.store(out, PASSWORD);
        }
    }
}
