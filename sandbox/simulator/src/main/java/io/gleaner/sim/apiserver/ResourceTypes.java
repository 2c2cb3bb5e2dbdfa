package io.gleaner.sim.apiserver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resources a simulated API server serves: the built-in ones Gleaner and kubectl use, plus
 * custom resources registered from CustomResourceDefinitions (created through the API or registered
 * directly).
 */
public final class ResourceTypes {
  public static final Set<String> POD_FIELDS =
      Set.of(
          "spec.nodeName",
          "spec.restartPolicy",
          "spec.schedulerName",
          "spec.serviceAccountName",
          "spec.hostNetwork",
          "status.phase",
          "status.podIP",
          "status.nominatedNodeName");
  public static final Set<String> EVENT_FIELDS =
      Set.of(
          "involvedObject.kind",
          "involvedObject.namespace",
          "involvedObject.name",
          "involvedObject.uid",
          "involvedObject.apiVersion",
          "involvedObject.resourceVersion",
          "involvedObject.fieldPath",
          "reason",
          "reportingComponent",
          "source",
          "type");

  public static final ResourceType NAMESPACES =
      core(
          "namespaces",
          "namespace",
          "Namespace",
          false,
          List.of("ns"),
          true,
          Set.of("status.phase"));
  public static final ResourceType NODES =
      core("nodes", "node", "Node", false, List.of("no"), true, Set.of("spec.unschedulable"));
  public static final ResourceType PODS =
      new ResourceType(
          "", "v1", "pods", "pod", "Pod", true, List.of("po"), true, POD_FIELDS, List.of("all"));

  /** Create-only: the legacy {@code bindings} resource (same effect as {@code pods/binding}). */
  public static final ResourceType BINDINGS =
      core("bindings", "binding", "Binding", true, List.of(), false, Set.of());

  public static final ResourceType EVENTS =
      core("events", "event", "Event", true, List.of("ev"), false, EVENT_FIELDS);
  public static final ResourceType CONFIGMAPS =
      core("configmaps", "configmap", "ConfigMap", true, List.of("cm"), false, Set.of());
  public static final ResourceType SECRETS =
      core("secrets", "secret", "Secret", true, List.of(), false, Set.of("type"));
  public static final ResourceType SERVICEACCOUNTS =
      core(
          "serviceaccounts",
          "serviceaccount",
          "ServiceAccount",
          true,
          List.of("sa"),
          false,
          Set.of());
  public static final ResourceType SERVICES =
      new ResourceType(
          "",
          "v1",
          "services",
          "service",
          "Service",
          true,
          List.of("svc"),
          true,
          Set.of(),
          List.of("all"));
  public static final ResourceType RESOURCE_QUOTAS =
      core(
          "resourcequotas",
          "resourcequota",
          "ResourceQuota",
          true,
          List.of("quota"),
          true,
          Set.of());
  public static final ResourceType PVCS =
      core(
          "persistentvolumeclaims",
          "persistentvolumeclaim",
          "PersistentVolumeClaim",
          true,
          List.of("pvc"),
          true,
          Set.of());
  public static final ResourceType LEASES =
      new ResourceType(
          "coordination.k8s.io",
          "v1",
          "leases",
          "lease",
          "Lease",
          true,
          List.of(),
          false,
          Set.of(),
          List.of());
  public static final ResourceType PDBS =
      new ResourceType(
          "policy",
          "v1",
          "poddisruptionbudgets",
          "poddisruptionbudget",
          "PodDisruptionBudget",
          true,
          List.of("pdb"),
          true,
          Set.of(),
          List.of());
  public static final ResourceType PRIORITY_CLASSES =
      new ResourceType(
          "scheduling.k8s.io",
          "v1",
          "priorityclasses",
          "priorityclass",
          "PriorityClass",
          false,
          List.of("pc"),
          false,
          Set.of(),
          List.of());
  public static final ResourceType CRDS =
      new ResourceType(
          "apiextensions.k8s.io",
          "v1",
          "customresourcedefinitions",
          "customresourcedefinition",
          "CustomResourceDefinition",
          false,
          List.of("crd", "crds"),
          true,
          Set.of(),
          List.of("api-extensions"));
  public static final ResourceType JOBS =
      new ResourceType(
          "batch",
          "v1",
          "jobs",
          "job",
          "Job",
          true,
          List.of(),
          true,
          Set.of("status.successful"),
          List.of("all"));
  public static final ResourceType DEPLOYMENTS =
      new ResourceType(
          "apps",
          "v1",
          "deployments",
          "deployment",
          "Deployment",
          true,
          List.of("deploy"),
          true,
          Set.of(),
          List.of("all"));
  public static final ResourceType PODGROUPS =
      new ResourceType(
          "scheduling.volcano.sh",
          "v1beta1",
          "podgroups",
          "podgroup",
          "PodGroup",
          true,
          List.of("pg", "podgroup-v1beta1"),
          true,
          Set.of(),
          List.of());
  public static final ResourceType QUEUES =
      new ResourceType(
          "scheduling.volcano.sh",
          "v1beta1",
          "queues",
          "queue",
          "Queue",
          false,
          List.of("q", "queue-v1beta1"),
          true,
          Set.of(),
          List.of());
  public static final ResourceType CSRS =
      new ResourceType(
          "certificates.k8s.io",
          "v1",
          "certificatesigningrequests",
          "certificatesigningrequest",
          "CertificateSigningRequest",
          false,
          List.of("csr"),
          true,
          Set.of(),
          List.of());
  public static final ResourceType MEMBER_CLUSTERS =
      new ResourceType(
          "gleaner.io",
          "v1alpha1",
          "memberclusters",
          "membercluster",
          "MemberCluster",
          false,
          List.of("gmc"),
          true,
          Set.of(),
          List.of());
  public static final ResourceType GLEANER_POLICIES =
      new ResourceType(
          "gleaner.io",
          "v1alpha1",
          "gleanerpolicies",
          "gleanerpolicy",
          "GleanerPolicy",
          false,
          List.of("gp"),
          true,
          Set.of(),
          List.of());

