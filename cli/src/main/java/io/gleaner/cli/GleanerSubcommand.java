package io.gleaner.cli;

/**
 * A subcommand that a module adds to the {@code gleaner} command, found through {@link
 * java.util.ServiceLoader} (a {@code META-INF/services/io.gleaner.cli.GleanerSubcommand} entry).
 * The sandbox adds {@code sandbox} and the bench module {@code bench}; the one launcher jar holds
 * them all.
 */
public interface GleanerSubcommand {
  /** A picocli command object (a class annotated with {@code @Command}, instantiated). */
  Object command();
}
