package interop;

import java.io.File;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.xml.namespace.QName;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.Service;
import javax.xml.ws.WebEndpoint;
import javax.xml.ws.WebServiceClient;
import javax.xml.ws.handler.Handler;
import javax.xml.ws.soap.AddressingFeature;
import javax.xml.ws.soap.SOAPFaultException;

import com.sun.xml.ws.api.WSBinding;
import com.sun.xml.ws.api.message.Headers;
import com.sun.xml.ws.developer.JAXWSProperties;
import com.sun.xml.ws.developer.WSBindingProvider;

import org.apache.ws.security.components.crypto.Merlin;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Java vendor's client: the wsimport-generated service of each endpoint, JAX-WS RI with
 * WS-Addressing (from the WSDL's wsam:Addressing policy, else AddressingFeature(true, true)),
 * wsa:From carrying the school's OIN as an outbound header, mutual TLS from the party's key and
 * the trust bundle, and in 2W-be-S a WSS4J handler signing every request.
 *
 * <p>{@code Client scenario.json}: runs every call of the scenario in order and prints one JSON
 * line per call. A string value "${id:Element}" in a request is the text of the first Element
 * in the reply of the earlier call id.
 */
public final class Client {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^:}]+):([^}]+)}");
    private static final Pattern CODE = Pattern.compile("^\\s*([A-Z]{0,4}-?[0-9]{4}):");

    private static final class Endpoint {
        ClassLoader loader;
        Object port;
        Class<?> sei;
        String addressing;
        Handlers.Sign sign;
        Handlers.Tamper tamper;
    }

    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private final Map<String, Path> replies = new LinkedHashMap<>();
    private final Path out;
    private final SSLContext tls;
    private final Merlin crypto;
    private final String oin;

    private Client(Map<String, Object> scenario) throws Exception {
        out = Path.of((String) scenario.get("out"));
        Files.createDirectories(out);
        KeyStore keys = Pem.keyStore(Path.of((String) scenario.get("key")), Path.of((String) scenario.get("chain")));
        KeyStore trust = Pem.trustStore(Path.of((String) scenario.get("trust")));
        tls = Pem.sslContext(keys, trust);
        // The generated Service reads the WSDL from its URL at start-up: that fetch uses the default.
        HttpsURLConnection.setDefaultSSLSocketFactory(tls.getSocketFactory());
        crypto = new Merlin();
        crypto.setKeyStore(keys);
        crypto.setTrustStore(trust);
        oin = (String) scenario.get("oin");
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Map<String, Object> scenario = (Map<String, Object>) Json.parse(Files.readString(Path.of(args[0])));
        Client client = new Client(scenario);
        for (Object s : (List<Object>) scenario.get("services")) {
            Map<String, Object> service = (Map<String, Object>) s;
            String key = service.get("service") + "/" + service.get("profile");
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("kind", "endpoint");
            line.put("endpoint", key);
            try {
                Endpoint e = client.open(service);
                line.put("sei", e.sei.getName());
                line.put("addressing", e.addressing);
                client.endpoints.put(key, e);
            } catch (Exception e) {
                line.put("error", describe(e));
            }
            System.out.println(Json.write(line));
        }
        for (Object c : (List<Object>) scenario.get("calls")) {
            System.out.println(Json.write(client.call((Map<String, Object>) c)));
            System.out.flush();
        }
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(e.getClass().getName() + ": " + e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append(" | caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
        }
        return s.toString();
    }

    private static Class<?> serviceClass(Path classes, ClassLoader loader) throws Exception {
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String rel = classes.relativize(p).toString();
                if (!rel.endsWith(".class") || rel.contains("$")) {
                    continue;
                }
                Class<?> c = Class.forName(rel.substring(0, rel.length() - 6).replace(File.separatorChar, '.'), false, loader);
                if (Service.class.isAssignableFrom(c) && c.getAnnotation(WebServiceClient.class) != null) {
                    found.add(c);
                }
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException("expected one generated service class in " + classes + ", found " + found);
        }
        return found.get(0);
    }

    private Endpoint open(Map<String, Object> spec) throws Exception {
        Endpoint e = new Endpoint();
        Path classes = Path.of((String) spec.get("classes"));
        e.loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, Client.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(e.loader);
        Class<?> serviceClass = serviceClass(classes, e.loader);
        WebServiceClient annotation = serviceClass.getAnnotation(WebServiceClient.class);
        Service service = (Service) serviceClass.getConstructor(URL.class, QName.class)
                .newInstance(new URL((String) spec.get("wsdl")), new QName(annotation.targetNamespace(), annotation.name()));
        List<QName> ports = new ArrayList<>();
        for (Iterator<QName> i = service.getPorts(); i.hasNext();) {
            ports.add(i.next());
        }
        if (ports.size() != 1) {
            throw new IllegalStateException("the served WSDL should have one port, has " + ports);
        }
        QName portName = ports.get(0);
        for (Method m : serviceClass.getMethods()) {
            WebEndpoint we = m.getAnnotation(WebEndpoint.class);
            if (we != null && we.name().equals(portName.getLocalPart()) && m.getParameterCount() == 0) {
                e.sei = m.getReturnType();
            }
        }
        if (e.sei == null) {
            throw new IllegalStateException("no port getter for " + portName + " on " + serviceClass.getName());
        }
        Object port = service.getPort(portName, e.sei);
        if (((WSBinding) ((BindingProvider) port).getBinding()).isFeatureEnabled(AddressingFeature.class)) {
            e.addressing = "wsdl";
        } else {
            port = service.getPort(portName, e.sei, new AddressingFeature(true, true));
            e.addressing = "AddressingFeature(true, true)";
        }
        BindingProvider bp = (BindingProvider) port;
        bp.getRequestContext().put(JAXWSProperties.SSL_SOCKET_FACTORY, tls.getSocketFactory());
        // wsa:From with the school's OIN, on every request (required on state-changing operations).
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
        Element from = doc.createElementNS(Handlers.WSA, "wsa:From");
        Element address = doc.createElementNS(Handlers.WSA, "wsa:Address");
        address.setTextContent("http://www.w3.org/2005/08/addressing/anonymous?oin=" + oin);
        from.appendChild(address);
        ((WSBindingProvider) port).setOutboundHeaders(Headers.create(from));
        @SuppressWarnings("rawtypes")
        List<Handler> chain = new ArrayList<>();
        if (Boolean.TRUE.equals(spec.get("signed"))) {
            e.sign = new Handlers.Sign(crypto, Pem.ALIAS, new String(Pem.PASSWORD));
            e.tamper = new Handlers.Tamper();
            chain.add(e.sign);
            chain.add(e.tamper);
        }
        chain.add(new Handlers.Capture());
        bp.getBinding().setHandlerChain(chain);
        e.port = port;
        return e;
    }

    @SuppressWarnings("unchecked")
    private Object resolve(Object value) throws Exception {
        if (value instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) value).entrySet()) {
                out.put(entry.getKey(), resolve(entry.getValue()));
            }
            return out;
        }
        if (value instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object v : (List<Object>) value) {
                out.add(resolve(v));
            }
            return out;
        }
        if (value instanceof String) {
            Matcher m = REFERENCE.matcher((String) value);
            if (m.matches()) {
                Path reply = replies.get(m.group(1));
                if (reply == null) {
                    throw new IllegalArgumentException("no reply of call " + m.group(1));
                }
                NodeList found = parse(reply).getElementsByTagNameNS("*", m.group(2));
                if (found.getLength() == 0) {
                    throw new IllegalArgumentException("no " + m.group(2) + " in the reply of " + m.group(1));
                }
                return found.item(0).getTextContent();
            }
        }
        return value;
    }

    private static Document parse(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        try (InputStream in = Files.newInputStream(file)) {
            return factory.newDocumentBuilder().parse(in);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(Map<String, Object> spec) {
        String id = (String) spec.get("id");
        String key = spec.get("service") + "/" + spec.get("profile");
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("kind", "call");
        line.put("id", id);
        line.put("service", spec.get("service"));
        line.put("operation", spec.get("operation"));
        line.put("profile", spec.get("profile"));
        line.put("tamper", Boolean.TRUE.equals(spec.get("tamper")));
        Path request = out.resolve(id + ".request.xml");
        Path reply = out.resolve(id + ".reply.xml");
        Endpoint e = endpoints.get(key);
        if (e == null) {
            line.put("outcome", "error");
            line.put("error", "endpoint " + key + " did not open");
            return line;
        }
        try {
            Files.deleteIfExists(request);
            Files.deleteIfExists(reply);
        } catch (Exception ignored) {
            // nothing to delete
        }
        Thread.currentThread().setContextClassLoader(e.loader);
        Map<String, Object> context = ((BindingProvider) e.port).getRequestContext();
        context.put(Handlers.TAMPER, Boolean.TRUE.equals(spec.get("tamper")));
        context.put(Handlers.REQUEST_FILE, request.toString());
        context.put(Handlers.REPLY_FILE, reply.toString());
        if (e.sign != null) {
            e.sign.lastSignatureValue = null;
            e.tamper.lastChange = null;
        }
        long start = System.nanoTime();
        try {
            Method method = Bind.operation(e.sei, (String) spec.get("operation"));
            Map<String, Object> input = (Map<String, Object>) resolve(spec.getOrDefault("input", Map.of()));
            Object[] args = Bind.arguments(method, input);
            Object returned;
            try {
                returned = method.invoke(e.port, args);
            } catch (InvocationTargetException ite) {
                throw ite.getCause();
            }
            line.put("outcome", "ok");
            line.put("result", Bind.result(method, args, returned));
        } catch (SOAPFaultException fault) {
            line.put("outcome", "fault");
            fault(line, fault.getFault().getFaultCode(), fault.getFault().getFaultString());
        } catch (Throwable t) {
            if (hasFaultInfo(t)) {  // a wsdl:fault, mapped by wsimport to a checked exception
                line.put("outcome", "fault");
                line.put("fault_class", t.getClass().getSimpleName());
                fault(line, null, t.getMessage());
                try {
                    line.put("fault_detail", Bind.describe(t.getClass().getMethod("getFaultInfo").invoke(t)));
                } catch (ReflectiveOperationException ignored) {
                    // no detail
                }
            } else {
                line.put("outcome", "error");
                line.put("error", describe(t));
            }
        }
        line.put("ms", (System.nanoTime() - start) / 1_000_000);
        if (Files.exists(request)) {
            line.put("request", request.toString());
        }
        if (Files.exists(reply)) {
            line.put("reply", reply.toString());
            replies.put(id, reply);
        }
        if (e.sign != null) {
            line.put("signature_value", e.sign.lastSignatureValueBase64());
            line.put("signed_parts", e.sign.lastSignedParts);
            if (e.tamper.lastChange != null) {
                line.put("tampered", e.tamper.lastChange);
            }
        }
        return line;
    }

    private static boolean hasFaultInfo(Throwable t) {
        try {
            t.getClass().getMethod("getFaultInfo");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static void fault(Map<String, Object> line, String faultcode, String faultstring) {
        if (faultcode != null) {
            line.put("faultcode", faultcode);
        }
        line.put("faultstring", faultstring);
        Matcher m = CODE.matcher(faultstring == null ? "" : faultstring);
        line.put("fault_code", m.find() ? m.group(1) : null);
    }

    static String text(Path file) throws Exception {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
