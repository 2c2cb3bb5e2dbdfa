package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NamespaceMappingTest {
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  @Test
  void identityAndPrefixKeepObjectNames() {
    assertThat(NamespaceMapping.identity().memberNamespace("team-a")).isEqualTo("team-a");
    assertThat(NamespaceMapping.identity().memberObjectName("team-a", "conf")).isEqualTo("conf");
    NamespaceMapping p = NamespaceMapping.prefixed("gleaner-");
    assertThat(p.memberNamespace("team-a")).isEqualTo("gleaner-team-a");
    assertThat(p.memberObjectName("team-a", "conf")).isEqualTo("conf");
    assertThat(p.shared()).isFalse();
  }

  @Test
  void singlePutsEveryNamespaceIntoOneAndQualifiesObjectNames() {
    NamespaceMapping s = NamespaceMapping.single("gleaner");
    assertThat(s.shared()).isTrue();
    assertThat(s.memberNamespace("team-a")).isEqualTo("gleaner");
    assertThat(s.memberNamespace("team-b")).isEqualTo("gleaner");
    assertThat(s.memberObjectName("team-a", "conf")).isEqualTo("team-a.conf");
    assertThat(s.memberObjectName("team-b", "conf")).isEqualTo("team-b.conf");
  }

  @Test
  void qualifiedNamesNeverCollideAcrossNamespaces() {
    NamespaceMapping s = NamespaceMapping.single("gleaner");
    // a namespace has no dots, so the first dot separates the pair
    assertThat(s.memberObjectName("a", "b.c")).isNotEqualTo(s.memberObjectName("a-b", "c"));
    Set<String> names = new HashSet<>();
    for (String ns : new String[] {"a", "a-b", "ab", "b"}) {
      for (String n : new String[] {"c", "b.c", "a.b.c", "x".repeat(252), "x".repeat(251) + ".y"}) {
        assertThat(names.add(s.memberObjectName(ns, n))).as(ns + "/" + n).isTrue();
      }
    }
  }

  @Test
  void longNamesAreCutWithAHashAndStayValidSubdomains() {
    String ns = "n".repeat(63);
    for (String name :
        new String[] {
          "c".repeat(253),
          "c".repeat(187) + "." + "d".repeat(60),
          "c".repeat(170) + "-.-x" + "e".repeat(70)
        }) {
      String q = NamespaceMapping.single("gleaner").memberObjectName(ns, name);
      assertThat(q).hasSizeLessThanOrEqualTo(253).matches(DNS_SUBDOMAIN);
      assertThat(q).startsWith(ns + ".").matches(".*-[0-9a-f]{16}");
    }
    // just fits: not cut
    String fits = "c".repeat(253 - 64);
    assertThat(NamespaceMapping.single("gleaner").memberObjectName(ns, fits))
        .isEqualTo(ns + "." + fits);
    // cut names of different pairs with the same head differ by their hash
    assertThat(NamespaceMapping.single("g").memberObjectName(ns, "c".repeat(250) + "1"))
        .isNotEqualTo(NamespaceMapping.single("g").memberObjectName(ns, "c".repeat(250) + "2"));
  }

  @Test
  void cutKeepsNoTrailingDotOrDashBeforeTheHash() {
    String ns = "n".repeat(60);
    // the cut (at 236 characters) falls right after ".-"
    String name = "c".repeat(173) + ".-" + "x".repeat(60);
    String q = NamespaceMapping.qualifiedName(ns, name);
    assertThat(q).doesNotContain(".-").doesNotContain("--").matches(DNS_SUBDOMAIN);
  }

  @Test
  void overridesKeepTheirOwnNamespaceAndNames() {
    NamespaceMapping s = new NamespaceMapping("", Map.of("special", "own"), "gleaner");
    assertThat(s.memberNamespace("special")).isEqualTo("own");
    assertThat(s.memberObjectName("special", "conf")).isEqualTo("conf");
    assertThat(s.memberObjectName("other", "conf")).isEqualTo("other.conf");
  }

  @Test
  void invalidMappingsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> NamespaceMapping.single("Bad_NS"))
        .hasMessageContaining("namespaceMapping.namespace");
    assertThatThrownBy(() -> new NamespaceMapping("p-", Map.of(), "gleaner"))
        .hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> new NamespaceMapping("", Map.of("a", "x", "b", "x")))
        .hasMessageContaining("must not share a member namespace");
    assertThatThrownBy(() -> new NamespaceMapping("", Map.of("a", "gleaner"), "gleaner"))
        .hasMessageContaining("overrides['a']");
  }
}
