using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// A plugin's failure: its spec error (code, msg, details) when it printed one, named with the
/// plugin and the command; or a failure to run it at all (not found, timed out, bad output).
/// </summary>
public sealed class CniPluginException(string plugin, string command, uint code, string message, string details = "", bool reportedByPlugin = false)
    : Exception(reportedByPlugin
        ? $"plugin {plugin} {command} failed with code {code}: {message}{(details.Length > 0 ? $" ({details})" : string.Empty)}"
        : $"plugin {plugin} {command} failed: {message}")
{
    public string Plugin { get; } = plugin;

    public string Command { get; } = command;

    /// <summary>The spec error code the plugin reported (0, "unknown", when it reported none).</summary>
    public uint Code { get; } = code;

    public string PluginMessage { get; } = message;

    public string Details { get; } = details;

    /// <summary>True when code, msg and details came from the plugin's error JSON.</summary>
    public bool ReportedByPlugin { get; } = reportedByPlugin;
}

/// <summary>The environment a plugin runs with (SPEC.md section 2; libcni pkg/invoke Args.AsEnv). Pure.</summary>
public static class PluginEnvironment
{
    /// <summary>The CNI_* variables for one command; they override the runtime's own environment.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(string command, RuntimeConf? runtime, IReadOnlyList<string> path) =>
    [
        new("CNI_COMMAND", command),
        new("CNI_CONTAINERID", runtime?.ContainerId ?? string.Empty),
        new("CNI_NETNS", runtime?.NetNs ?? string.Empty),
        new("CNI_ARGS", runtime?.ArgsText ?? string.Empty),
        new("CNI_IFNAME", runtime?.IfName ?? string.Empty),
        new("CNI_PATH", string.Join(':', path)),
    ];

    /// <summary>VERSION (libcni GetVersionInfo) sets placeholder values that plugins built on old skel libraries require.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ForVersion() =>
    [
        new("CNI_COMMAND", "VERSION"),
        new("CNI_CONTAINERID", string.Empty),
        new("CNI_NETNS", "dummy"),
        new("CNI_ARGS", string.Empty),
        new("CNI_IFNAME", "dummy"),
        new("CNI_PATH", "dummy"),
    ];
}

/// <summary>
/// Finds and executes plugin binaries (libcni pkg/invoke: FindInPath and RawExec). Each execution
/// has a time limit; a plugin that exceeds it, or whose caller cancels, is killed with SIGKILL,
/// and only that process, the one this invoker started. With <see cref="HostNetns"/> (and
/// <see cref="HostMountNs"/>) set, plugins run inside those namespaces, as a lab node's do: the
/// plugin is looked up and started from a thread switched into them.
/// </summary>
public sealed class PluginInvoker
{
    private const int ETXTBSY = 26;

