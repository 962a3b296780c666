using System.Net;
using System.Net.Sockets;
using Strata.Lab;

namespace Strata.Lab.Tests;

/// <summary>The kernel pieces under the lab, for real: spawning inside namespaces, handing down a socket, persistent mount namespaces, finding processes by namespace.</summary>
public sealed class SpawnerAndNamespaceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strata-t-spawn-" + Guid.NewGuid().ToString("N")[..8]);

    public SpawnerAndNamespaceTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        foreach (string mountPoint in MountNamespaces.MountsUnder(_directory).Reverse())
        {
            MountNamespaces.Unmount(mountPoint);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [RootFact]
    public void RunReturnsTheExitCodeAndRunsInTheNamespace()
    {
        using var scratch = ScratchNamespace.Create();
        string netns = "/run/netns/" + scratch.Name;
        string output = Path.Combine(_directory, "links");
        Assert.Equal(0, LabSpawner.Run(new SpawnSpec { Program = "sh", Arguments = ["-c", $"ip -o link > {output}"], SearchPath = true, NetworkNamespace = netns }));
        Assert.Equal(["lo"], File.ReadAllLines(output).Select(l => l.Split(':')[1].Trim()));
        Assert.Equal(7, LabSpawner.Run(new SpawnSpec { Program = "sh", Arguments = ["-c", "exit 7"], SearchPath = true }));
        Assert.Equal(128 + 9, LabSpawner.Run(new SpawnSpec { Program = "sh", Arguments = ["-c", "kill -9 $$"], SearchPath = true }));
        var missing = Assert.Throws<LabSystemException>(() => LabSpawner.Run(new SpawnSpec { Program = "/nonexistent/program" }));
        Assert.Equal("exec /nonexistent/program: No such file or directory", missing.Message);
    }

    [RootFact]
    public async Task ADetachedProcessLogsToItsFileGetsTheSocketAsFd3AndIsFoundByItsNamespace()
    {
        using var scratch = ScratchNamespace.Create();
        string netns = "/run/netns/" + scratch.Name;
        scratch.Netlink.SetLinkUp("lo");
        using var listener = scratch.Namespace.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Listen(1);
            return socket;
        });
        string log = Path.Combine(_directory, "child.log");
        // The child reports what fd 3 is and its session, then waits.
        int pid = LabSpawner.Spawn(new SpawnSpec
        {
            Program = "/bin/sh",
            Arguments = ["-c", "echo fd3=$(readlink /proc/self/fd/3 | cut -d: -f1); echo sid=$(ps -o sid= -p $$ | tr -d ' '); echo err >&2; exec sleep 60"],
            LogFile = log,
            NewSession = true,
            PassedDescriptor = listener.SafeHandle,
            NetworkNamespace = netns,
        });
        try
        {
            var start = ProcessIdentity.Read(pid)!.Value;
            await EventuallyAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("err", StringComparison.Ordinal));
            string text = File.ReadAllText(log);
            Assert.Contains("fd3=socket", text, StringComparison.Ordinal);
            Assert.Contains($"sid={pid}", text, StringComparison.Ordinal);

            string id = LabTeardown.NamespaceId(netns)!;
            Assert.StartsWith("net:[", id, StringComparison.Ordinal);
            Assert.Contains((pid, start.StartTime), LabTeardown.ProcessesInNamespaces(new HashSet<string> { id }).ToList());
        }
        finally
        {
            using var child = System.Diagnostics.Process.GetProcessById(pid);
            child.Kill();
        }
    }

    [RootFact]
    public void APersistentMountNamespaceShowsItsBindsOnlyInside()
    {
        string target = Path.Combine(_directory, "target");
        string source = Path.Combine(_directory, "source");
        Directory.CreateDirectory(target);
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "inside"), "node's file\n");
        string nsDirectory = Path.Combine(_directory, "ns");
        MountNamespaces.MakePrivateMountPoint(nsDirectory);
        string file = Path.Combine(nsDirectory, "node.mnt");
        MountNamespaces.Create(file, [new NodeMount(source, target, IsFile: false)]);

        Assert.True(MountNamespaces.IsMountPoint(file));
        Assert.False(File.Exists(Path.Combine(target, "inside")), "the bind leaked into the host's mount namespace");
        string output = Path.Combine(_directory, "seen");
        Assert.Equal(0, LabSpawner.Run(new SpawnSpec { Program = "sh", Arguments = ["-c", $"cat {target}/inside > {output}"], SearchPath = true, MountNamespace = file }));
        Assert.Equal("node's file\n", File.ReadAllText(output));

        Assert.True(MountNamespaces.Unmount(file));
        Assert.False(MountNamespaces.Unmount(file));
        Assert.True(MountNamespaces.Unmount(nsDirectory));
        Assert.Empty(MountNamespaces.MountsUnder(_directory));
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 20 s");
            await Task.Delay(50);
        }
    }
}
