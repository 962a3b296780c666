using System.Text;
using k8s.Models;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>What the environment's fieldRefs read, besides the pod itself.</summary>
public sealed record PodRuntimeFacts(string? PodIp, IReadOnlyList<string> PodIps, string HostIp, string Hostname);

/// <summary>
/// A container's environment and argv (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, expansion as
/// third_party/forked/golang/expansion): a default PATH and HOSTNAME, the image's variables, then spec.env with
/// fieldRef values, each <c>$(VAR)</c> expanded from the ones before it or else from the Service variables, then
/// the Service variables that spec.env does not set. Pure.
/// </summary>
public static class ContainerEnvironment
{
    public const string DefaultPath = Runtime.ProcessSpawner.DefaultPath;

    public static IReadOnlyList<string> Build(V1Pod pod, V1Container container, PodRuntimeFacts facts, IReadOnlyList<string> imageEnvironment,
        IReadOnlyList<KeyValuePair<string, string>>? serviceEnvironment = null)
    {
        var services = serviceEnvironment ?? [];
        var values = new List<KeyValuePair<string, string>> { new("PATH", DefaultPath), new("HOSTNAME", facts.Hostname) };
        foreach (var entry in imageEnvironment)
        {
            int eq = entry.IndexOf('=');
            if (eq > 0)
            {
                Set(values, entry[..eq], entry[(eq + 1)..]);
            }
        }

        var lookup = Lookup(values);
        foreach (var env in container.Env ?? [])
        {
            string? value = env.ValueFrom?.FieldRef is { } field
                ? FieldValue(pod, field.FieldPath, facts)
                : Expand(env.Value ?? string.Empty, name => lookup(name) ?? services.LastOrDefault(s => s.Key == name).Value);
            if (value is not null)
            {
                Set(values, env.Name, value);
            }
        }

        var declared = (container.Env ?? []).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var service in services.Where(s => !declared.Contains(s.Key)))
        {
            Set(values, service.Key, service.Value);
        }

        return [.. values.Select(v => $"{v.Key}={v.Value}")];
    }

    /// <summary>command + args with <c>$(VAR)</c> expanded from the container's environment.</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> words, IReadOnlyList<string> environment)
    {
        var values = new List<KeyValuePair<string, string>>();
        foreach (var entry in environment)
        {
            int eq = entry.IndexOf('=');
            Set(values, entry[..eq], entry[(eq + 1)..]);
        }

        var lookup = Lookup(values);
        return [.. words.Select(w => Expand(w, lookup))];
    }

    /// <summary>The downward API fields a container env may name (pkg/api/v1/pod podFieldSelectorRuntimeValue).</summary>
    public static string? FieldValue(V1Pod pod, string path, PodRuntimeFacts facts) => path switch
    {
        "metadata.name" => pod.Metadata.Name,
        "metadata.namespace" => pod.Metadata.NamespaceProperty,
        "metadata.uid" => pod.Metadata.Uid,
        "spec.nodeName" => pod.Spec.NodeName,
        "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "default",
        "status.podIP" => facts.PodIp ?? string.Empty,
        "status.podIPs" => string.Join(',', facts.PodIps),
        "status.hostIP" => facts.HostIp,
        "status.hostIPs" => facts.HostIp,
        _ when path.StartsWith("metadata.labels['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            (pod.Metadata.Labels is { } labels && labels.TryGetValue(path["metadata.labels['".Length..^2], out var label) ? label : null) ?? string.Empty,
        _ when path.StartsWith("metadata.annotations['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            (pod.Metadata.Annotations is { } annotations && annotations.TryGetValue(path["metadata.annotations['".Length..^2], out var annotation) ? annotation : null) ?? string.Empty,
        _ => null,
    };

    /// <summary>
    /// Kubernetes' expansion: <c>$(NAME)</c> becomes NAME's value when defined and stays as written when not;
    /// <c>$$</c> is a literal <c>$</c>.
    /// </summary>
    public static string Expand(string input, Func<string, string?> lookup)
    {
        var output = new StringBuilder();
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                output.Append(input[i]);
                continue;
            }

            char next = input[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i++;
            }
            else if (next == '(' && input.IndexOf(')', i + 2) is var close and > 0)
            {
                string name = input[(i + 2)..close];
                output.Append(lookup(name) ?? $"$({name})");
                i = close;
            }
            else
            {
                output.Append('$');
            }
        }

        return output.ToString();
    }

    private static Func<string, string?> Lookup(List<KeyValuePair<string, string>> values) =>
        name => values.FindLastIndex(v => v.Key == name) is var i and >= 0 ? values[i].Value : null;

    private static void Set(List<KeyValuePair<string, string>> values, string name, string value)
    {
        int index = values.FindIndex(v => v.Key == name);
        if (index >= 0)
        {
            values[index] = new(name, value);
        }
        else
        {
            values.Add(new(name, value));
        }
    }
}
