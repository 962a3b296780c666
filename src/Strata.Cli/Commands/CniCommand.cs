using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni;
using Strata.Netlink;

namespace Strata.Cli.Commands;

/// <summary><c>strata cni add|check|del|status|gc|version</c>: drive CNI plugins by hand, as cnitool does.</summary>
internal static class CniCommand
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var command = new Command("cni", "Run a CNI network configuration against a network namespace, like cnitool.");
        var confDir = new Option<string>("--conf-dir") { Description = "Directory of .conf/.conflist files.", DefaultValueFactory = _ => "/etc/cni/net.d" };
        var binDir = new Option<string>("--bin-dir") { Description = "Plugin directories, ':'-separated (CNI_PATH).", DefaultValueFactory = _ => "/opt/cni/bin" };
        var cacheDir = new Option<string>("--cache-dir") { Description = "Where results are cached (results/<net>-<id>-<ifname>).", DefaultValueFactory = _ => ResultCache.DefaultDirectory };
        var network = new Option<string?>("--network") { Description = "Network name; default: the first configuration in --conf-dir." };
        var hostNetns = new Option<string?>("--host-netns") { Description = "Run the plugins inside this named namespace (a lab node)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds each plugin may take.", DefaultValueFactory = _ => 120 };
        Option[] common = [confDir, binDir, cacheDir, network, hostNetns, timeout];

        var containerId = new Option<string>("--container-id") { Description = "CNI_CONTAINERID.", Required = true };
        var ifName = new Option<string>("--ifname") { Description = "CNI_IFNAME.", DefaultValueFactory = _ => "eth0" };
        var cniArgs = new Option<string?>("--args") { Description = "CNI_ARGS, e.g. IgnoreUnknown=1;K8S_POD_NAME=web." };
        var capabilities = new Option<string[]>("--cap") { Description = "Capability data KEY=JSON, e.g. portMappings=[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}].", AllowMultipleArgumentsPerToken = false };

        foreach (string verb in new[] { "add", "check", "del" })
        {
            var netns = new Argument<string>("netns") { Description = "The container's namespace: a name under /run/netns or a path." };
            var sub = new Command(verb, $"{verb.ToUpperInvariant()} the network for one container.") { netns, containerId, ifName, cniArgs, capabilities };
            foreach (var option in common)
            {
                sub.Options.Add(option);
            }

            sub.SetAction(result => CommandErrors.Run(() =>
            {
                var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, timeout);
                string path = result.GetValue(netns)!;
                var conf = new RuntimeConf
                {
                    ContainerId = result.GetValue(containerId)!,
                    NetNs = path.Contains('/') ? path : Path.Combine(NetworkNamespace.RunDirectory, path),
                    IfName = result.GetValue(ifName)!,
                    Args = ParseArgs(result.GetValue(cniArgs)),
                    CapabilityArgs = ParseCapabilities(result.GetValue(capabilities) ?? []),
                };
                switch (verb)
                {
                    case "add":
                        Console.WriteLine(runtime.Add(list, conf)?.ToJsonString(s_indented) ?? "{}");
                        break;
                    case "check":
                        runtime.Check(list, conf);
                        break;
                    default:
                        runtime.Delete(list, conf);
                        break;
                }

                return 0;
            }));
            command.Subcommands.Add(sub);
        }

        var status = new Command("status", "STATUS: are the network's plugins ready (spec 1.1)?");
        var gc = new Command("gc", "GC: remove cached attachments that are not in --valid (CONTAINERID/IFNAME), and let plugins drop theirs.");
        var valid = new Option<string[]>("--valid") { Description = "An attachment to keep, CONTAINERID/IFNAME; repeatable." };
        gc.Options.Add(valid);
        foreach (var sub in new[] { status, gc })
        {
            foreach (var option in common)
            {
                sub.Options.Add(option);
            }

            command.Subcommands.Add(sub);
        }

        status.SetAction(result => CommandErrors.Run(() =>
        {
            var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, timeout);
            runtime.Status(list);
            Console.WriteLine($"{list.Name}: ready");
            return 0;
        }));
        gc.SetAction(result => CommandErrors.Run(() =>
        {
            var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, timeout);
            var keep = (result.GetValue(valid) ?? []).Select(v => v.Split('/', 2) is [var id, var ifname] ? (id, ifname)
                : throw new ArgumentException($"--valid \"{v}\": expected CONTAINERID/IFNAME")).ToList();
            runtime.GarbageCollect(list, keep);
            return 0;
        }));

        var versionType = new Argument<string>("type") { Description = "Plugin type (a file name on --bin-dir)." };
        var version = new Command("version", "VERSION: the spec versions a plugin supports.") { versionType, binDir };
        version.SetAction(result => CommandErrors.Run(() =>
        {
            var runtime = new CniRuntime(new PluginInvoker(result.GetValue(binDir)!.Split(':')), new ResultCache(ResultCache.DefaultDirectory));
            Console.WriteLine(string.Join(' ', runtime.Versions(result.GetValue(versionType)!)));
            return 0;
        }));
        command.Subcommands.Add(version);
        return command;
    }

    private static (CniRuntime Runtime, NetworkConfigList List) Prepare(ParseResult result, Option<string> confDir, Option<string> binDir,
        Option<string> cacheDir, Option<string?> network, Option<string?> hostNetns, Option<int> timeout)
    {
        var list = NetworkConfigList.Find(result.GetValue(confDir)!, result.GetValue(network));
        var invoker = new PluginInvoker(result.GetValue(binDir)!.Split(':', StringSplitOptions.RemoveEmptyEntries), result.GetValue(hostNetns),
            TimeSpan.FromSeconds(result.GetValue(timeout)));
        return (new CniRuntime(invoker, new ResultCache(result.GetValue(cacheDir)!)), list);
    }

    private static List<KeyValuePair<string, string>> ParseArgs(string? text) =>
        (text ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2) is [var k, var v] && k.Length > 0
            ? KeyValuePair.Create(k, v)
            : throw new ArgumentException($"--args: \"{pair}\" is not KEY=VALUE")).ToList();

    private static Dictionary<string, JsonNode> ParseCapabilities(IEnumerable<string> values)
    {
        var capabilities = new Dictionary<string, JsonNode>();
        foreach (string value in values)
        {
            int equals = value.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"--cap \"{value}\": expected KEY=JSON");
            }

            try
            {
                capabilities[value[..equals]] = JsonNode.Parse(value[(equals + 1)..]) ?? throw new JsonException("null");
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"--cap {value[..equals]}: invalid JSON: {ex.Message}");
            }
        }

        return capabilities;
    }
}
