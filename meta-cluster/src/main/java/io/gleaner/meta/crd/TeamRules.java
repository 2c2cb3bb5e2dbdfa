package io.gleaner.meta.crd;

import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Validation of {@code spec.teams} and its typed form, {@link Teams}. */
final class TeamRules {
  private TeamRules() {}

  static void validate(List<FieldError> errors, List<TeamSpec> teams) {
    if (teams == null) {
      return;
    }
    Map<String, String> names = new HashMap<>();
    Map<String, String> namespaces = new HashMap<>();
    for (int i = 0; i < teams.size(); i++) {
      String path = "spec.teams[" + i + "]";
      TeamSpec t = teams.get(i);
      if (t == null) {
        errors.add(new FieldError(path, "must be a team, got null"));
        continue;
      }
      if (t.getName() == null || t.getName().isEmpty()) {
        errors.add(new FieldError(path + ".name", "is required"));
      } else {
        Validation.pattern(
            errors, path + ".name", t.getName(), Validation.DNS_LABEL, "a DNS label");
        String other = names.putIfAbsent(t.getName(), path);
        if (other != null) {
          errors.add(
              new FieldError(
                  path + ".name", "team \"" + t.getName() + "\" is already declared at " + other));
        }
      }
      boolean isDefault = TeamSpec.DEFAULT_TEAM.equals(t.getName());
      List<String> ns = t.getNamespaces() == null ? List.of() : t.getNamespaces();
      if (isDefault && !ns.isEmpty()) {
        errors.add(
            new FieldError(
                path + ".namespaces",
                "the team \""
                    + TeamSpec.DEFAULT_TEAM
                    + "\" takes every namespace no other team lists and lists none itself"));
      }
      for (int j = 0; j < ns.size() && !isDefault; j++) {
        String nsPath = path + ".namespaces[" + j + "]";
        String n = ns.get(j);
        if (n == null || !n.matches(Validation.DNS_LABEL)) {
          errors.add(
              new FieldError(nsPath, "must be a namespace name (a DNS label), got \"" + n + "\""));
          continue;
        }
        String other = namespaces.putIfAbsent(n, nsPath);
        if (other != null) {
          errors.add(
              new FieldError(nsPath, "namespace \"" + n + "\" is already listed at " + other));
        }
      }
      Double w = t.getWeight();
      if (w != null && (!(w > 0) || w.isInfinite())) {
        errors.add(
            new FieldError(
                path + ".weight",
                "must be a finite number greater than 0, got " + Validation.plain(w)));
      }
      Map<String, Long> guarantee = quantities(errors, path + ".guarantee", t.getGuarantee());
      Map<String, Long> cap = quantities(errors, path + ".cap", t.getCap());
      for (Map.Entry<String, Long> g : guarantee.entrySet()) {
        Long c = cap.get(g.getKey());
        if (c != null && g.getValue() > c) {
          errors.add(
              new FieldError(
                  path + ".guarantee." + g.getKey(),
                  "must not exceed the cap ("
                      + Quantities.format(g.getKey(), c)
                      + "), got "
                      + Quantities.format(g.getKey(), g.getValue())));
        }
      }
    }
  }

  /** The valid entries of a guarantee or cap in canonical units; each bad one adds an error. */
  private static Map<String, Long> quantities(
      List<FieldError> errors, String path, Map<String, Quantity> given) {
    Map<String, Long> out = new TreeMap<>();
    if (given == null) {
      return out;
    }
    for (Map.Entry<String, Quantity> e : new TreeMap<>(given).entrySet()) {
      String p = path + "." + e.getKey();
      if (!TeamSpec.RESOURCES.contains(e.getKey())) {
        errors.add(
            new FieldError(
                p, "unknown resource \"" + e.getKey() + "\": use one of " + TeamSpec.RESOURCES));
        continue;
      }
      if (e.getValue() == null) {
        errors.add(new FieldError(p, "must be a quantity, got null"));
        continue;
      }
      String text = Quantities.text(e.getValue());
      try {
        if (Quantities.parse(text).signum() < 0) {
          errors.add(new FieldError(p, "must not be negative, got \"" + text + "\""));
        } else {
          out.put(e.getKey(), Quantities.parseCanonical(e.getKey(), text));
        }
      } catch (InvalidQuantityException | NumberFormatException ex) {
        errors.add(new FieldError(p, ex.getMessage()));
      }
    }
    return out;
  }

  /** The typed teams of a valid spec; {@code teams} may be null (only the default team). */
  static Teams effective(List<TeamSpec> teams) {
    Team defaultTeam =
        new Team(
            TeamSpec.DEFAULT_TEAM,
            Set.of(),
            Double.parseDouble(TeamSpec.WEIGHT_DEFAULT),
            Resources.ZERO,
            Map.of());
    List<Team> declared = new ArrayList<>();
    for (TeamSpec s : teams == null ? List.<TeamSpec>of() : teams) {
      List<FieldError> ignored = new ArrayList<>();
      Team t =
          new Team(
              s.getName(),
              Set.copyOf(s.getNamespaces() == null ? List.of() : s.getNamespaces()),
              s.getWeight() != null ? s.getWeight() : Double.parseDouble(TeamSpec.WEIGHT_DEFAULT),
              Resources.ofCanonical(quantities(ignored, "", s.getGuarantee())),
              quantities(ignored, "", s.getCap()));
      if (TeamSpec.DEFAULT_TEAM.equals(s.getName())) {
        defaultTeam = t;
      } else {
        declared.add(t);
      }
    }
    return new Teams(declared, defaultTeam);
  }
}
