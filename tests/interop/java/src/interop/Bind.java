package interop;

import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.jws.WebMethod;
import javax.jws.WebParam;
import javax.jws.WebResult;
import javax.xml.bind.JAXBElement;
import javax.xml.bind.annotation.XmlAttribute;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlElementRef;
import javax.xml.bind.annotation.XmlType;
import javax.xml.bind.annotation.XmlValue;
import javax.xml.datatype.DatatypeConfigurationException;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.namespace.QName;
import javax.xml.ws.Holder;

/**
 * Calls a wsimport-generated (wrapper style) SEI method by its WSDL operation name, with the
 * request given as element name -> value, and turns what JAX-WS unmarshalled back into
 * element name -> value. This keeps the Java client independent of the generated Java names
 * (which follow the XSD and change with it) while every byte still goes through the generated
 * JAXB classes and the JAX-WS RI runtime.
 */
public final class Bind {
    private static final DatatypeFactory DATATYPES;

    static {
        try {
            DATATYPES = DatatypeFactory.newInstance();
        } catch (DatatypeConfigurationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Bind() {}

    public static Method operation(Class<?> sei, String operation) {
        for (Method m : sei.getMethods()) {
            WebMethod wm = m.getAnnotation(WebMethod.class);
            String name = wm != null && !wm.operationName().isEmpty() ? wm.operationName() : m.getName();
            if (name.equals(operation) && !m.getName().endsWith("Async")) {
                return m;
            }
        }
        throw new IllegalArgumentException("no operation " + operation + " on " + sei.getName());
    }

    /** The arguments for {@code method}: IN values converted from {@code input}, Holders for OUT. */
    public static Object[] arguments(Method method, Map<String, Object> input) throws ReflectiveOperationException {
        Type[] types = method.getGenericParameterTypes();
        Annotation[][] annotations = method.getParameterAnnotations();
        Object[] args = new Object[types.length];
        Set<String> used = new HashSet<>();
        for (int i = 0; i < types.length; i++) {
            WebParam param = find(annotations[i], WebParam.class);
            String name = param.name();
            if (param.mode() == WebParam.Mode.IN) {
                used.add(name);
                args[i] = convert(input.get(name), types[i]);
            } else {
                Holder<Object> holder = new Holder<>();
                if (param.mode() == WebParam.Mode.INOUT) {
                    used.add(name);
                    holder.value = convert(input.get(name), ((ParameterizedType) types[i]).getActualTypeArguments()[0]);
                }
                args[i] = holder;
            }
        }
        for (String key : input.keySet()) {
            if (!used.contains(key)) {
                throw new IllegalArgumentException(method.getName() + " has no request element " + key);
            }
        }
        return args;
    }

    /** What came back: the return value and every OUT/INOUT holder, by element name. */
    public static Map<String, Object> result(Method method, Object[] args, Object returned) {
        Map<String, Object> out = new LinkedHashMap<>();
        WebResult wr = method.getAnnotation(WebResult.class);
        if (method.getReturnType() != void.class) {
            out.put(wr != null ? wr.name() : "return", describe(returned));
        }
        Annotation[][] annotations = method.getParameterAnnotations();
        for (int i = 0; i < args.length; i++) {
            WebParam param = find(annotations[i], WebParam.class);
            if (param.mode() != WebParam.Mode.IN) {
                out.put(param.name(), describe(((Holder<?>) args[i]).value));
            }
        }
        return out;
    }

    private static <A extends Annotation> A find(Annotation[] annotations, Class<A> type) {
        for (Annotation a : annotations) {
            if (type.isInstance(a)) {
                return type.cast(a);
            }
        }
        throw new IllegalStateException("parameter without @" + type.getSimpleName());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(Object value, Type type) throws ReflectiveOperationException {
        if (type instanceof ParameterizedType) {
            ParameterizedType p = (ParameterizedType) type;
            Class<?> raw = (Class<?>) p.getRawType();
            Type item = p.getActualTypeArguments()[0];
            if (List.class.isAssignableFrom(raw)) {
                List<Object> list = new ArrayList<>();
                if (value != null) {
                    for (Object v : value instanceof List ? (List<?>) value : List.of(value)) {
                        list.add(convert(v, item));
                    }
                }
                return list;
            }
            throw new IllegalArgumentException("unsupported type " + type);
        }
        Class<?> c = (Class<?>) type;
        if (value == null) {
            if (c == int.class || c == long.class || c == short.class) {
                throw new IllegalArgumentException("required numeric value missing");
            }
            if (c == boolean.class) {
                return Boolean.FALSE;
            }
            return null;
        }
        String s = value.toString();
        if (c == String.class) {
            return s;
        }
        if (c == Integer.class || c == int.class) {
            return value instanceof Number ? ((Number) value).intValue() : Integer.valueOf(s);
        }
        if (c == Long.class || c == long.class) {
            return value instanceof Number ? ((Number) value).longValue() : Long.valueOf(s);
        }
        if (c == Short.class || c == short.class) {
            return Short.valueOf(s);
        }
        if (c == BigInteger.class) {
            return new BigInteger(s);
        }
        if (c == BigDecimal.class) {
            return new BigDecimal(s);
        }
        if (c == Boolean.class || c == boolean.class) {
            return value instanceof Boolean ? value : Boolean.valueOf(s);
        }
        if (c == XMLGregorianCalendar.class) {
            return DATATYPES.newXMLGregorianCalendar(s);
        }
        if (c == byte[].class) {
            return Base64.getDecoder().decode(s);
        }
        if (c.isEnum()) {
            try {
                return c.getMethod("fromValue", String.class).invoke(null, s);
            } catch (NoSuchMethodException e) {
                return Enum.valueOf((Class<Enum>) c, s);
            }
        }
        if (c.getAnnotation(XmlType.class) != null && value instanceof Map) {
            return populate(c, (Map<String, Object>) value);
        }
        throw new IllegalArgumentException("cannot make a " + c.getName() + " from " + value);
    }

    private static String elementName(Field f) {
        XmlElement e = f.getAnnotation(XmlElement.class);
        if (e != null && !"##default".equals(e.name())) {
            return e.name();
        }
        XmlAttribute a = f.getAnnotation(XmlAttribute.class);
        if (a != null && !"##default".equals(a.name())) {
            return a.name();
        }
        XmlElementRef r = f.getAnnotation(XmlElementRef.class);
        if (r != null && !"##default".equals(r.name())) {
            return r.name();
        }
        if (f.getAnnotation(XmlValue.class) != null) {
            return "value";
        }
        return f.getName();
    }

    private static List<Field> fields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    f.setAccessible(true);
                    out.add(0, f);
                }
            }
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object populate(Class<?> c, Map<String, Object> values) throws ReflectiveOperationException {
        Object bean = c.getDeclaredConstructor().newInstance();
        Set<String> used = new HashSet<>();
        for (Field f : fields(c)) {
            String name = elementName(f);
            String key = values.containsKey(name) ? name : values.containsKey(f.getName()) ? f.getName() : null;
            if (key == null) {
                continue;
            }
            used.add(key);
            Object v = values.get(key);
            if (f.getType() == JAXBElement.class) {
                XmlElementRef ref = f.getAnnotation(XmlElementRef.class);
                Type inner = ((ParameterizedType) f.getGenericType()).getActualTypeArguments()[0];
                Object converted = convert(v, inner);
                f.set(bean, new JAXBElement(new QName(ref.namespace(), ref.name()), (Class) inner, converted));
            } else {
                f.set(bean, convert(v, f.getGenericType()));
            }
        }
        for (String key : values.keySet()) {
            if (!used.contains(key)) {
                throw new IllegalArgumentException(c.getSimpleName() + " has no element " + key);
            }
        }
        return bean;
    }

    /** JAXB value -> JSON-able value (element names as keys). */
    public static Object describe(Object value) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof XMLGregorianCalendar) {
            return ((XMLGregorianCalendar) value).toXMLFormat();
        }
        if (value instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) value);
        }
        if (value instanceof JAXBElement) {
            return describe(((JAXBElement<?>) value).getValue());
        }
        if (value instanceof Holder) {
            return describe(((Holder<?>) value).value);
        }
        if (value instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object v : (List<?>) value) {
                out.add(describe(v));
            }
            return out;
        }
        if (value instanceof Enum) {
            try {
                return value.getClass().getMethod("value").invoke(value);
            } catch (ReflectiveOperationException e) {
                return ((Enum<?>) value).name();
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : fields(value.getClass())) {
            try {
                Object v = f.get(value);
                if (v != null) {
                    out.put(elementName(f), describe(v));
                }
            } catch (IllegalAccessException e) {
                out.put(f.getName(), "<" + e + ">");
            }
        }
        return out;
    }
}
