using System.IO.Pipes;
using System.Text;
using Strata.Agent.Runtime;

namespace Strata.Agent.Tests.Processes;

public sealed class ProcessSpawnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-t-spawn-").FullName;
    private readonly List<SpawnedProcess> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Signal(9);
            process.WaitForExitAsync().Wait(TimeSpan.FromSeconds(10));
            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_program_gets_exactly_its_arguments_environment_directory_and_output_file()
    {
        var log = Path.Combine(_directory, "out.log");
        using (var output = File.OpenHandle(log, FileMode.Create, FileAccess.Write))
        {
            var process = Track(ProcessSpawner.Spawn(new SpawnRequest
            {
                Path = "/bin/sh",
                Arguments = ["-c", "echo \"$0 $FOO ${HOME:-nohome}\"; pwd; echo oops >&2; exit 3", "zero"],
                Environment = ["FOO=bar baz"],
                WorkingDirectory = "/usr",
                StandardOutput = output,
                StandardError = output,
            }));
            Assert.Equal(3, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.Equal("zero bar baz nohome\n/usr\noops\n", File.ReadAllText(log));
    }

    [Fact]
    public async Task A_signal_ends_the_process_and_its_code_is_128_plus_the_signal()
    {
        var process = Track(ProcessSpawner.Spawn(new SpawnRequest { Path = "/bin/sleep", Arguments = ["60"] }));
        Assert.False(process.HasExited);
        process.Signal(15);
        Assert.Equal(143, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(process.HasExited);
        process.Signal(15); // Already gone: not an error.
    }

    [Fact]
    public void The_process_leads_its_own_session_with_default_signal_handling()
    {
        var process = Track(ProcessSpawner.Spawn(new SpawnRequest { Path = "/bin/sleep", Arguments = ["60"] }));
        var stat = File.ReadAllText($"/proc/{process.Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[3]); // session id
        var status = File.ReadAllLines($"/proc/{process.Pid}/status");
        Assert.Contains("SigBlk:\t0000000000000000", status);
        // The runtime ignores SIGPIPE (bit 13 - 1); a container must not inherit that. glibc's posix_spawn leaves its two
        // internal real-time signals (32 and 33) ignored, which no program can use anyway.
        var ignored = Convert.ToUInt64(status.Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim(), 16);
        Assert.Equal(0UL, ignored & 0xffffffffUL & ~(1UL << 31));
        Assert.Equal(SpawnedProcess.ReadStartTime(process.Pid), process.StartTime);
    }

    [Fact]
    public async Task Stdin_comes_from_a_pipe()
    {
        using var input = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        using var output = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var process = Track(ProcessSpawner.Spawn(new SpawnRequest
        {
            Path = "/bin/cat",
            StandardInput = input.ClientSafePipeHandle,
            StandardOutput = output.ClientSafePipeHandle,
        }));
        input.DisposeLocalCopyOfClientHandle();
        output.DisposeLocalCopyOfClientHandle();
        await input.WriteAsync(Encoding.UTF8.GetBytes("through the pipe\n"));
        input.Close();
        using var reader = new StreamReader(output);
        Assert.Equal("through the pipe\n", await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_missing_program_or_directory_is_named_in_the_error()
    {
        var missing = Assert.Throws<SpawnException>(() => ProcessSpawner.Spawn(new SpawnRequest { Path = "/nonexistent/prog" }));
        Assert.Equal("exec /nonexistent/prog: No such file or directory", missing.Message);
        Assert.Equal(2, missing.Errno);
        var directory = Assert.Throws<SpawnException>(() => ProcessSpawner.Spawn(new SpawnRequest { Path = "/bin/true", WorkingDirectory = "/nonexistent/dir" }));
        Assert.Equal("chdir /nonexistent/dir: No such file or directory", directory.Message);
        var data = Path.Combine(_directory, "data");
        File.WriteAllText(data, "not a program");
        var notExecutable = Assert.Throws<SpawnException>(() => ProcessSpawner.Spawn(new SpawnRequest { Path = data }));
        Assert.Equal($"exec {data}: Permission denied", notExecutable.Message);
    }

    [Theory]
    [InlineData("sh", "PATH=/usr/bin:/bin", "/usr/bin/sh")]
    [InlineData("sh", "PATH=/nonexistent", null)]
    [InlineData("/bin/sh", "PATH=/nonexistent", "/bin/sh")]
    [InlineData("/nonexistent/sh", "PATH=/bin", null)]
    [InlineData("hostname", "HOME=/", "/usr/bin/hostname")]
    public void Executables_are_found_on_the_containers_PATH(string name, string environment, string? expected) =>
        Assert.Equal(expected, ProcessSpawner.FindExecutable(name, [environment]));

    [Fact]
    public async Task An_adopted_process_is_the_same_process_and_a_reused_start_time_is_refused()
    {
        var process = Track(ProcessSpawner.Spawn(new SpawnRequest { Path = "/bin/sleep", Arguments = ["60"] }));
        Assert.Null(SpawnedProcess.Adopt(process.Pid, process.StartTime + 1));
        using var adopted = SpawnedProcess.Adopt(process.Pid, process.StartTime);
        Assert.NotNull(adopted);
        adopted.Signal(9);
        Assert.Equal(137, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await adopted.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10))); // The original parent reaped it.
        Assert.Null(SpawnedProcess.Adopt(process.Pid, process.StartTime));
    }

    [Fact]
    public async Task A_terminal_child_has_it_as_its_controlling_terminal_at_the_size_given()
    {
        using var terminal = PseudoTerminal.Open();
        terminal.Resize(100, 40);
        var process = Track(ProcessSpawner.Spawn(new SpawnRequest
        {
            Path = "/bin/sh",
            Arguments = ["-c", "tty; stty size; test -t 0 && echo interactive; exec 0<&- 1>&- 2>&-; sleep 0"],
            Terminal = terminal.SlavePath,
        }));
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        var text = await ReadAvailableAsync(terminal);
        Assert.Contains(terminal.SlavePath + "\r\n40 100\r\ninteractive\r\n", text);
    }

    [RootFact]
    public async Task The_program_runs_inside_the_network_mount_and_uts_namespaces_given()
    {
        using var netns = ScratchNamespace.Create();
        // A private bind of the directory, so that namespace files can be bind-mounted into it (util-linux unshare(1)).
        var nsDirectory = Path.Combine(_directory, "ns");
        var shared = Path.Combine(_directory, "shared");
        Directory.CreateDirectory(nsDirectory);
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(nsDirectory, "mnt"), "");
        File.WriteAllText(Path.Combine(nsDirectory, "uts"), "");
        Tool.Check("mount", "--bind", nsDirectory, nsDirectory);
        try
        {
            Tool.Check("mount", "--make-private", nsDirectory);
            Tool.Check("unshare", $"--mount={nsDirectory}/mnt", $"--uts={nsDirectory}/uts", "--propagation", "private",
                "sh", "-c", $"hostname strata-t-pod && mount -t tmpfs tmpfs {shared} && echo inside > {shared}/only-here");
            try
            {
                var log = Path.Combine(_directory, "ns.log");
                using (var output = File.OpenHandle(log, FileMode.Create, FileAccess.Write))
                {
                    var process = Track(ProcessSpawner.Spawn(new SpawnRequest
                    {
                        Path = "/bin/sh",
                        Arguments = ["-c", $"hostname; cat only-here; readlink /proc/self/ns/net"],
                        WorkingDirectory = shared,
                        Namespaces = new NamespacePaths(Net: $"/run/netns/{netns.Name}", Mount: $"{nsDirectory}/mnt", Uts: $"{nsDirectory}/uts"),
                        StandardOutput = output,
                        StandardError = output,
                    }));
                    Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
                }

                var inode = Tool.Check("stat", "-L", "-c", "%i", $"/run/netns/{netns.Name}").Trim();
                Assert.Equal($"strata-t-pod\ninside\nnet:[{inode}]\n", File.ReadAllText(log));
                Assert.False(File.Exists(Path.Combine(shared, "only-here"))); // Only inside that mount namespace.
                Assert.NotEqual("strata-t-pod", Environment.MachineName);
            }
            finally
            {
                Tool.Check("umount", $"{nsDirectory}/mnt");
                Tool.Check("umount", $"{nsDirectory}/uts");
            }
        }
        finally
        {
            Tool.Check("umount", nsDirectory);
        }
    }

    private SpawnedProcess Track(SpawnedProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>Reads the master until the slave side has closed (EIO) or nothing more comes.</summary>
    private static async Task<string> ReadAvailableAsync(PseudoTerminal terminal)
    {
        using var master = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(terminal.Master.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1, isAsync: false);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        await Task.Run(() =>
        {
            try
            {
                int n;
                while ((n = master.Read(buffer)) > 0)
                {
                    text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            catch (IOException)
            {
                // EIO: every slave descriptor is closed.
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));
        return text.ToString();
    }
}
