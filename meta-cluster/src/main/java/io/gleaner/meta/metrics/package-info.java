/** Meter-name and tag conventions and the per-service Prometheus registry. */
package io.gleaner.meta.metrics;
