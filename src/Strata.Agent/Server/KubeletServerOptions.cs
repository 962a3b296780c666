using System.Net;

namespace Strata.Agent.Server;

/// <summary>Where the kubelet server listens (<c>--node-ip</c>, <c>--port</c>), validated at start.</summary>
public sealed class KubeletServerOptions
{
    public const int DefaultPort = 10250;

    /// <summary>The address to bind: the node's InternalIP (127.0.0.1 in tests).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The port; 0 picks a free one (tests), read back from <see cref="KubeletServer.Port"/>.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Names put in the serving certificate besides the address (the node name).</summary>
    public IReadOnlyList<string> DnsNames { get; set; } = [];

    /// <summary>How often a followed log is checked for new lines and for its container's end.</summary>
    public TimeSpan FollowInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port {Port}: must be between 0 and 65535");
        }

        if (FollowInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the log follow interval must be positive");
        }

        foreach (var name in DnsNames)
        {
            if (Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                throw new ArgumentException($"{name}: not a DNS name for the kubelet's serving certificate");
            }
        }
    }
}
