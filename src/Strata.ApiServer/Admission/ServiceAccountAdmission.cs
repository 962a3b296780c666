using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Strata.ApiServer.Authentication;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Admission;

/// <summary>
/// The ServiceAccount admission plugin for new Pods (plugin/pkg/admission/serviceaccount/admission.go): the service
/// account defaults to <c>default</c>, and unless the pod or its service account turns automounting off, a projected
/// volume <c>kube-api-access-&lt;5 random&gt;</c> (a bound token, the cluster CA from the <c>kube-root-ca.crt</c>
/// ConfigMap, the namespace from the downward API) is mounted read-only at
/// <c>/var/run/secrets/kubernetes.io/serviceaccount</c> in every container that has nothing mounted there.
/// </summary>
/// <remarks>
/// Unlike upstream, a pod whose service account does not exist yet is admitted (and mounts a token that the kubelet's
/// TokenRequest is refused until it exists): the account controller creates <c>default</c> moments after a namespace,
/// and refusing pods in that moment would fail a <c>kubectl create namespace</c> followed at once by a <c>kubectl run</c>.
/// </remarks>
public sealed class ServiceAccountAdmission(ObjectRegistry registry) : IAllocatingAdmission
{
    public const string DefaultServiceAccount = "default";

    public const string VolumePrefix = "kube-api-access-";

    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>The ConfigMap the root CA publisher keeps in every namespace.</summary>
    public const string RootCaConfigMap = "kube-root-ca.crt";

    // utilrand.String's alphabet: no vowels (no words), no look-alikes (0/O, 1/l).
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    private static readonly IReservation Nothing = new NoReservation();

    public bool Handles(ResourceInfo resource) => resource is { Group: "", Kind: "Pod", IsCustom: false };

    public async Task<IReservation> BeginCreateAsync(JsonObject obj, bool dryRun, CancellationToken cancellationToken)
    {
        if (obj["metadata"]?["annotations"]?["kubernetes.io/config.mirror"] is not null || obj["spec"] is not JsonObject spec)
        {
            return Nothing;
        }

        var name = (string?)spec["serviceAccountName"];
        if (string.IsNullOrEmpty(name))
        {
            name = (string?)spec["serviceAccount"] is { Length: > 0 } deprecated ? deprecated : DefaultServiceAccount;
            spec["serviceAccountName"] = name;
        }

        // The v1 API still reports the deprecated field, mirrored from the name.
        spec["serviceAccount"] = name;
        var ns = (string?)obj["metadata"]?["namespace"] ?? "default";
        var account = await registry.Store.GetAsync(registry.Catalog.Get("", "serviceaccounts").Key(ns, name), cancellationToken);
        var automount = spec["automountServiceAccountToken"] is JsonValue podSetting ? podSetting.GetValue<bool>()
            : account?.Value["automountServiceAccountToken"] is JsonValue accountSetting ? accountSetting.GetValue<bool>()
            : true;
        if (automount)
        {
            Mount(spec, RandomSuffix);
        }

        return Nothing;
    }

    public Task<IReservation> BeginUpdateAsync(JsonObject obj, JsonObject old, bool dryRun, CancellationToken cancellationToken) => Task.FromResult(Nothing);

    public Task ReleaseAsync(JsonObject deleted, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Adds the token volume (named with <paramref name="suffix"/> unless the pod already has one) and its mounts. Pure, for tests.</summary>
    public static void Mount(JsonObject spec, Func<string> suffix)
    {
        if (spec["volumes"] is not JsonArray volumes)
        {
            spec["volumes"] = volumes = [];
        }

        var names = volumes.Select(v => (string?)v?["name"]).ToHashSet(StringComparer.Ordinal);
        var volumeName = names.FirstOrDefault(n => n?.StartsWith(VolumePrefix, StringComparison.Ordinal) == true);
        var hasVolume = volumeName is not null;
        while (volumeName is null || (!hasVolume && names.Contains(volumeName)))
        {
            volumeName = VolumePrefix + suffix();
        }

        foreach (var containers in new[] { spec["initContainers"], spec["containers"] }.OfType<JsonArray>())
        {
            foreach (var container in containers.OfType<JsonObject>())
            {
                if (container["volumeMounts"] is not JsonArray mounts)
                {
                    container["volumeMounts"] = mounts = [];
                }

                if (!mounts.Any(m => (string?)m?["mountPath"] == MountPath))
                {
                    mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = MountPath });
                }
            }
        }

        if (!hasVolume)
        {
            volumes.Add(TokenVolume(volumeName));
        }
    }

    /// <summary>TokenVolumeSource, with the defaults the API server would have filled in (defaultMode 0644).</summary>
    public static JsonObject TokenVolume(string name) => new()
    {
        ["name"] = name,
        ["projected"] = new JsonObject
        {
            ["sources"] = new JsonArray(
                new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = TokenRequests.WarnOnlyExpirationSeconds, ["path"] = "token" } },
                new JsonObject
                {
                    ["configMap"] = new JsonObject
                    {
                        ["name"] = RootCaConfigMap,
                        ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                    },
                },
                new JsonObject
                {
                    ["downwardAPI"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                            ["path"] = "namespace",
                        }),
                    },
                }),
            ["defaultMode"] = 420,
        },
    };

    private static string RandomSuffix() => string.Create(5, 0, (chars, _) =>
    {
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
    });

    private sealed class NoReservation : IReservation
    {
        public Task FinishAsync(bool stored, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