    public PluginInvoker(IReadOnlyList<string> path, string? hostNetns = null, TimeSpan? timeout = null)
    {
        Path = path;
        HostNetns = hostNetns;
        Timeout = timeout ?? TimeSpan.FromMinutes(2);
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "the plugin timeout must be positive");
        }
    }

    /// <summary>The directories searched for plugins, in order; also CNI_PATH.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>Run plugins in this network namespace: a name under /run/netns, or a path such as /proc/PID/ns/net.</summary>
    public string? HostNetns { get; }

    /// <summary>Also run plugins in this mount namespace (a path such as /proc/PID/ns/mnt), so they see a node's own /opt/cni/bin, /var/lib/cni and /run.</summary>
    public string? HostMountNs { get; init; }

    /// <summary>How long one plugin execution may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Where a successful plugin's stderr goes (libcni copies it to its own stderr); dropped when null.</summary>
    public TextWriter? Stderr { get; init; }

    /// <summary>libcni FindInPath: the first regular file named <paramref name="type"/> in <see cref="Path"/>.</summary>
    public string Find(string type) => Find(type, "exec");

    private string Find(string type, string command)
    {
        if (string.IsNullOrEmpty(type))
        {
            throw new CniConfigException("no plugin name provided");
        }

        if (type.Contains('/'))
        {
            throw new CniConfigException($"invalid plugin name: {type}");
        }

        if (Path.Count == 0)
        {
            throw new CniPluginException(type, command, 0, "no paths provided");
        }

        return Path.Select(dir => System.IO.Path.Combine(dir, type)).FirstOrDefault(File.Exists)
            ?? throw new CniPluginException(type, command, 0, $"failed to find plugin \"{type}\" in path [{string.Join(' ', Path)}]");
    }

    /// <summary>Runs one command with the spec's environment and <paramref name="stdin"/>; returns stdout when the plugin exits 0.</summary>
    public byte[] Exec(string type, string command, byte[] stdin, RuntimeConf? runtime, CancellationToken cancellationToken = default) =>
        ExecWithEnvironment(type, command, stdin, PluginEnvironment.For(command, runtime, Path), cancellationToken);

    /// <summary>As <see cref="Exec(string, string, byte[], RuntimeConf?, CancellationToken)"/> with an explicit environment.</summary>
    public byte[] ExecWithEnvironment(string type, string command, byte[] stdin, IReadOnlyList<KeyValuePair<string, string>> environment, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        using var process = NamespaceThread.Run(HostNetns, HostMountNs, () => Start(type, command, environment));

        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var reading = Task.WhenAll(
            process.StandardOutput.BaseStream.CopyToAsync(stdout, CancellationToken.None),
            process.StandardError.BaseStream.CopyToAsync(stderr, CancellationToken.None));
        _ = WriteStdinAsync(process, stdin); // asynchronously: a plugin that never reads must not outlast the timeout

        bool exited;
        using (cancellationToken.Register(() => Kill(process)))
        {
            exited = process.WaitForExit(Timeout);
        }

        if (!exited)
        {
            Kill(process);
            process.WaitForExit();
            throw new CniPluginException(type, command, 0, $"timed out after {Timeout.TotalSeconds:0.###} s; the plugin (pid {process.Id}) was killed");
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The pipes reach EOF when the plugin exits, unless a process it left behind still holds them.
        var remaining = Timeout - clock.Elapsed;
        if (!reading.Wait(remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), CancellationToken.None))
        {
            throw new CniPluginException(type, command, 0, "the plugin exited, but a process it started still holds its stdout or stderr open");
        }

        byte[] output = stdout.ToArray();
        if (process.ExitCode == 0)
        {
            if (Stderr is not null && stderr.Length > 0)
            {
                Stderr.Write(Encoding.UTF8.GetString(stderr.ToArray()));
            }

            return output;
        }

        throw PluginError(type, command, process.ExitCode, output, stderr.ToArray());
    }

    /// <summary>
    /// libcni RawExec.pluginErr: the error JSON on stdout (code, msg, details); or what stderr said;
    /// or, when stdout is not an error object, that it could not be parsed.
    /// </summary>
    internal static CniPluginException PluginError(string type, string command, int exitCode, byte[] stdout, byte[] stderr)
    {
        if (stdout.AsSpan().Trim("\r\n\t "u8).IsEmpty)
        {
            string text = Excerpt(stderr);
            return new CniPluginException(type, command, 0, text.Length == 0 ? $"exited with status {exitCode} and no error message" : $"exited with status {exitCode}: {text}");
        }

        try
        {
            if (JsonNode.Parse(stdout) is JsonObject error)
            {
                uint code = error["code"] switch
                {
                    null => 0,
                    JsonValue v when v.TryGetValue(out uint number) => number,
                    JsonValue v when v.GetValueKind() == JsonValueKind.Number && uint.TryParse(v.ToJsonString(), out uint number) => number,
                    _ => throw new JsonException("\"code\" is not an unsigned integer"),
                };
                return new CniPluginException(type, command, code, Text(error, "msg"), Text(error, "details"), reportedByPlugin: true);
            }

            throw new JsonException("not a JSON object");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            return new CniPluginException(type, command, 0,
                $"exited with status {exitCode}, and its error output could not be parsed ({ex.Message}): {Excerpt(stdout)}");
        }

        static string Text(JsonObject error, string key) => error[key] switch
        {
            null => string.Empty,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => throw new JsonException($"\"{key}\" is a {other.GetValueKind()}, not a string"),
        };
    }

    internal static string Excerpt(byte[] bytes, int max = 500)
    {
        string text = Encoding.UTF8.GetString(bytes).Trim();
        return text.Length <= max ? text : text[..max] + "…";
    }

    /// <summary>Finds and starts the plugin (on the caller's thread, which may be inside the host namespaces).</summary>
    private Process Start(string type, string command, IReadOnlyList<KeyValuePair<string, string>> environment)
    {
        string executable = Find(type, command);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        // libcni retries "text file busy" (a plugin binary being replaced) for up to five seconds.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return Process.Start(start) ?? throw new CniPluginException(type, command, 0, $"cannot start {executable}");
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == ETXTBSY && attempt < 5)
            {
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
            catch (Win32Exception ex)
            {
                throw new CniPluginException(type, command, 0, $"cannot execute {executable}: {ex.Message}");
            }
        }
    }

    private static async Task WriteStdinAsync(Process process, byte[] stdin)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The plugin exited (or was killed) without reading all of its stdin; its exit status says why.
        }
    }

    /// <summary>SIGKILL to the plugin process itself, never to anything else.</summary>
    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }
}
