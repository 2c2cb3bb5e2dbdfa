package io.gleaner.meta.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.gleaner.meta.time.Durations;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Function;

/**
 * Jackson bindings for config value types written as strings: {@link Duration} in the {@link
 * Durations} notation ({@code 10m}) and {@link HostPort} ({@code 0.0.0.0:8080}). A bad string fails
 * with a message that quotes it; {@link ConfigLoader} prefixes the key path.
 */
public final class ConfigModule extends SimpleModule {
  private static final long serialVersionUID = 1L;

  public ConfigModule() {
    super("gleaner-config");
    addStringType(
        Duration.class,
        "a duration like 250ms, 90s, 10m or 1h30m",
        Durations::parse,
        Durations::format);
    addStringType(
        HostPort.class,
        "an address host:port like 0.0.0.0:8080",
        HostPort::parse,
        HostPort::toString);
    addStringType(
        Instant.class,
        "an RFC 3339 instant like 2026-01-02T08:00:00Z",
        ConfigModule::parseInstant,
        Instant::toString);
  }

  private static Instant parseInstant(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "invalid instant \"" + text + "\" (expected RFC 3339, e.g. 2026-01-02T08:00:00Z)");
    }
  }

  /**
   * Binds a value type written as one string in config, e.g. a Kubernetes quantity.
   *
   * @param expected what a valid value looks like, for error messages
   * @param parse throws {@link IllegalArgumentException} with a message that quotes the bad input
   */
  public <T> ConfigModule addStringType(
      Class<T> type, String expected, Function<String, T> parse, Function<T, String> format) {
    addDeserializer(
        type,
        new JsonDeserializer<T>() {
          @Override
          public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token != JsonToken.VALUE_STRING
                && token != JsonToken.VALUE_NUMBER_INT
                && token != JsonToken.VALUE_NUMBER_FLOAT) {
              throw JsonMappingException.from(
                  p, "expected " + expected + ", got " + ConfigLoader.describeToken(token));
            }
            String text = p.getText();
            try {
              return parse.apply(text);
            } catch (IllegalArgumentException e) {
              throw JsonMappingException.from(p, e.getMessage());
            }
          }
        });
    addSerializer(
        type,
        new JsonSerializer<T>() {
          @Override
          public void serialize(T value, JsonGenerator gen, SerializerProvider serializers)
              throws IOException {
            gen.writeString(format.apply(value));
          }
        });
    return this;
  }
}
