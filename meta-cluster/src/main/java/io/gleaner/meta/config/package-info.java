/**
 * Service configuration: one YAML file plus picocli flags mapped onto typed records, every key with
 * a default, validated at start with errors that name the key. {@link
 * io.gleaner.meta.config.GleanerConfig} is the root; {@link io.gleaner.meta.config.ConfigLoader} is
 * generic and reusable for other config trees.
 */
package io.gleaner.meta.config;
