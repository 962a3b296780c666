using System.Text;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// <c>flannel</c>: the meta-plugin of flannel-io/cni-plugin. It reads the node's
/// <c>/run/flannel/subnet.env</c>, builds a bridge + host-local delegate from it
/// (<see cref="FlannelDelegate"/>), saves that under <c>/var/lib/cni/flannel/&lt;containerID&gt;</c>
/// so DEL works after a restart, and runs it.
/// </summary>
public sealed class Flannel : IPlugin
{
    public string Name => "flannel";

    public JsonObject Add(CmdArgs args)
    {
        var config = args.Config!;
        string subnetFile = ConfigReader.OptionalString(config, "subnetFile") is { Length: > 0 } file ? file : FlannelDelegate.DefaultSubnetFile;
        string text;
        try
        {
            text = File.ReadAllText(subnetFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.Internal,
                $"failed to load flannel 'subnet.env' file: open {subnetFile}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : ex.Message)}. Check the flannel pod log for this node.");
        }

        var delegateConfig = FlannelDelegate.Build(config, FlannelSubnetEnv.Parse(text, subnetFile));
        byte[] bytes = Encoding.UTF8.GetBytes(FlannelDelegate.Serialize(delegateConfig));
        SaveScratch(DataDir(config), args.ContainerId, bytes);
        JsonObject result;
        try
        {
            result = DelegatePlugin.Add(delegateConfig["type"]!.GetValue<string>(), bytes, args);
        }
        catch (CniException ex)
        {
            throw new CniException(ex.Code, $"failed to delegate add: {ex.Message}", ex.Details);
        }

        result.Remove("cniVersion");
        return result;
    }

    public void Del(CmdArgs args)
    {
        string path = Path.Combine(DataDir(args.Config!), args.ContainerId);
        if (!File.Exists(path))
        {
            return; // the spec: DEL of something already gone succeeds
        }

        byte[] bytes = File.ReadAllBytes(path);
        string? type;
        try
        {
            type = (JsonNode.Parse(bytes) as JsonObject)?["type"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            type = null; // upstream: the interface stays on the bridge until the node reboots
        }

        if (type is not null)
        {
            DelegatePlugin.Del(type, bytes, args);
        }

        File.Delete(path);
    }

    public void Check(CmdArgs args)
    {
    }

    private static string DataDir(JsonObject config) =>
        ConfigReader.OptionalString(config, "dataDir") is { Length: > 0 } dir ? dir : FlannelDelegate.DefaultDataDir;

    /// <summary>Written and fsynced before the delegate runs, so a crash mid-ADD still leaves what DEL needs.</summary>
    private static void SaveScratch(string dataDir, string containerId, byte[] bytes)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the flannel plugin runs on Linux");
        }

        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var stream = new FileStream(Path.Combine(dataDir, containerId), new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }
}
