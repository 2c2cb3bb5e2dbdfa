/**
 * Service scaffolding shared by the four services: the {@link io.gleaner.meta.service.Lifecycle}
 * contract, health checks, the Vert.x admin server ({@code /healthz}, {@code /readyz}, {@code
 * /metrics}) and the runner that starts components in order and stops them in reverse.
 */
package io.gleaner.meta.service;
