using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Strata.ApiServer.Storage;

/// <summary>
/// A private single-member etcd for tests and benchmarks: loopback-only client and peer URLs on free ports, a scratch data directory.
/// It is stopped by killing exactly the process it started (by its PID, never by name), and its data directory is deleted
/// on dispose.
/// </summary>
public sealed class LocalEtcd : IAsyncDisposable
{
    public const string Binary = "/usr/bin/etcd";

    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    private LocalEtcd(string dataDirectory, int clientPort, int peerPort)
    {
        DataDirectory = dataDirectory;
        Endpoint = $"http://127.0.0.1:{clientPort}";
        PeerUrl = $"http://127.0.0.1:{peerPort}";
    }

    /// <summary>Null when etcd can run here; otherwise why the etcd tests are skipped.</summary>
    public static string? SkipReason =>
        File.Exists(Binary) ? null : $"needs {Binary} (Debian package etcd-server; `make deps` installs it)";

    public string DataDirectory { get; }

    public string Endpoint { get; }

    public string PeerUrl { get; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <param name="root">
    /// Where the data directory goes. Tests pass nothing and get tmpfs when there is one (fsync is then free, and they are
    /// about semantics, not disks); a benchmark passes the directory its other side writes to.
    /// </param>
    public static async Task<LocalEtcd> StartAsync(string? root = null)
    {
        root ??= Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var directory = Path.Combine(root, $"strata-etcd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var server = new LocalEtcd(directory, FreePort(), FreePort());
        try
        {
            await server.StartProcessAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills this etcd and starts it again on the same data directory and ports.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync();
    }

    /// <summary>Kills the etcd process this object started (SIGKILL to its PID) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", "default",
            "--data-dir", DataDirectory,
            "--listen-client-urls", Endpoint,
            "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", PeerUrl,
            "--initial-advertise-peer-urls", PeerUrl,
            "--initial-cluster", $"default={PeerUrl}",
            "--initial-cluster-state", "new",
            "--initial-cluster-token", "strata-test",
            "--logger", "zap",
            "--log-outputs", "stderr",
            "--log-level", "warn",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Binary}");
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with {process.ExitCode} before it was healthy:\n{Log()}");
            }

            try
            {
                var health = await http.GetStringAsync(new Uri($"{Endpoint}/health"));
                if (health.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"etcd at {Endpoint} was not healthy within 30 s:\n{Log()}");
            }

            await Task.Delay(50);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 200 && _log.TryDequeue(out _))
        {
        }
    }

    private string Log() => string.Join('\n', _log);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
