package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's README.md, and the parts of it the Deploying tests run. */
final class Readme {
  private Readme() {}

  /** The repository's root: the first directory above the working directory with a README.md. */
  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("README.md"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static String text() throws IOException {
    return Files.readString(root().resolve("README.md"));
  }

  /** The text from {@code from} up to {@code to}. */
  static String between(String text, String from, String to) {
    int i = text.indexOf(from);
    int j = text.indexOf(to, i);
    assertThat(i).as("README has %s", from).isNotNegative();
    assertThat(j).as("README has %s", to).isGreaterThan(i);
    return text.substring(i, j);
  }

  /** The first fenced block of language {@code lang} in {@code text}. */
  static String block(String text, String lang) {
    Matcher m = Pattern.compile("```" + lang + "\\n(.*?)```", Pattern.DOTALL).matcher(text);
    assertThat(m.find()).as("a ```%s block", lang).isTrue();
    return m.group(1);
  }
}
