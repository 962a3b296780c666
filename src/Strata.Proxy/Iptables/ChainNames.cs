using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Proxy.Iptables;

/// <summary>
/// kube-proxy's chain names (pkg/proxy/iptables/proxier.go): a prefix and the first 16 characters of the standard
/// base32 encoding of sha256(servicePortName + lower-case protocol [+ endpoint]).
/// </summary>
public static class ChainNames
{
    public const string Services = "KUBE-SERVICES";
    public const string ExternalServices = "KUBE-EXTERNAL-SERVICES";
    public const string NodePorts = "KUBE-NODEPORTS";
    public const string Postrouting = "KUBE-POSTROUTING";
    public const string MarkMasq = "KUBE-MARK-MASQ";
    public const string Forward = "KUBE-FORWARD";
    public const string ProxyFirewall = "KUBE-PROXY-FIREWALL";
    public const string KubeletFirewall = "KUBE-FIREWALL";

    public const string ClusterPolicyPrefix = "KUBE-SVC-";
    public const string LocalPolicyPrefix = "KUBE-SVL-";
    public const string FirewallPrefix = "KUBE-FW-";
    public const string ExternalPrefix = "KUBE-EXT-";
    public const string EndpointPrefix = "KUBE-SEP-";

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string ClusterPolicy(string servicePortName, string protocol) => Named(ClusterPolicyPrefix, servicePortName, protocol, "");

    public static string LocalPolicy(string servicePortName, string protocol) => Named(LocalPolicyPrefix, servicePortName, protocol, "");

    public static string Firewall(string servicePortName, string protocol) => Named(FirewallPrefix, servicePortName, protocol, "");

    public static string External(string servicePortName, string protocol) => Named(ExternalPrefix, servicePortName, protocol, "");

    public static string Endpoint(string servicePortName, string protocol, string endpoint) => Named(EndpointPrefix, servicePortName, protocol, endpoint);

    /// <summary>The chains kube-proxy owns per Service, which a sync deletes when no longer used.</summary>
    public static bool IsServiceChain(string chain) =>
        chain.StartsWith(ClusterPolicyPrefix, StringComparison.Ordinal) || chain.StartsWith(LocalPolicyPrefix, StringComparison.Ordinal)
        || chain.StartsWith(EndpointPrefix, StringComparison.Ordinal) || chain.StartsWith(FirewallPrefix, StringComparison.Ordinal)
        || chain.StartsWith(ExternalPrefix, StringComparison.Ordinal);

    internal static string Hash(string input)
    {
        Span<char> text = stackalloc char[16];
        Hash(input, "", "", text);
        return new string(text);
    }

    /// <summary>The prefix and the hash of the three parts, concatenated, without building the input string (a full sync names tens of thousands of chains).</summary>
    private static string Named(string prefix, string a, string b, string c)
    {
        Span<char> name = stackalloc char[prefix.Length + 16];
        prefix.CopyTo(name);
        Hash(a, b, c, name[prefix.Length..]);
        return new string(name);
    }

    /// <summary>16 base32 characters are 80 bits: the first 10 bytes of the digest.</summary>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Hash(string a, string b, string c, Span<char> text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(a.Length + b.Length + c.Length);
        Span<byte> input = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var used = Encoding.UTF8.GetBytes(a, input);
        used += Encoding.UTF8.GetBytes(b, input[used..]);
        used += Encoding.UTF8.GetBytes(c, input[used..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input[..used], digest);
        ulong high = 0;
        for (var i = 0; i < 5; i++)
        {
            high = (high << 8) | digest[i];
        }

        ulong low = 0;
        for (var i = 5; i < 10; i++)
        {
            low = (low << 8) | digest[i];
        }

        for (var i = 0; i < 8; i++)
        {
            text[i] = Base32Alphabet[(int)((high >> (35 - (5 * i))) & 31)];
            text[8 + i] = Base32Alphabet[(int)((low >> (35 - (5 * i))) & 31)];
        }
    }
}
