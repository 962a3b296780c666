using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Strata.Netlink;

namespace Strata.Flannel.Config;

/// <summary>
/// Parses <c>net-conf.json</c> as flannel does (pkg/subnet/config.go ParseConfig and CheckNetworkConfig, and each
/// backend's config struct): field names match case-insensitively as Go's encoding/json does, unknown fields are
/// ignored, a missing Backend means udp. Every error names the source and the field. Pure.
/// </summary>
public static class NetConfParser
{
    public static readonly IReadOnlyList<string> BackendTypes = [VxlanConfig.VxlanType, HostGwConfig.HostGwType, UdpConfig.UdpType];

    public static NetConf Parse(string json, string source)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Error(source, $"not valid JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"expected a JSON object, got {Describe(root)}");
        }

        if (Bool(root, "EnableIPv4", source) is false)
        {
            throw Error(source, "EnableIPv4: false is not supported (Strata's flannel is IPv4 only)");
        }

        if (Bool(root, "EnableIPv6", source) is true)
        {
            throw Error(source, "EnableIPv6: IPv6 is not supported (Strata's flannel is IPv4 only)");
        }

        if (Bool(root, "EnableNFTables", source) is true)
        {
            throw Error(source, "EnableNFTables: the nftables traffic manager is not supported; use iptables (false)");
        }

