using k8s.Models;

namespace Strata.Agent.Runtime;

/// <summary>
/// One bind mount of a pod's volume into its mount namespace: <paramref name="Source"/> as the node sees it (or, for
/// an emptyDir of medium Memory, a tmpfs made there when <paramref name="Tmpfs"/>), over <paramref name="Target"/>.
/// </summary>
public sealed record VolumeBind(string Volume, string Source, string Target, bool ReadOnly, bool Tmpfs = false);

/// <summary>A volume that cannot be mounted; the kubelet reports it as upstream's FailedMount event does.</summary>
public sealed class VolumeMountException(string volume, string reason)
    : Exception($"MountVolume.SetUp failed for volume \"{volume}\" : {reason}")
{
    public string Volume { get; } = volume;
}

/// <summary>
/// Which of a pod's volumes are mounted where. Pure: it reads the spec and names the sources.
/// <para>
/// Strata's containers share their pod's mount namespace (they are host programs, not images with a rootfs each), so
/// the mounts of every container are made once for the pod. Two containers that mount different volumes on the same
/// path cannot both be honoured: that is refused rather than one silently winning.
/// </para>
/// </summary>
public static class PodVolumes
{
    /// <summary>The volume sources the kubelet mounts (pkg/volume/hostpath, pkg/volume/emptydir and pkg/volume/projected).</summary>
    public static IReadOnlyList<string> Supported { get; } = ["hostPath", "emptyDir", "projected"];

    /// <summary>The binds for <paramref name="pod"/>; emptyDir sources lie under <paramref name="paths"/>' pod directory.</summary>
    public static IReadOnlyList<VolumeBind> Plan(V1Pod pod, PodPaths paths)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var volumes = (pod.Spec.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []);
        var binds = new Dictionary<string, (VolumeBind Bind, string Container)>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            foreach (var mount in container.VolumeMounts ?? [])
            {
                if (!volumes.TryGetValue(mount.Name, out var volume))
                {
                    throw new VolumeMountException(mount.Name, $"container \"{container.Name}\" mounts a volume the pod does not declare");
                }

                if (!string.IsNullOrEmpty(mount.SubPath) || !string.IsNullOrEmpty(mount.SubPathExpr))
                {
                    throw new VolumeMountException(mount.Name, $"container \"{container.Name}\": subPath is not supported by Strata's kubelet");
                }

                if (!Path.IsPathRooted(mount.MountPath))
                {
                    throw new VolumeMountException(mount.Name, $"container \"{container.Name}\": mountPath \"{mount.MountPath}\" is not absolute");
                }

                string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mount.MountPath));
                var bind = BindOf(pod, volume, target, mount.ReadOnlyProperty == true, paths);
                if (binds.TryGetValue(target, out var existing))
                {
                    if (existing.Bind != bind)
                    {
                        throw new VolumeMountException(mount.Name,
                            $"containers \"{existing.Container}\" and \"{container.Name}\" mount different volumes (or modes) on {target}; Strata's containers share their pod's mount namespace");
                    }

                    continue;
                }

                binds[target] = (bind, container.Name);
            }
        }

        // Parents before children, so /a is mounted before /a/b.
        return [.. binds.Values.Select(b => b.Bind).OrderBy(b => b.Target.Count(c => c == '/')).ThenBy(b => b.Target, StringComparer.Ordinal)];
    }

    private static VolumeBind BindOf(V1Pod pod, V1Volume volume, string target, bool readOnly, PodPaths paths)
    {
        if (volume.HostPath is { } hostPath)
        {
            if (!Path.IsPathRooted(hostPath.Path))
            {
                throw new VolumeMountException(volume.Name, $"hostPath \"{hostPath.Path}\" is not absolute");
            }

            return new VolumeBind(volume.Name, hostPath.Path, target, readOnly);
        }

        if (volume.EmptyDir is { } emptyDir)
        {
            string medium = emptyDir.Medium ?? string.Empty;
            if (medium is not ("" or "Memory"))
            {
                throw new VolumeMountException(volume.Name, $"emptyDir medium \"{medium}\" is not supported (use \"\" or \"Memory\")");
            }

            return new VolumeBind(volume.Name, paths.EmptyDirVolume(pod.Metadata.Uid, volume.Name), target, readOnly, Tmpfs: medium == "Memory");
        }

        if (volume.Projected is not null)
        {
            // The kubelet writes the files (ProjectedVolumes) before the sandbox; the pod only reads them, as upstream mounts them read-only.
            return new VolumeBind(volume.Name, paths.ProjectedVolume(pod.Metadata.Uid, volume.Name), target, ReadOnly: true);
        }

        string kind = KindOf(volume);
        throw new VolumeMountException(volume.Name, $"{kind} volumes are not supported by Strata's kubelet (it mounts {string.Join(", ", Supported.SkipLast(1))} and {Supported[^1]}); read the object through the API instead");
    }

    // The JSON name of the volume's source, for the error: the one property that is set.
    private static string KindOf(V1Volume volume)
    {
        var set = typeof(V1Volume).GetProperties()
            .Where(p => p.Name != nameof(V1Volume.Name) && p.GetValue(volume) is not null)
            .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..])
            .FirstOrDefault();
        return set ?? "source-less";
    }
}
