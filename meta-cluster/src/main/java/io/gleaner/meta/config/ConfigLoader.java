package io.gleaner.meta.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Loads a typed config (a tree of records) from one YAML file plus key overrides.
 *
 * <p>Precedence: overrides &gt; file &gt; defaults. The defaults are a fully populated instance of
 * the config type; the file's tree is merged over them section by section (a key left out, or set
 * to {@code null}, keeps its default; lists and scalars replace), then each override {@code
 * key.path=value} is applied in order. Override values are read as YAML scalars, so {@code 8080} is
 * a number, {@code true} a boolean and {@code 10m} a string.
 *
 * <p>Errors name the key path: an unknown key ({@code unknown key "broker.grpcc"}), a wrong type
 * ({@code broker.grpc.port: expected an integer, got "abc"}), a bad duration, or a {@link
 * Validatable#validate} problem. All are {@link ConfigException}s.
 *
 * @param <T> the config root, a record
 */
public final class ConfigLoader<T> {
  private final Class<T> type;
  private final T defaults;
  private final ObjectMapper yaml;
  private final ObjectMapper binder;

  /** A loader for {@code type} with the standard value types of {@link ConfigModule}. */
  public ConfigLoader(Class<T> type, T defaults) {
    this(type, defaults, List.of());
  }

  /**
   * A loader with extra Jackson modules, e.g. a {@link ConfigModule#addStringType} for Kubernetes
   * quantities.
   */
  public ConfigLoader(Class<T> type, T defaults, List<? extends Module> extraModules) {
    this.type = Objects.requireNonNull(type, "type");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    this.yaml =
        configure(
            YAMLMapper.builder(
                YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build()),
            extraModules);
    this.binder = configure(JsonMapper.builder(), extraModules);
  }

  private static ObjectMapper configure(
      com.fasterxml.jackson.databind.cfg.MapperBuilder<?, ?> builder,
      List<? extends Module> modules) {
    builder.addModule(new ConfigModule());
    modules.forEach(builder::addModule);
    return builder
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .defaultPropertyInclusion(
            JsonInclude.Value.construct(JsonInclude.Include.ALWAYS, JsonInclude.Include.ALWAYS))
        .build();
  }

  /** The defaults, validated. */
  public T defaults() {
    return load((Path) null, Map.of());
  }

  /**
   * Loads {@code file} (null for none) and applies {@code overrides} ({@code key.path → value},
   * applied in iteration order, so pass a {@link java.util.LinkedHashMap}).
   *
   * @throws ConfigException naming the file or the key for any problem
   */
  public T load(Path file, Map<String, String> overrides) {
    ObjectNode fileTree = file == null ? JsonNodeFactory.instance.objectNode() : readFile(file);
    return bind(fileTree, overrides, file == null ? null : file.toString());
  }

  /** Like {@link #load(Path, Map)} from YAML text; handy in tests. */
  public T loadYaml(String yamlText, Map<String, String> overrides) {
    return bind(parseYaml(yamlText, "<yaml>"), overrides, null);
  }

  /** Like {@link #loadYaml(String, Map)} without overrides. */
  public T loadYaml(String yamlText) {
    return loadYaml(yamlText, Map.of());
  }

  /** Renders {@code config} as YAML, every key included; for logging the effective config. */
  public String toYaml(T config) {
    try {
      return yaml.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render config: " + e.getMessage(), e);
    }
  }

  /** The mapper this loader reads YAML with. */
  public ObjectMapper yamlMapper() {
    return yaml;
  }

  private T bind(ObjectNode userTree, Map<String, String> overrides, String source) {
    ObjectNode tree = binder.valueToTree(defaults);
    merge(tree, userTree);
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      applyOverride(tree, e.getKey(), e.getValue());
    }
    T config;
    try {
      config = binder.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      throw new ConfigException((source == null ? "" : source + ": ") + describe(e), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigException((source == null ? "" : source + ": ") + e.getMessage(), e);
    }
    Problems problems = Problems.root();
    validateTree(config, problems);
    problems.throwIfAny();
    return config;
  }

  private ObjectNode readFile(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e, e);
    }
    return parseYaml(text, file.toString());
  }

  private ObjectNode parseYaml(String text, String source) {
    JsonNode node;
    try {
      node = yaml.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where =
          loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
      throw new ConfigException(
          source + ": not valid YAML" + where + ": " + e.getOriginalMessage(), e);
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!node.isObject()) {
      throw new ConfigException(
          source + ": expected a mapping of keys at the top level, got " + describeNode(node));
    }
    return (ObjectNode) node;
  }

  /**
   * Merges {@code overlay} into {@code base}: objects merge recursively, null keeps the base value,
   * the rest replaces.
   */
  private static void merge(ObjectNode base, ObjectNode overlay) {
    for (Map.Entry<String, JsonNode> field : overlay.properties()) {
      JsonNode value = field.getValue();
      JsonNode existing = base.get(field.getKey());
      boolean empty =
          value.isNull()
              || (value.isTextual()
                  && value.asText().isEmpty()
                  && existing != null
                  && existing.isObject());
      if (empty && existing != null) {
        continue; // "key:" or "key: ~" keeps the default
      }
      if (value.isObject() && existing != null && existing.isObject()) {
        merge((ObjectNode) existing, (ObjectNode) value);
      } else {
        base.set(field.getKey(), value);
      }
    }
  }

  private void applyOverride(ObjectNode tree, String keyPath, String value) {
    String what = "--set " + keyPath + "=" + value;
    if (keyPath == null
        || keyPath.isBlank()
        || keyPath.startsWith(".")
        || keyPath.endsWith(".")
        || keyPath.contains("..")) {
      throw new ConfigException(
          what + ": \"" + keyPath + "\" is not a key path like broker.grpc.port");
    }
    String[] keys = keyPath.split("\\.");
    checkKeyPath(keys, what);
    ObjectNode node = tree;
    for (int i = 0; i < keys.length - 1; i++) {
      JsonNode child = node.get(keys[i]);
      if (child == null || child.isNull()) {
        child = node.putObject(keys[i]);
      } else if (!child.isObject()) {
        throw new ConfigException(
            what
                + ": "
                + String.join(".", Arrays.copyOf(keys, i + 1))
                + " is a value, not a section");
      }
      node = (ObjectNode) child;
    }
    node.set(keys[keys.length - 1], scalar(value));
  }

  private JsonNode scalar(String value) {
    if (value == null) {
      return NullNode.instance;
    }
    try {
      JsonNode parsed = yaml.readTree(value);
      if (parsed == null || parsed.isMissingNode()) {
        return TextNode.valueOf(value);
      }
      return parsed.isObject() && !value.strip().startsWith("{") ? TextNode.valueOf(value) : parsed;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(value);
    }
  }

  /**
   * Checks that {@code keys} names a key of the config type, so a typo in an override names itself.
   */
  private void checkKeyPath(String[] keys, String what) {
    Type current = type;
    for (int i = 0; i < keys.length; i++) {
      Class<?> raw = rawClass(current);
      String soFar = String.join(".", Arrays.copyOf(keys, i + 1));
      if (raw != null && raw.isRecord()) {
        RecordComponent match = null;
        for (RecordComponent c : raw.getRecordComponents()) {
          if (c.getName().equals(keys[i])) {
            match = c;
          }
        }
        if (match == null) {
          String parent =
              i == 0 ? "the top level" : "\"" + String.join(".", Arrays.copyOf(keys, i)) + "\"";
          throw new ConfigException(
              what
                  + ": unknown key \""
                  + soFar
                  + "\" (keys at "
                  + parent
                  + ": "
                  + Arrays.stream(raw.getRecordComponents())
                      .map(RecordComponent::getName)
                      .sorted()
                      .collect(Collectors.joining(", "))
                  + ")");
        }
        current = match.getGenericType();
      } else if (raw != null && Map.class.isAssignableFrom(raw)) {
        current =
            current instanceof ParameterizedType p ? p.getActualTypeArguments()[1] : Object.class;
      } else if (i < keys.length) {
        if (raw == Object.class || raw == null || raw == JsonNode.class) {
          return;
        }
        throw new ConfigException(
            what
                + ": \""
                + String.join(".", Arrays.copyOf(keys, i))
                + "\" is a value, not a section");
      }
    }
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return null;
  }

  private static void validateTree(Object value, Problems problems) {
    if (value == null) {
      return;
    }
    if (value instanceof Validatable v) {
      v.validate(problems);
    }
    if (value.getClass().isRecord()) {
      for (RecordComponent c : value.getClass().getRecordComponents()) {
        Object child;
        try {
          child = c.getAccessor().invoke(value);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(
              "cannot read config key " + problems.path(c.getName()), e);
        }
        if (child != null && (child.getClass().isRecord() || child instanceof Map)) {
          validateTree(child, problems.at(c.getName()));
        }
      }
    } else if (value instanceof Map<?, ?> map) {
      map.forEach(
          (k, v) -> {
            if (v != null && v.getClass().isRecord()) {
              validateTree(v, problems.at(String.valueOf(k)));
            }
          });
    }
  }

  // ---- error messages ----

  static String describe(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException u) {
      String path = path(u.getPath());
      Collection<Object> known = u.getKnownPropertyIds();
      String knownText =
          known == null
              ? ""
              : " (known keys here: "
                  + known.stream()
                      .map(String::valueOf)
                      .collect(Collectors.toCollection(TreeSet::new))
                      .stream()
                      .collect(Collectors.joining(", "))
                  + ")";
      return "unknown key \"" + path + "\"" + knownText;
    }
    if (e instanceof InvalidFormatException f) {
      return path(f.getPath())
          + ": expected "
          + expected(f.getTargetType())
          + ", got "
          + showValue(f.getValue());
    }
    if (e instanceof ValueInstantiationException v) {
      Throwable cause = v.getCause() != null ? v.getCause() : v;
      return path(v.getPath()) + ": " + cause.getMessage();
    }
    if (e instanceof MismatchedInputException m) {
      String p = path(m.getPath());
      String msg = m.getOriginalMessage();
      if (m.getTargetType() != null
          && (msg == null || msg.startsWith("Cannot") || msg.startsWith("Unexpected"))) {
        return p
            + ": expected "
            + expected(m.getTargetType())
            + (msg != null && msg.contains("null")
                ? ", got nothing"
                : ", got a value of another type");
      }
      return p + ": " + msg;
    }
    if (e instanceof JsonMappingException m) {
      return path(m.getPath()) + ": " + m.getOriginalMessage();
    }
    return e.getOriginalMessage();
  }

  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "<top level>" : sb.toString();
  }

  private static String expected(Class<?> t) {
    if (t == int.class
        || t == Integer.class
        || t == long.class
        || t == Long.class
        || t == short.class
        || t == Short.class) {
      return "an integer";
    }
    if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
      return "a number";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (t == String.class) {
      return "a string";
    }
    if (t == Duration.class) {
      return "a duration like 250ms, 90s, 10m or 1h30m";
    }
    if (t.isEnum()) {
      return "one of "
          + Arrays.stream(t.getEnumConstants())
              .map(c -> ((Enum<?>) c).name())
              .collect(Collectors.joining(", "));
    }
    if (List.class.isAssignableFrom(t) || t.isArray()) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(t) || t.isRecord()) {
      return "a mapping of keys";
    }
    return "a " + t.getSimpleName();
  }

  private static String showValue(Object value) {
    if (value == null) {
      return "nothing";
    }
    if (value instanceof CharSequence) {
      return "\"" + value + "\"";
    }
    return String.valueOf(value);
  }

  static String describeToken(JsonToken token) {
    if (token == null) {
      return "nothing";
    }
    return switch (token) {
      case START_OBJECT -> "a mapping";
      case START_ARRAY -> "a list";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "nothing";
      default -> "a " + token.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String describeNode(JsonNode node) {
    if (node.isArray()) {
      return "a list";
    }
    if (node.isTextual()) {
      return "the string \"" + node.asText() + "\"";
    }
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
