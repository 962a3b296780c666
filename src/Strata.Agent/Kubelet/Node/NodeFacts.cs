using System.Reflection;
using System.Runtime.InteropServices;

namespace Strata.Agent.Kubelet.Node;

/// <summary>What the node reports about its machine (cadvisor's MachineInfo and the kubelet's version info).</summary>
public sealed record NodeFacts(
    int Cpus,
    long MemoryKi,
    long EphemeralStorageKi,
    string KernelVersion,
    string OsImage,
    string MachineId,
    string BootId,
    string StrataVersion)
{
    public const string KubeletVersion = "v1.32.0-strata";

    /// <summary>Reads /proc/meminfo, /etc/os-release, the kernel release and the size of the root dir's filesystem.</summary>
    public static NodeFacts Read(string rootDir)
    {
        string version = typeof(NodeFacts).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0";
        long storage = 0;
        try
        {
            storage = new DriveInfo(ExistingAncestor(rootDir)).TotalSize / 1024;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
        }

        return new NodeFacts(
            Environment.ProcessorCount,
            ParseMemoryKi(ReadOr("/proc/meminfo", string.Empty)),
            storage,
            ReadOr("/proc/sys/kernel/osrelease", RuntimeInformation.OSDescription).Trim(),
            ParseOsImage(ReadOr("/etc/os-release", string.Empty)),
            ReadOr("/etc/machine-id", string.Empty).Trim(),
            ReadOr("/proc/sys/kernel/random/boot_id", string.Empty).Trim(),
            version);
    }

    /// <summary>MemTotal from /proc/meminfo, in Ki.</summary>
    public static long ParseMemoryKi(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.TryParse(fields[1], out var ki) ? ki : 0;
            }
        }

        return 0;
    }

    /// <summary>PRETTY_NAME from os-release, as the kubelet reports osImage.</summary>
    public static string ParseOsImage(string osRelease)
    {
        foreach (var line in osRelease.Split('\n'))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim().Trim('"');
            }
        }

        return "Linux";
    }

    /// <summary>A file's text, or <paramref name="fallback"/> when it cannot be read.</summary>
    internal static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    private static string ExistingAncestor(string path)
    {
        var dir = new DirectoryInfo(path);
        while (!dir.Exists && dir.Parent is not null)
        {
            dir = dir.Parent;
        }

        return dir.FullName;
    }
}
