using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Strata.Dns.Forwarding;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests.Support;

/// <summary>
/// BIND 9's <c>named</c> serving one static zone on a loopback port, in the foreground, as the upstream resolver of
/// the tests. Its control channel is off, so several can run side by side. Stopped (by its PID) on dispose.
/// </summary>
public sealed class Named : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Named(Process process, string directory, IPEndPoint endpoint)
    {
        _process = process;
        _directory = directory;
        Endpoint = endpoint;
    }

    public static bool Available => File.Exists("/usr/sbin/named");

    public IPEndPoint Endpoint { get; }

    public static async Task<Named> StartAsync(string zone, string zoneFile)
    {
        var directory = Directory.CreateTempSubdirectory("strata-named-").FullName;
        var port = FreePort();
        File.WriteAllText(Path.Combine(directory, "zone.db"), zoneFile);
        File.WriteAllText(Path.Combine(directory, "named.conf"), $$"""
            options {
                directory "{{directory}}";
                pid-file "{{directory}}/named.pid";
                listen-on port {{port}} { 127.0.0.1; };
                listen-on-v6 { none; };
                recursion no;
                dnssec-validation no;
                allow-query { any; };
            };
            controls { };
            zone "{{zone}}" { type primary; file "{{directory}}/zone.db"; };
            """);
        var start = new ProcessStartInfo("/usr/sbin/named") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-g", "-n", "1", "-c", Path.Combine(directory, "named.conf") })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start named");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var named = new Named(process, directory, new IPEndPoint(IPAddress.Loopback, port));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await Forwarder.QueryAsync(named.Endpoint, new DnsQuestion(DnsName.Normalize(zone), DnsType.SOA), false, TimeSpan.FromMilliseconds(300), CancellationToken.None);
                return named;
            }
            catch (Exception e) when (e is SocketException or TimeoutException && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Exception e)
            {
                named.Dispose();
                string output;
                lock (log)
                {
                    output = log.ToString();
                }

                throw new InvalidOperationException($"named on port {port} did not answer ({e.GetType().Name}: {e.Message}); its output:\n{output}", e);
            }
        }
    }

    public static int FreePort()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)udp.LocalEndPoint!).Port;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
