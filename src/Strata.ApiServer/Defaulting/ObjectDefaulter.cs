using System.Text.Json.Nodes;
using static Strata.ApiServer.Defaulting.JsonDefaults;

namespace Strata.ApiServer.Defaulting;

/// <summary>
/// Scheme defaulting as kube-apiserver runs it when decoding a request (pkg/apis/*/v1/defaults.go and the
/// generated declarative defaults), for the network-relevant kinds. Fields the user set are kept, except
/// where upstream itself overrides them (noted per kind).
/// Not done here because upstream does it elsewhere: Service clusterIP(s), ipFamilies, ipFamilyPolicy and
/// nodePorts (registry allocators); Pod serviceAccountName "default" and its token volume (ServiceAccount
/// admission), priority / preemptionPolicy (Priority admission), the not-ready/unreachable tolerations
/// (DefaultTolerationSeconds admission), spec.serviceAccount mirroring serviceAccountName (v1 conversion);
/// Namespace spec.finalizers ["kubernetes"] (namespace registry strategy PrepareForCreate).
/// </summary>
public static class ObjectDefaulter
{
    public static void Apply(string group, string kind, JsonObject obj)
    {
        switch (group, kind)
        {
            case ("", "Service"):
                ServiceDefaulter.Apply(obj);
                break;
            case ("", "Pod"):
                PodDefaulter.Apply(obj);
                break;
            case ("", "Endpoints"):
                foreach (var subset in Objects(obj, "subsets"))
                {
                    foreach (var port in Objects(subset, "ports"))
                    {
                        String(port, "protocol", "TCP");
                    }
                }
                break;
            case ("", "Namespace"):
                NamespaceDefaults(obj);
                break;
            case ("", "Secret"):
                String(obj, "type", "Opaque");
                MergeStringData(obj);
                break;
            case ("", "Node"):
                if (obj["status"] is JsonObject status && status["capacity"] is JsonObject capacity && status["allocatable"] is null)
                {
                    status["allocatable"] = capacity.DeepClone();
                }
                break;
            case ("apps", "Deployment" or "ReplicaSet" or "DaemonSet" or "StatefulSet"):
                WorkloadDefaulter.Apply(kind, obj);
                break;
            case ("networking.k8s.io", "NetworkPolicy"):
                NetworkPolicyDefaults(obj);
                break;
            case ("networking.k8s.io", "IngressClass"):
                if (obj["spec"] is JsonObject classSpec && classSpec["parameters"] is JsonObject parameters)
                {
                    Pointer(parameters, "scope", "Cluster");
                }
                break;
            case ("discovery.k8s.io", "EndpointSlice"):
                foreach (var port in Objects(obj, "ports"))
                {
                    Pointer(port, "name", "");
                    Pointer(port, "protocol", "TCP");
                }
                break;
        }
    }

    // Convert_v1_Secret_To_core_Secret (pkg/apis/core/v1/conversion.go): stringData is write-only; each entry
    // overwrites data's, and the internal object, so what is stored and returned, has data only.
    private static void MergeStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject stringData)
        {
            secret.Remove("stringData");
            return;
        }

        if (stringData.Count > 0)
        {
            var data = Object(secret, "data");
            foreach (var (key, value) in stringData)
            {
                var text = value is JsonValue v && v.TryGetValue<string>(out var str) ? str : value?.ToJsonString() ?? "";
                data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
            }
        }

        secret.Remove("stringData");
    }

    // SetDefaults_Namespace always sets the kubernetes.io/metadata.name label to the name, overriding the user.
    private static void NamespaceDefaults(JsonObject ns)
    {
        var meta = Object(ns, "metadata");
        if (meta["name"]?.GetValue<string>() is { Length: > 0 } name)
        {
            Object(meta, "labels")["kubernetes.io/metadata.name"] = name;
        }
        String(Object(ns, "status"), "phase", "Active");
    }

    private static void NetworkPolicyDefaults(JsonObject policy)
    {
        var spec = Object(policy, "spec");
        foreach (var direction in new[] { "ingress", "egress" })
        {
            foreach (var rule in Objects(spec, direction))
            {
                foreach (var port in Objects(rule, "ports"))
                {
                    Pointer(port, "protocol", "TCP");
                }
            }
        }
        if (spec["policyTypes"] is not JsonArray { Count: > 0 })
        {
            var types = new JsonArray("Ingress");
            if (spec["egress"] is JsonArray { Count: > 0 })
            {
                types.Add("Egress");
            }
            spec["policyTypes"] = types;
        }
    }
}

