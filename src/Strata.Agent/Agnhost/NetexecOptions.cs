using System.Net;

namespace Strata.Agent.Agnhost;

/// <summary>The flags of <c>agnhost netexec</c>, with upstream's defaults.</summary>
public sealed record NetexecOptions
{
    public int HttpPort { get; init; } = 8080;

    /// <summary>-1 disables the UDP server (and then /healthz never turns 200, as upstream).</summary>
    public int UdpPort { get; init; } = 8081;

    /// <summary>Upstream's SCTP server; Strata does not implement it (only -1 is accepted).</summary>
    public int SctpPort { get; init; } = -1;

    /// <summary>Comma-separated addresses for the UDP server; empty for all.</summary>
    public string UdpListenAddresses { get; init; } = "";

    /// <summary>Serve every request as a GET of this path and query.</summary>
    public string HttpOverride { get; init; } = "";

    /// <summary>Seconds to wait after SIGTERM before exiting 0.</summary>
    public int DelayShutdown { get; init; }

    public string TlsCertFile { get; init; } = "";

    public string TlsPrivateKeyFile { get; init; } = "";

    /// <summary>The shell /shell runs commands with.</summary>
    public string ShellPath { get; init; } = "/bin/sh";

    /// <summary>The HTTP server's address; null for all (as upstream). Tests bind loopback.</summary>
    public IPAddress? HttpAddress { get; init; }

    /// <summary>Where /upload writes files.</summary>
    public string UploadDirectory { get; init; } = "/uploads";

    public static AgnhostFlags Flags() => new AgnhostFlags()
        .Int("http-port", 8080, "HTTP Listen Port")
        .String("tls-cert-file", "", "File containing an x509 certificate for HTTPS. (CA cert, if any, concatenated after server cert)")
        .String("tls-private-key-file", "", "File containing an x509 private key matching --tls-cert-file")
        .Int("udp-port", 8081, "UDP Listen Port")
        .Int("sctp-port", -1, "SCTP Listen Port")
        .String("http-override", "", "Override the HTTP handler to always respond as if it were a GET with this path & params")
        .String("udp-listen-addresses", "", "A comma separated list of ip addresses the udp servers listen from")
        .Int("delay-shutdown", 0, "Number of seconds to delay shutdown when receiving SIGTERM.");

    public static NetexecOptions From(AgnhostFlags flags) => new()
    {
        HttpPort = flags.GetInt("http-port"),
        UdpPort = flags.GetInt("udp-port"),
        SctpPort = flags.GetInt("sctp-port"),
        HttpOverride = flags.GetString("http-override"),
        UdpListenAddresses = flags.GetString("udp-listen-addresses"),
        DelayShutdown = flags.GetInt("delay-shutdown"),
        TlsCertFile = flags.GetString("tls-cert-file"),
        TlsPrivateKeyFile = flags.GetString("tls-private-key-file"),
    };
}

/// <summary>What /exit and /shutdown ask for: exit with this code, after closing connections for up to Timeout (zero: at once).</summary>
public sealed record ExitRequest(int Code, TimeSpan Timeout);