        var network = Network(root, source);
        int subnetLen = SubnetLen(root, network, source);
        var (min, max) = SubnetRange(root, network, subnetLen, source);
        var backend = Backend(root, source);
        return new NetConf(network, subnetLen, min, max, backend);
    }

    private static IpPrefix Network(JsonElement root, string source)
    {
        if (String(root, "Network", source) is not { } text || text.Length == 0)
        {
            throw Error(source, "Network: missing; please define a correct Network parameter in the flannel config (e.g. \"10.233.64.0/18\")");
        }

        // Go's net.ParseCIDR (upstream's ip.ParseIP4Net) wants the prefix length: a bare address is not a network.
        bool parsed = IpPrefix.TryParse(text, out var prefix, out var problem);
        if (!parsed || !prefix.IsIPv4 || !text.Contains('/', StringComparison.Ordinal))
        {
            throw Error(source, $"Network: \"{text}\" is not an IPv4 CIDR{(problem is null ? "" : $" ({problem})")}");
        }

        if (!prefix.Address.Equals(prefix.Network.Address))
        {
            throw Error(source, $"Network: \"{text}\" has host bits set (did you mean {prefix.Network}?)");
        }

        return prefix;
    }

    private static int SubnetLen(JsonElement root, IpPrefix network, string source)
    {
        int subnetLen = Int(root, "SubnetLen", source) ?? 0;
        if (subnetLen > 0)
        {
            if (subnetLen > 30)
            {
                throw Error(source, $"SubnetLen: {subnetLen} must be less than /31");
            }

            if (subnetLen < network.PrefixLength + 2)
            {
                throw Error(source, $"SubnetLen: /{subnetLen} in Network {network}: the network must be able to accommodate at least four subnets");
            }

            return subnetLen;
        }

        if (subnetLen < 0)
        {
            throw Error(source, $"SubnetLen: {subnetLen} is negative");
        }

        if (network.PrefixLength > 28)
        {
            throw Error(source, $"Network: {network} is too small; the minimum useful network prefix is /28");
        }

        return network.PrefixLength <= 22 ? 24 : network.PrefixLength + 2;
    }

    private static (IPAddress Min, IPAddress Max) SubnetRange(JsonElement root, IpPrefix network, int subnetLen, string source)
    {
        uint size = 1u << (32 - subnetLen);
        uint first = ToUInt(network.Address);
        uint last = first + (uint)((1UL << (32 - network.PrefixLength)) - 1);
        uint mask = uint.MaxValue << (32 - subnetLen);
        uint min = Address(root, "SubnetMin", source) ?? first + size;
        uint max = Address(root, "SubnetMax", source) ?? last + 1 - size;
        foreach (var (field, value) in new[] { ("SubnetMin", min), ("SubnetMax", max) })
        {
            if (value < first || value > last)
            {
                throw Error(source, $"{field}: {FromUInt(value)} is not in the range of the Network {network}");
            }

            if ((value & mask) != value)
            {
                throw Error(source, $"{field}: {FromUInt(value)} is not on a SubnetLen (/{subnetLen}) boundary");
            }
        }

        return (FromUInt(min), FromUInt(max));
    }

    private static BackendConfig Backend(JsonElement root, string source)
    {
        if (!TryGet(root, "Backend", out var backend) || backend.ValueKind == JsonValueKind.Null)
        {
            return new UdpConfig(UdpConfig.DefaultPort);
        }

        if (backend.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"Backend: expected an object, got {Describe(backend)}");
        }

        string type = String(backend, "Type", source, "Backend.") ?? "";
        switch (type)
        {
            case VxlanConfig.VxlanType:
                int vni = Int(backend, "VNI", source, "Backend.") ?? VxlanConfig.DefaultVni;
                if (vni is < 0 or > (int)VxlanSpec.MaxVni)
                {
                    throw Error(source, $"Backend.VNI: {vni} is not a VXLAN network identifier (0-{VxlanSpec.MaxVni})");
                }

                int port = Port(backend, source, 0);
                int mtu = Int(backend, "MTU", source, "Backend.") ?? 0;
                if (mtu != 0 && mtu < 68 + 50)
                {
                    throw Error(source, $"Backend.MTU: {mtu} leaves no room for packets after VXLAN's 50 bytes (at least {68 + 50})");
                }

                if (Bool(backend, "GBP", source, "Backend.") is true)
                {
                    throw Error(source, "Backend.GBP: VXLAN group-based policy is not supported");
                }

                return new VxlanConfig(vni, port, mtu, Gbp: false,
                    Bool(backend, "Learning", source, "Backend.") ?? false,
                    Bool(backend, "DirectRouting", source, "Backend.") ?? false);
            case HostGwConfig.HostGwType:
                return new HostGwConfig();
            case UdpConfig.UdpType:
                return new UdpConfig(Port(backend, source, UdpConfig.DefaultPort));
            case "":
                throw Error(source, $"Backend.Type: missing (one of {string.Join(", ", BackendTypes)})");
            default:
                throw Error(source, $"Backend.Type: \"{type}\" is not a supported backend (one of {string.Join(", ", BackendTypes)})");
        }
    }

    private static int Port(JsonElement backend, string source, int fallback)
    {
        int port = Int(backend, "Port", source, "Backend.") ?? fallback;
        if (port is < 0 or > 65535)
        {
            throw Error(source, $"Backend.Port: {port} is not a UDP port (1-65535)");
        }

        return port == 0 ? fallback : port;
    }

    private static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        // Go's encoding/json matches field names case-insensitively; the exact spelling wins.
        if (obj.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static string? String(JsonElement obj, string name, string source, string path = "")
    {
        if (!TryGet(obj, name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error(source, $"{path}{name}: expected a string, got {Describe(value)}");
    }

    private static int? Int(JsonElement obj, string name, string source, string path = "")
    {
        if (!TryGet(obj, name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw Error(source, $"{path}{name}: expected an integer, got {Describe(value)}");
    }

    private static bool? Bool(JsonElement obj, string name, string source, string path = "")
    {
        if (!TryGet(obj, name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(source, $"{path}{name}: expected true or false, got {Describe(value)}"),
        };
    }

    private static uint? Address(JsonElement root, string name, string source)
    {
        if (String(root, name, source) is not { } text)
        {
            return null;
        }

        return IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3
            ? ToUInt(address)
            : throw Error(source, $"{name}: \"{text}\" is not an IPv4 address");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    internal static uint ToUInt(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    internal static IPAddress FromUInt(uint value)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static NetConfException Error(string source, string message) => new($"{source}: {message}");
}
