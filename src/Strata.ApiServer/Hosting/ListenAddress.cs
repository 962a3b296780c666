using System.Net;

namespace Strata.ApiServer.Hosting;

/// <summary>A <c>host:port</c> to listen on (IPv6 as <c>[::1]:6443</c>).</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    public static ListenAddress Parse(string text)
    {
        if (!IPEndPoint.TryParse(text, out var endpoint) || !text.Contains(':'))
        {
            throw new ArgumentException($"--listen {text}: expected an IP address and a port, such as 127.0.0.1:6443");
        }

        return new ListenAddress(endpoint.Address, endpoint.Port);
    }

    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}
