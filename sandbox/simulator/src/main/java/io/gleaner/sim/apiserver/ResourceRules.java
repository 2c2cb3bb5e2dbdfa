package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The rules of one kind of resource that the {@link ObjectStore} applies around its generic
 * storage, like kube-apiserver's registry strategies: defaulting and validation on create, update
 * validation, the deletion grace period, and side effects after a create or a delete. Every method
 * runs with the store lock held; the defaults are those of a kind without rules of its own.
 *
 * <p>{@link #of} is the registry: pods ({@link PodRules}), namespaces ({@link NamespaceRules}),
 * CustomResourceDefinitions ({@link CrdRules}), PriorityClasses ({@link PriorityClassRules}),
 * events ({@link EventRules}), ResourceQuotas ({@link QuotaRules}), ValidatingAdmissionPolicies
 * ({@link AdmissionPolicyRules}), Secrets ({@link SecretRules}), and custom resources (and other
 * non-core kinds) with a status subresource, which ignore the status on create.
 */
interface ResourceRules {
  /** Defaults and validates a new object (a private copy) before it is stored; throws to refuse. */
  default void prepareCreate(ObjectStore store, ObjectNode obj) {}

  /** Side effects once {@code obj} is stored. */
  default void afterCreate(ObjectStore store, ObjectNode obj) {}

  /**
   * Normalizes a write to the main resource (not the status subresource) before it is validated,
   * admitted and stored, as kube-apiserver's conversion and update strategy do.
   */
  default void prepareUpdate(ObjectNode current, ObjectNode next) {}

  /** Validates a write to the main resource (not the status subresource); throws to refuse. */
  default void validateUpdate(ObjectNode current, ObjectNode next) {}

  /** Side effects once a write to the main resource (not the status subresource) is stored. */
  default void afterUpdate(ObjectStore store, ObjectNode obj) {}

  /** Seconds a DELETE waits before the object goes; 0 removes it at once (or marks finalizers). */
  default long gracePeriod(ObjectNode obj, ObjectStore.DeleteOptions options) {
    return 0;
  }

  /**
   * Whether an object marked for deletion goes once its last finalizer is removed (pods wait for
   * the end of their grace period).
   */
  default boolean mayRemoveWhenFinalized(ObjectNode obj) {
    return true;
  }

  /** Side effects once {@code obj} (its last state) is removed. */
  default void afterDelete(ObjectStore store, ObjectNode obj) {}

  /** Whether objects carry {@code metadata.generation} (bumped on each spec change). */
  default boolean hasGeneration() {
    return true;
  }

  /** The rules of {@code type}. */
  static ResourceRules of(ResourceType type) {
    ResourceRules rules = Registry.BY_TYPE.get(type);
    if (rules != null) {
      return rules;
    }
    return type.statusSubresource() && !type.group().isEmpty()
        ? Registry.STATUS_IGNORED_ON_CREATE
        : Registry.NONE;
  }

  /** The rule sets, built once. */
  final class Registry {
    private Registry() {}

    static final ResourceRules NONE = new ResourceRules() {};

    /** Custom resources and other status-subresource types ignore status on create. */
    static final ResourceRules STATUS_IGNORED_ON_CREATE =
        new ResourceRules() {
          @Override
          public void prepareCreate(ObjectStore store, ObjectNode obj) {
            obj.remove("status");
          }
        };

    static final Map<ResourceType, ResourceRules> BY_TYPE =
        Map.of(
            ResourceTypes.PODS, new PodRules(),
            ResourceTypes.NAMESPACES, new NamespaceRules(),
            ResourceTypes.CRDS, new CrdRules(),
            ResourceTypes.PRIORITY_CLASSES, new PriorityClassRules(),
            ResourceTypes.EVENTS, new EventRules(),
            ResourceTypes.RESOURCE_QUOTAS, new QuotaRules(),
            ResourceTypes.VALIDATING_ADMISSION_POLICIES, new AdmissionPolicyRules(),
            ResourceTypes.SECRETS, new SecretRules());
  }
}
