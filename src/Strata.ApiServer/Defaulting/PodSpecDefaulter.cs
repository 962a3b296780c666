using System.Text.Json.Nodes;
using static Strata.ApiServer.Defaulting.JsonDefaults;

namespace Strata.ApiServer.Defaulting;

/// <summary>
/// The defaulters that apply inside any PodSpec (pod or template): SetDefaults_PodSpec, _Container,
/// _Probe, _HTTPGetAction, _Volume and the volume sources, _ObjectFieldSelector, and the declarative
/// <c>+default="TCP"</c> on ContainerPort.protocol (pkg/apis/core/v1/defaults.go, zz_generated.defaults.go).
/// </summary>
internal static class PodSpecDefaulter
{
    private const int DefaultFileMode = 420; // 0644

    public static void Apply(JsonObject spec)
    {
        String(spec, "dnsPolicy", "ClusterFirst");
        String(spec, "restartPolicy", "Always");
        Pointer(spec, "securityContext", new JsonObject());
        Pointer(spec, "terminationGracePeriodSeconds", 30);
        String(spec, "schedulerName", "default-scheduler");
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (var container in Objects(spec, list))
            {
                Container(container);
            }
        }
        foreach (var volume in Objects(spec, "volumes"))
        {
            Volume(volume);
        }
    }

    private static void Container(JsonObject container)
    {
        if (IsEmptyString(container, "imagePullPolicy"))
        {
            container["imagePullPolicy"] = ImageTag(container["image"]?.GetValue<string>() ?? "") == "latest" ? "Always" : "IfNotPresent";
        }
        String(container, "terminationMessagePath", "/dev/termination-log");
        String(container, "terminationMessagePolicy", "File");
        foreach (var port in Objects(container, "ports"))
        {
            String(port, "protocol", "TCP");
        }
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (container[probe] is JsonObject p)
            {
                Probe(p);
            }
        }
        if (container["lifecycle"] is JsonObject lifecycle)
        {
            foreach (var hook in new[] { "postStart", "preStop" })
            {
                if (lifecycle[hook] is JsonObject handler && handler["httpGet"] is JsonObject httpGet)
                {
                    HttpGet(httpGet);
                }
            }
        }
        foreach (var env in Objects(container, "env"))
        {
            if (env["valueFrom"] is JsonObject valueFrom && valueFrom["fieldRef"] is JsonObject fieldRef)
            {
                String(fieldRef, "apiVersion", "v1");
            }
        }
    }

    private static void Probe(JsonObject probe)
    {
        Number(probe, "timeoutSeconds", 1);
        Number(probe, "periodSeconds", 10);
        Number(probe, "successThreshold", 1);
        Number(probe, "failureThreshold", 3);
        if (probe["httpGet"] is JsonObject httpGet)
        {
            HttpGet(httpGet);
        }
        if (probe["grpc"] is JsonObject grpc)
        {
            Pointer(grpc, "service", "");
        }
    }

    private static void HttpGet(JsonObject httpGet)
    {
        String(httpGet, "path", "/");
        String(httpGet, "scheme", "HTTP");
    }

    private static readonly string[] s_volumeSources =
    [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
        "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
        "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ];

    private static void Volume(JsonObject volume)
    {
        if (s_volumeSources.All(source => volume[source] is null))
        {
            volume["emptyDir"] = new JsonObject();
        }
        if (volume["secret"] is JsonObject secret)
        {
            Pointer(secret, "defaultMode", DefaultFileMode);
        }
        if (volume["configMap"] is JsonObject configMap)
        {
            Pointer(configMap, "defaultMode", DefaultFileMode);
        }
        if (volume["downwardAPI"] is JsonObject downwardApi)
        {
            Pointer(downwardApi, "defaultMode", DefaultFileMode);
            foreach (var item in Objects(downwardApi, "items"))
            {
                if (item["fieldRef"] is JsonObject fieldRef)
                {
                    String(fieldRef, "apiVersion", "v1");
                }
            }
        }
        if (volume["projected"] is JsonObject projected)
        {
            Pointer(projected, "defaultMode", DefaultFileMode);
            foreach (var source in Objects(projected, "sources"))
            {
                if (source["serviceAccountToken"] is JsonObject token)
                {
                    Pointer(token, "expirationSeconds", 3600);
                }
            }
        }
        if (volume["hostPath"] is JsonObject hostPath)
        {
            Pointer(hostPath, "type", "");
        }
    }

    /// <summary>
    /// The tag parsers.ParseImageName would report: the explicit tag, else "latest" when there is neither
    /// tag nor digest; "" when the reference does not parse (an empty or upper-case repository).
    /// </summary>
    public static string ImageTag(string image)
    {
        if (image.Length == 0)
        {
            return "";
        }
        var name = image;
        var hasDigest = false;
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            hasDigest = true;
            name = name[..at];
        }
        var tag = "";
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }
        var firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        var hasDomain = firstSlash > 0 && (name[..firstSlash].Contains('.', StringComparison.Ordinal) || name[..firstSlash].Contains(':', StringComparison.Ordinal) || name[..firstSlash] == "localhost");
        var path = hasDomain ? name[(firstSlash + 1)..] : name;
        if (path.Length == 0 || path.Any(char.IsAsciiLetterUpper))
        {
            return "";
        }
        return tag.Length == 0 && !hasDigest ? "latest" : tag;
    }
}
