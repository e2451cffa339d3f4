package interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Merlin;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Independent check of a signed reply with WSS4J's own inbound processing:
 * {@code Verify trust-bundle.pem reply...} prints one JSON line per file, {"file", "ok", "reason"}.
 *
 * <p>OK means: WSS4J verified the signature with the BinarySecurityToken's certificate, and that
 * certificate chains to the trust bundle; the Timestamp is present and signed, and so are the Body
 * and every WS-Addressing header. (Freshness is not judged here: the files may be read later.)
 */
public final class Verify {
    private Verify() {}

    public static void main(String[] args) throws Exception {
        KeyStore trust = Pem.trustStore(Path.of(args[0]));
        Merlin crypto = new Merlin();
        crypto.setTrustStore(trust);
        for (int i = 1; i < args.length; i++) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("file", args[i]);
            String reason;
            try {
                reason = verify(Files.readAllBytes(Path.of(args[i])), crypto);
            } catch (Exception e) {
                reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            line.put("ok", reason == null);
            line.put("reason", reason);
            System.out.println(Json.write(line));
        }
    }

    static String verify(byte[] reply, Merlin crypto) throws Exception {
        Document doc = Xml.parse(reply);
        Element envelope = doc.getDocumentElement();
        String soapNs = envelope.getNamespaceURI();
        Element header = Handlers.child(envelope, soapNs, "Header");
        Element body = Handlers.child(envelope, soapNs, "Body");
        if (header == null || Handlers.child(header, WSConstants.WSSE_NS, WSConstants.WSSE_LN) == null) {
            return "no wsse:Security header";
        }
        WSSConfig config = WSSConfig.getNewInstance();
        config.setTimeStampStrict(false);
        config.setTimeStampTTL(Integer.MAX_VALUE / 2);
        WSSecurityEngine engine = new WSSecurityEngine();
        engine.setWssConfig(config);
        List<WSSecurityEngineResult> results = engine.processSecurityHeader(doc, null, null, crypto);
        if (results == null || results.isEmpty()) {
            return "WSS4J found nothing to process";
        }
        List<Element> signed = new ArrayList<>();
        boolean signature = false;
        boolean timestamp = false;
        for (WSSecurityEngineResult r : results) {
            int action = (Integer) r.get(WSSecurityEngineResult.TAG_ACTION);
            if (action == WSConstants.SIGN) {
                signature = true;
                @SuppressWarnings("unchecked")
                List<WSDataRef> refs = (List<WSDataRef>) r.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
                for (WSDataRef ref : refs) {
                    signed.add(ref.getProtectedElement());
                }
            } else if (action == WSConstants.TS) {
                timestamp = true;
            }
        }
        if (!signature) {
            return "no signature";
        }
        if (!timestamp) {
            return "no Timestamp";
        }
        List<String> missing = new ArrayList<>();
        if (!signed.contains(body)) {
            missing.add("Body");
        }
        Element security = Handlers.child(header, WSConstants.WSSE_NS, WSConstants.WSSE_LN);
        Element ts = Handlers.child(security, WSConstants.WSU_NS, WSConstants.TIMESTAMP_TOKEN_LN);
        if (!signed.contains(ts)) {
            missing.add("Timestamp");
        }
        for (Element h : Handlers.children(header)) {
            if (Handlers.WSA.equals(h.getNamespaceURI()) && !signed.contains(h)) {
                missing.add("wsa:" + h.getLocalName());
            }
        }
        return missing.isEmpty() ? null : "not signed: " + String.join(", ", missing);
    }
}
