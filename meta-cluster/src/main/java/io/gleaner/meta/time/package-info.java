/**
 * Time for every Gleaner component: an accelerated clock for the sandbox, a fake clock for tests
 * and the duration notation used in config ({@code 10m}, {@code 1h30m}). Components take an
 * injected {@link java.time.Clock} and never read the system time directly.
 */
package io.gleaner.meta.time;
