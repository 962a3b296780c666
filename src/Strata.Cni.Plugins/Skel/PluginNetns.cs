using Strata.Netlink;

namespace Strata.Cni.Plugins.Skel;

/// <summary>Opens CNI_NETNS, turning a missing namespace into the spec's error.</summary>
public static class PluginNetns
{
    public static NetworkNamespace Open(string path)
    {
        try
        {
            return NetworkNamespace.Open(path.Contains('/') ? path : System.IO.Path.Combine(NetworkNamespace.RunDirectory, path));
        }
        catch (NetlinkException ex)
        {
            throw new CniException(CniErrorCode.InvalidNetNs, $"failed to open netns \"{path}\": {ex.Message}");
        }
    }
}
