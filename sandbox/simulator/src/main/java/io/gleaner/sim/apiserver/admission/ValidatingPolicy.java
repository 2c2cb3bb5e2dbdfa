package io.gleaner.sim.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code admissionregistration.k8s.io/v1} ValidatingAdmissionPolicy, compiled with CEL and
 * evaluated as kube-apiserver does: {@code matchConstraints.resourceRules} (and {@code
 * excludeResourceRules}) select the request, then every {@code matchConditions} expression must be
 * true, then {@code variables} are computed in order and every {@code validations} expression must
 * be true; a false validation denies with its {@code message} (or {@code messageExpression}, or
 * {@code failed expression: <expression>}) and {@code reason}; an expression that fails to evaluate
 * denies under {@code failurePolicy: Fail} (the default) and is skipped under {@code Ignore}.
 *
 * <p>Only the standard CEL library and macros are available (kube-apiserver adds its own libraries
 * on top); policies with {@code paramKind}, selectors or {@code authorizer} are refused at compile
 * time, so no policy is silently enforced differently.
 */
public final class ValidatingPolicy {
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("object", SimpleType.DYN)
          .addVar("oldObject", SimpleType.DYN)
          .addVar("request", SimpleType.DYN)
          .addVar("namespaceObject", SimpleType.DYN)
          .addVar("params", SimpleType.DYN)
          .addVar("variables", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private record Expr(String field, String source, CelRuntime.Program program) {}

  private record Validation(
      Expr expression, String message, Expr messageExpression, String reason) {}

  private final String name;
  private final boolean failClosed;
  private final List<JsonNode> rules;
  private final List<JsonNode> excludeRules;
  private final List<Expr> matchConditions = new ArrayList<>();
  private final Map<String, Expr> variables = new LinkedHashMap<>();
  private final List<Validation> validations = new ArrayList<>();

  /** The outcome for one request: not selected, allowed, or denied. */
  public record Decision(
      boolean matched, Optional<Denial> denial, Map<String, String> variableErrors) {
    public boolean allowed() {
      return denial.isEmpty();
    }
  }

  private ValidatingPolicy(JsonNode policy) {
    this.name = policy.path("metadata").path("name").asText();
    JsonNode spec = policy.path("spec");
    List<String> problems = new ArrayList<>();
    this.failClosed = !"Ignore".equals(spec.path("failurePolicy").asText("Fail"));
    if (spec.hasNonNull("paramKind")) {
      problems.add("spec.paramKind: parameters are not supported here");
    }
    JsonNode match = spec.path("matchConstraints");
    for (String selector : List.of("namespaceSelector", "objectSelector")) {
      if (match.path(selector).size() > 0) {
        problems.add("spec.matchConstraints." + selector + ": selectors are not supported here");
      }
    }
    this.rules = list(match.path("resourceRules"));
    this.excludeRules = list(match.path("excludeResourceRules"));
    if (rules.isEmpty()) {
      problems.add("spec.matchConstraints.resourceRules: required");
    }
    int i = 0;
    for (JsonNode c : spec.path("matchConditions")) {
      compile("spec.matchConditions[" + i++ + "].expression", c.path("expression"), problems)
          .ifPresent(matchConditions::add);
    }
    i = 0;
    for (JsonNode v : spec.path("variables")) {
      String field = "spec.variables[" + i++ + "].expression";
      compile(field, v.path("expression"), problems)
          .ifPresent(e -> variables.put(v.path("name").asText(), e));
    }
    i = 0;
    for (JsonNode v : spec.path("validations")) {
      String field = "spec.validations[" + i++ + "]";
      Optional<Expr> e = compile(field + ".expression", v.path("expression"), problems);
      Expr message =
          v.hasNonNull("messageExpression")
              ? compile(field + ".messageExpression", v.path("messageExpression"), problems)
                  .orElse(null)
              : null;
      e.ifPresent(
          x ->
              validations.add(
                  new Validation(
                      x,
                      v.hasNonNull("message") ? v.path("message").asText() : null,
                      message,
                      v.path("reason").asText(""))));
    }
    if (validations.isEmpty() && problems.isEmpty()) {
      problems.add("spec.validations: required");
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(name, problems);
    }
  }

  /**
   * Compiles every expression of {@code policy} (a ValidatingAdmissionPolicy as JSON); throws
   * {@link PolicyException} naming each one that does not compile.
   */
  public static ValidatingPolicy compile(JsonNode policy) {
    return new ValidatingPolicy(policy);
  }

  public String name() {
    return name;
  }

  /** How many CEL expressions the policy holds, every one compiled. */
  public int expressions() {
    int n = matchConditions.size() + variables.size();
    for (Validation v : validations) {
      n += v.messageExpression() == null ? 1 : 2;
    }
    return n;
  }

  /** Evaluates the policy for {@code request} through the binding named {@code binding}. */
  public Decision evaluate(AdmissionRequest request, String binding) {
    if (!selects(request)) {
      return new Decision(false, Optional.empty(), Map.of());
    }
    Map<String, Object> activation = new LinkedHashMap<>();
    activation.put("object", CelValues.of(request.object()));
    activation.put("oldObject", CelValues.of(request.oldObject()));
    activation.put("namespaceObject", CelValues.of(request.namespaceObject()));
    activation.put("request", request.celValue());
    activation.put("params", NullValue.NULL_VALUE);
    Map<String, Object> vars = new LinkedHashMap<>();
    activation.put("variables", vars);
    for (Expr c : matchConditions) {
      Object r;
      try {
        r = c.program().eval(activation);
      } catch (CelEvaluationException e) {
        return failed(binding, c, e.getMessage(), Map.of());
      }
      if (!Boolean.TRUE.equals(r)) {
        if (r instanceof Boolean) {
          return new Decision(false, Optional.empty(), Map.of());
        }
        return failed(binding, c, "expected a bool, got " + r, Map.of());
      }
    }
    Map<String, String> variableErrors = new LinkedHashMap<>();
    variables.forEach(
        (n, e) -> {
          try {
            vars.put(n, e.program().eval(activation));
          } catch (CelEvaluationException ex) {
            // left out: an expression that uses it fails as kube-apiserver's lazy variable would
            variableErrors.put(n, ex.getMessage());
          }
        });
    for (Validation v : validations) {
      Object r;
      try {
        r = v.expression().program().eval(activation);
      } catch (CelEvaluationException e) {
        Decision d = failed(binding, v.expression(), e.getMessage(), variableErrors);
        if (d.denial().isPresent()) {
          return d;
        }
        continue;
      }
      if (!Boolean.TRUE.equals(r)) {
        return new Decision(
            true,
            Optional.of(new Denial(name, binding, message(v, activation), v.reason())),
            variableErrors);
      }
    }
    return new Decision(true, Optional.empty(), variableErrors);
  }

  private Decision failed(
      String binding, Expr e, String error, Map<String, String> variableErrors) {
    if (!failClosed) {
      return new Decision(true, Optional.empty(), variableErrors);
    }
    return new Decision(
        true,
        Optional.of(
            new Denial(
                name,
                binding,
                "expression '" + e.source() + "' resulted in error: " + error,
                "Invalid")),
        variableErrors);
  }

  private static String message(Validation v, Map<String, Object> activation) {
    if (v.messageExpression() != null) {
      try {
        Object m = v.messageExpression().program().eval(activation);
        if (m instanceof String s && !s.isBlank()) {
          return s;
        }
      } catch (CelEvaluationException e) {
        // kube-apiserver falls back to the static message
      }
    }
    return v.message() != null ? v.message() : "failed expression: " + v.expression().source();
  }

  /** {@code matchConstraints}: a resource rule selects the request and no exclude rule does. */
  public boolean selects(AdmissionRequest r) {
    return rules.stream().anyMatch(rule -> ruleMatches(rule, r))
        && excludeRules.stream().noneMatch(rule -> ruleMatches(rule, r));
  }

  private static boolean ruleMatches(JsonNode rule, AdmissionRequest r) {
    return contains(rule.path("apiGroups"), r.group())
        && contains(rule.path("apiVersions"), r.version())
        && contains(rule.path("operations"), r.operation())
        && resourceMatches(rule.path("resources"), r.resource(), r.subResource());
  }

  private static boolean contains(JsonNode list, String value) {
    for (JsonNode v : list) {
      if (v.asText().equals("*") || v.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** {@code pods}, {@code pods/eviction}, {@code pods/*}, {@code *}, {@code *}{@code /status}. */
  private static boolean resourceMatches(JsonNode resources, String resource, String sub) {
    for (JsonNode v : resources) {
      String[] p = v.asText().split("/", 2);
      boolean res = p[0].equals("*") || p[0].equals(resource);
      boolean subOk = p.length == 1 ? sub.isEmpty() : p[1].equals("*") || p[1].equals(sub);
      if (res && subOk) {
        return true;
      }
    }
    return false;
  }

  private static Optional<Expr> compile(String field, JsonNode source, List<String> problems) {
    if (!source.isTextual() || source.asText().isBlank()) {
      problems.add(field + ": required");
      return Optional.empty();
    }
    String text = source.asText();
    CelValidationResult result = COMPILER.compile(text);
    if (result.hasError()) {
      problems.add(field + ": " + result.getErrorString());
      return Optional.empty();
    }
    try {
      CelAbstractSyntaxTree ast = result.getAst();
      return Optional.of(new Expr(field, text, RUNTIME.createProgram(ast)));
    } catch (Exception e) {
      problems.add(field + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  private static List<JsonNode> list(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }
}