  /** Enforced by {@link io.gleaner.sim.apiserver.admission.PolicyAdmission}. */
  public static final ResourceType VALIDATING_ADMISSION_POLICIES =
      new ResourceType(
          "admissionregistration.k8s.io",
          "v1",
          "validatingadmissionpolicies",
          "validatingadmissionpolicy",
          "ValidatingAdmissionPolicy",
          false,
          List.of(),
          true,
          Set.of(),
          List.of("api-extensions"));

  public static final ResourceType VALIDATING_ADMISSION_POLICY_BINDINGS =
      new ResourceType(
          "admissionregistration.k8s.io",
          "v1",
          "validatingadmissionpolicybindings",
          "validatingadmissionpolicybinding",
          "ValidatingAdmissionPolicyBinding",
          false,
          List.of(),
          false,
          Set.of(),
          List.of("api-extensions"));

  public static final ResourceType ROLES = rbac("roles", "role", "Role", true);
  public static final ResourceType CLUSTER_ROLES =
      rbac("clusterroles", "clusterrole", "ClusterRole", false);
  public static final ResourceType ROLE_BINDINGS =
      rbac("rolebindings", "rolebinding", "RoleBinding", true);
  public static final ResourceType CLUSTER_ROLE_BINDINGS =
      rbac("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false);

  /** Create-only reviews (answered by the authenticator/authorizer, never stored). */
  public static final List<ResourceType> REVIEWS =
      List.of(
          review("authentication.k8s.io", "tokenreviews", "tokenreview", "TokenReview", false),
          review(
              "authentication.k8s.io",
              "selfsubjectreviews",
              "selfsubjectreview",
              "SelfSubjectReview",
              false),
          review(
              "authorization.k8s.io",
              "subjectaccessreviews",
              "subjectaccessreview",
              "SubjectAccessReview",
              false),
          review(
              "authorization.k8s.io",
              "selfsubjectaccessreviews",
              "selfsubjectaccessreview",
              "SelfSubjectAccessReview",
              false),
          review(
              "authorization.k8s.io",
              "localsubjectaccessreviews",
              "localsubjectaccessreview",
              "LocalSubjectAccessReview",
              true),
          review(
              "authorization.k8s.io",
              "selfsubjectrulesreviews",
              "selfsubjectrulesreview",
              "SelfSubjectRulesReview",
              false));

  /** Read-only, computed from simulated usage. */
  public static final ResourceType NODE_METRICS =
      new ResourceType(
          "metrics.k8s.io",
          "v1beta1",
          "nodes",
          "",
          "NodeMetrics",
          false,
          List.of(),
          false,
          Set.of(),
          List.of());

  /** Read-only, computed from simulated usage. */
  public static final ResourceType POD_METRICS =
      new ResourceType(
          "metrics.k8s.io",
          "v1beta1",
          "pods",
          "",
          "PodMetrics",
          true,
          List.of(),
          false,
          Set.of(),
          List.of());

  private static ResourceType rbac(
      String plural, String singular, String kind, boolean namespaced) {
    return new ResourceType(
        "rbac.authorization.k8s.io",
        "v1",
        plural,
        singular,
        kind,
        namespaced,
        List.of(),
        false,
        Set.of(),
        List.of());
  }

  private static ResourceType review(
      String group, String plural, String singular, String kind, boolean namespaced) {
    return new ResourceType(
        group, "v1", plural, singular, kind, namespaced, List.of(), false, Set.of(), List.of());
  }

  private static ResourceType core(
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      boolean status,
      Set<String> fields) {
    return new ResourceType(
        "", "v1", plural, singular, kind, namespaced, shortNames, status, fields, List.of());
  }

  /** An {@code additionalPrinterColumns} entry of a CRD version. */
  public record PrinterColumn(String name, String type, String jsonPath, int priority) {}

  private final Map<String, ResourceType> byGroupPlural = new ConcurrentHashMap<>();
  private final Map<ResourceType, List<PrinterColumn>> columns = new ConcurrentHashMap<>();

  /**
   * Table columns for {@code kubectl get} of a custom resource (Name is always first, Age added if
   * absent).
   */
  public void registerColumns(ResourceType type, List<PrinterColumn> cols) {
    columns.put(type, List.copyOf(cols));
  }

  public List<PrinterColumn> columns(ResourceType type) {
    return columns.getOrDefault(type, List.of());
  }

  /**
   * The built-in set (core, coordination, policy, scheduling, apiextensions, batch, apps,
   * admissionregistration, metrics).
   */
  public static ResourceTypes builtIn() {
    ResourceTypes types = new ResourceTypes();
    types.registerColumns(
        PODGROUPS,
        List.of(
            new PrinterColumn("Status", "string", ".status.phase", 0),
            new PrinterColumn("minMember", "integer", ".spec.minMember", 0),
            new PrinterColumn("Runnings", "integer", ".status.running", 0),
            new PrinterColumn("Age", "date", ".metadata.creationTimestamp", 0),
            new PrinterColumn("Queue", "string", ".spec.queue", 1)));
    for (ResourceType t :
        List.of(
            NAMESPACES,
            NODES,
            PODS,
            BINDINGS,
            EVENTS,
            CONFIGMAPS,
            SECRETS,
            SERVICEACCOUNTS,
            SERVICES,
            PVCS,
            RESOURCE_QUOTAS,
            LEASES,
            PDBS,
            PRIORITY_CLASSES,
            CRDS,
            JOBS,
            DEPLOYMENTS,
            CSRS,
            ROLES,
            CLUSTER_ROLES,
            ROLE_BINDINGS,
            CLUSTER_ROLE_BINDINGS,
            VALIDATING_ADMISSION_POLICIES,
            VALIDATING_ADMISSION_POLICY_BINDINGS,
            NODE_METRICS,
            POD_METRICS)) {
      types.register(t);
    }
    REVIEWS.forEach(types::register);
    return types;
  }

  /** Adds or replaces a served resource. */
  public void register(ResourceType type) {
    byGroupPlural.put(key(type.group(), type.version(), type.plural()), type);
  }

  public void unregister(ResourceType type) {
    byGroupPlural.remove(key(type.group(), type.version(), type.plural()));
  }

  public Optional<ResourceType> find(String group, String version, String plural) {
    return Optional.ofNullable(byGroupPlural.get(key(group, version, plural)));
  }

  /** Finds by apiVersion and kind (for objects in request bodies). */
  public Optional<ResourceType> findByKind(String apiVersion, String kind) {
    return byGroupPlural.values().stream()
        .filter(
            t ->
                t.apiVersion().equals(apiVersion)
                    && t.kind().equals(kind)
                    && !t.group().equals("metrics.k8s.io"))
        .findFirst();
  }

  public Collection<ResourceType> all() {
    return List.copyOf(byGroupPlural.values());
  }

  /** group → versions → types, sorted with the core group first. */
  public Map<String, Map<String, List<ResourceType>>> byGroup() {
    Map<String, Map<String, List<ResourceType>>> result = new LinkedHashMap<>();
    List<ResourceType> sorted = new ArrayList<>(byGroupPlural.values());
    sorted.sort(
        (a, b) -> {
          int c = a.group().compareTo(b.group());
          return c != 0 ? c : a.plural().compareTo(b.plural());
        });
    for (ResourceType t : sorted) {
      result
          .computeIfAbsent(t.group(), g -> new LinkedHashMap<>())
          .computeIfAbsent(t.version(), v -> new ArrayList<>())
          .add(t);
    }
    return result;
  }

  private static String key(String group, String version, String plural) {
    return group + "/" + version + "/" + plural;
  }
}