/// <summary>SetDefaults_Service (pkg/apis/core/v1/defaults.go).</summary>
internal static class ServiceDefaulter
{
    public static void Apply(JsonObject service)
    {
        var spec = Object(service, "spec");
        String(spec, "sessionAffinity", "None");
        var affinity = spec["sessionAffinity"]!.GetValue<string>();
        if (affinity == "None")
        {
            // Upstream drops any config given with affinity None.
            spec.Remove("sessionAffinityConfig");
        }
        if (affinity == "ClientIP" && spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"] is null)
        {
            spec["sessionAffinityConfig"] = new JsonObject { ["clientIP"] = new JsonObject { ["timeoutSeconds"] = 10800 } };
        }
        String(spec, "type", "ClusterIP");
        foreach (var port in Objects(spec, "ports"))
        {
            String(port, "protocol", "TCP");
            var target = port["targetPort"];
            if (target is null || target.ToJsonString() is "0" or "\"\"")
            {
                port["targetPort"] = port["port"]?.DeepClone() ?? 0;
            }
        }
        if (Validation.ServiceValidator.ExternallyAccessible(spec))
        {
            String(spec, "externalTrafficPolicy", "Cluster");
        }
        var type = spec["type"]!.GetValue<string>();
        if (type is "NodePort" or "LoadBalancer" or "ClusterIP")
        {
            Pointer(spec, "internalTrafficPolicy", "Cluster");
        }
        if (type == "LoadBalancer")
        {
            Pointer(spec, "allocateLoadBalancerNodePorts", true);
            if (service["status"]?["loadBalancer"]?["ingress"] is JsonArray ingress)
            {
                foreach (var entry in ingress.OfType<JsonObject>())
                {
                    if (!IsEmptyString(entry, "ip"))
                    {
                        Pointer(entry, "ipMode", "VIP");
                    }
                }
            }
        }
    }
}

/// <summary>SetDefaults_Pod plus the PodSpec defaults (pkg/apis/core/v1/defaults.go).</summary>
internal static class PodDefaulter
{
    public static void Apply(JsonObject pod)
    {
        var spec = Object(pod, "spec");
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in Objects(spec, list))
            {
                // Requests default to limits for resources that have no request.
                if (container["resources"]?["limits"] is JsonObject limits)
                {
                    var requests = Object((JsonObject)container["resources"]!, "requests");
                    foreach (var (name, value) in limits)
                    {
                        if (!requests.ContainsKey(name))
                        {
                            requests[name] = value?.DeepClone();
                        }
                    }
                }
            }
        }
        Pointer(spec, "enableServiceLinks", true);
        if (spec["hostNetwork"]?.GetValue<bool>() == true)
        {
            foreach (var list in new[] { "containers", "initContainers" })
            {
                foreach (var container in Objects(spec, list))
                {
                    foreach (var port in Objects(container, "ports"))
                    {
                        if (IsZeroNumber(port, "hostPort"))
                        {
                            port["hostPort"] = port["containerPort"]?.DeepClone() ?? 0;
                        }
                    }
                }
            }
        }
        PodSpecDefaulter.Apply(spec);
    }
}

/// <summary>apps/v1 SetDefaults_Deployment, _ReplicaSet, _DaemonSet, _StatefulSet, then the template's PodSpec defaults.</summary>
internal static class WorkloadDefaulter
{
    public static void Apply(string kind, JsonObject obj)
    {
        var spec = Object(obj, "spec");
        switch (kind)
        {
            case "Deployment":
                Pointer(spec, "replicas", 1);
                var strategy = Object(spec, "strategy");
                String(strategy, "type", "RollingUpdate");
                if (strategy["type"]!.GetValue<string>() == "RollingUpdate")
                {
                    var rolling = Object(strategy, "rollingUpdate");
                    Pointer(rolling, "maxUnavailable", "25%");
                    Pointer(rolling, "maxSurge", "25%");
                }
                Pointer(spec, "revisionHistoryLimit", 10);
                Pointer(spec, "progressDeadlineSeconds", 600);
                break;
            case "ReplicaSet":
                Pointer(spec, "replicas", 1);
                break;
            case "DaemonSet":
                var update = Object(spec, "updateStrategy");
                String(update, "type", "RollingUpdate");
                if (update["type"]!.GetValue<string>() == "RollingUpdate")
                {
                    var rolling = Object(update, "rollingUpdate");
                    Pointer(rolling, "maxUnavailable", 1);
                    Pointer(rolling, "maxSurge", 0);
                }
                Pointer(spec, "revisionHistoryLimit", 10);
                break;
            case "StatefulSet":
                String(spec, "podManagementPolicy", "OrderedReady");
                var setStrategy = Object(spec, "updateStrategy");
                if (IsEmptyString(setStrategy, "type"))
                {
                    setStrategy["type"] = "RollingUpdate";
                    Pointer(setStrategy, "rollingUpdate", new JsonObject());
                }
                if (setStrategy["type"]!.GetValue<string>() == "RollingUpdate" && setStrategy["rollingUpdate"] is JsonObject setRolling)
                {
                    Pointer(setRolling, "partition", 0);
                }
                var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
                String(retention, "whenDeleted", "Retain");
                String(retention, "whenScaled", "Retain");
                Pointer(spec, "replicas", 1);
                Pointer(spec, "revisionHistoryLimit", 10);
                break;
        }
        PodSpecDefaulter.Apply(Object(Object(spec, "template"), "spec"));
    }
}
