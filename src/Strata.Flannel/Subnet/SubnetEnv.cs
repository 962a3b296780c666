using System.Globalization;
using System.Text;
using Strata.Flannel.Config;
using Strata.Netlink;

namespace Strata.Flannel.Subnet;

/// <summary>
/// <c>/run/flannel/subnet.env</c> as pkg/subnet/subnet.go WriteSubnetFile writes it: the network, the lease's first
/// address with the lease's length, the backend's MTU and whether flannel masquerades. Pure.
/// </summary>
public static class SubnetEnv
{
    public const string DefaultPath = "/run/flannel/subnet.env";

    public static string Render(NetConf conf, IpPrefix lease, int mtu, bool ipMasq)
    {
        var first = NetConfParser.FromUInt(NetConfParser.ToUInt(lease.Network.Address) + 1);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"FLANNEL_NETWORK={conf.Network}\n");
        text.Append(CultureInfo.InvariantCulture, $"FLANNEL_SUBNET={first}/{lease.PrefixLength}\n");
        text.Append(CultureInfo.InvariantCulture, $"FLANNEL_MTU={mtu}\n");
        text.Append(CultureInfo.InvariantCulture, $"FLANNEL_IPMASQ={(ipMasq ? "true" : "false")}\n");
        return text.ToString();
    }

    /// <summary>Writes beside and renames, so the CNI plugin never reads half a file.</summary>
    public static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
