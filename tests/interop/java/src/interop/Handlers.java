package interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import javax.xml.namespace.QName;
import javax.xml.soap.SOAPMessage;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.handler.soap.SOAPHandler;
import javax.xml.ws.handler.soap.SOAPMessageContext;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.components.crypto.Crypto;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** The SOAP handlers a Java vendor puts on the port: WSS4J signing, (for the test) tampering, capture. */
public final class Handlers {
    public static final String WSA = "http://www.w3.org/2005/08/addressing";
    /** Not in WSS4J 1.6's WSConstants (its default is rsa-sha1, which WUS refuses). */
    public static final String RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    public static final QName SECURITY = new QName(WSConstants.WSSE_NS, WSConstants.WSSE_LN);
    /** Request context keys, read by the handlers from the message context. */
    public static final String TAMPER = "interop.tamper";
    public static final String REQUEST_FILE = "interop.requestFile";
    public static final String REPLY_FILE = "interop.replyFile";

    private Handlers() {}

    private static boolean outbound(MessageContext context) {
        return Boolean.TRUE.equals(context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY));
    }

    static List<Element> children(Node parent) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                out.add((Element) n);
            }
        }
        return out;
    }

    static Element child(Node parent, String ns, String local) {
        for (Element e : children(parent)) {
            if (ns.equals(e.getNamespaceURI()) && local.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    /**
     * 2W-be-S: WSS4J on the SAAJ DOM, outbound. Security header, Timestamp, X.509 token referenced
     * directly, RSA-SHA256 and SHA-256 (WSS4J 1.6 defaults to SHA-1, which WUS refuses), WSS4J's
     * default exclusive c14n with InclusiveNamespaces; references Body, Timestamp and every
     * WS-Addressing header. Declares wsse:Security as understood so that the server's signed reply
     * (mustUnderstand="1") passes JAX-WS's MustUnderstand check.
     */
    public static final class Sign implements SOAPHandler<SOAPMessageContext> {
        private final Crypto crypto;
        private final String alias;
        private final String password;
        public volatile byte[] lastSignatureValue;
        public volatile List<String> lastSignedParts;

        public Sign(Crypto crypto, String alias, String password) {
            this.crypto = crypto;
            this.alias = alias;
            this.password = password;
        }

        @Override
        public Set<QName> getHeaders() {
            return Collections.singleton(SECURITY);
        }

        @Override
        public boolean handleMessage(SOAPMessageContext context) {
            if (!outbound(context)) {
                return true;
            }
            try {
                // WSS4J 1.6 cannot work on the SOAPPart of SAAJ 1.4 (Java 11+) directly: its DOM
                // wraps another one, and xmlsec fails with WRONG_DOCUMENT_ERR. So sign a plain DOM
                // copy of the envelope and hand JAX-WS the signed message instead.
                Document doc = Xml.parse(Xml.bytes(context.getMessage()));
                Element envelope = doc.getDocumentElement();
                String soapNs = envelope.getNamespaceURI();
                WSSecHeader header = new WSSecHeader();
                header.setMustUnderstand(true);
                header.insertSecurityHeader(doc);
                WSSecTimestamp timestamp = new WSSecTimestamp();
                timestamp.setTimeToLive(300);
                timestamp.build(doc, header);

                List<WSEncryptionPart> parts = new ArrayList<>();
                List<String> names = new ArrayList<>();
                parts.add(new WSEncryptionPart(WSConstants.ELEM_BODY, soapNs, "Content"));
                names.add("Body");
                parts.add(new WSEncryptionPart(WSConstants.TIMESTAMP_TOKEN_LN, WSConstants.WSU_NS, ""));
                names.add("Timestamp");
                for (Element h : children(child(envelope, soapNs, "Header"))) {
                    if (WSA.equals(h.getNamespaceURI())) {
                        parts.add(new WSEncryptionPart(h.getLocalName(), WSA, "Element"));
                        names.add(h.getLocalName());
                    }
                }
                WSSecSignature signature = new WSSecSignature();
                signature.setUserInfo(alias, password);
                signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
                signature.setSignatureAlgorithm(RSA_SHA256);
                signature.setDigestAlgo(WSConstants.SHA256);
                signature.setParts(parts);
                signature.build(doc, crypto, header);
                context.setMessage(Xml.message(Xml.bytes(doc)));
                lastSignatureValue = signature.getSignatureValue();
                lastSignedParts = names;
                return true;
            } catch (Exception e) {
                throw new RuntimeException("WSS4J signing failed: " + e, e);
            }
        }

        @Override
        public boolean handleFault(SOAPMessageContext context) {
            return true;
        }

        @Override
        public void close(MessageContext context) {}

        public String lastSignatureValueBase64() {
            return lastSignatureValue == null ? null : Base64.getEncoder().encodeToString(lastSignatureValue);
        }
    }

    /** Runs after signing: when asked, changes one signed Body text (the first one) by one character. */
    public static final class Tamper implements SOAPHandler<SOAPMessageContext> {
        public volatile String lastChange;

        @Override
        public Set<QName> getHeaders() {
            return Collections.emptySet();
        }

        @Override
        public boolean handleMessage(SOAPMessageContext context) {
            if (!outbound(context) || !Boolean.TRUE.equals(context.get(TAMPER))) {
                return true;
            }
            try {
                SOAPMessage message = context.getMessage();
                Node text = firstText(message.getSOAPBody());
                if (text == null) {
                    throw new IllegalStateException("no text in the Body to tamper with");
                }
                String before = text.getNodeValue();
                text.setNodeValue(before + "x");
                lastChange = text.getParentNode().getLocalName() + ": " + before + " -> " + before + "x";
                message.saveChanges();
                return true;
            } catch (Exception e) {
                throw new RuntimeException("tampering failed: " + e, e);
            }
        }

        private static Node firstText(Node node) {
            for (Node n = node.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n.getNodeType() == Node.TEXT_NODE && !n.getNodeValue().trim().isEmpty()) {
                    return n;
                }
                Node found = firstText(n);
                if (found != null) {
                    return found;
                }
            }
            return null;
        }

        @Override
        public boolean handleFault(SOAPMessageContext context) {
            return true;
        }

        @Override
        public void close(MessageContext context) {}
    }

    /** Last on the way out, first on the way in: writes the request and the reply to files. */
    public static final class Capture implements SOAPHandler<SOAPMessageContext> {
        @Override
        public Set<QName> getHeaders() {
            return Collections.emptySet();
        }

        private static boolean write(SOAPMessageContext context) {
            Object file = context.get(outbound(context) ? REQUEST_FILE : REPLY_FILE);
            if (file == null) {
                return true;
            }
            try {
                Files.write(Path.of(file.toString()), Xml.bytes(context.getMessage()));
            } catch (Exception e) {
                throw new RuntimeException("capture failed: " + e, e);
            }
            return true;
        }

        @Override
        public boolean handleMessage(SOAPMessageContext context) {
            return write(context);
        }

        @Override
        public boolean handleFault(SOAPMessageContext context) {
            return write(context);
        }

        @Override
        public void close(MessageContext context) {}
    }
}
