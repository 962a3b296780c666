using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni;
using Strata.Netlink;

namespace Strata.Cli.Commands;

/// <summary><c>strata cni add|check|del|status|gc|version</c>: drive CNI plugins by hand, as cnitool does.</summary>
internal static class CniCommand
{
    public static Command Build()
    {
        var command = new Command("cni", "Run a CNI network configuration against a network namespace, like cnitool.");
        var confDir = new Option<string>("--conf-dir")
        {
            Description = "Directory of .conf/.conflist/.json files (default: $NETCONFPATH, else /etc/cni/net.d).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NETCONFPATH") is { Length: > 0 } dir ? dir : "/etc/cni/net.d",
        };
        var binDir = new Option<string>("--bin-dir")
        {
            Description = "Plugin directories, ':'-separated, passed on as CNI_PATH (default: $CNI_PATH, else /opt/cni/bin).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CNI_PATH") is { Length: > 0 } path ? path : "/opt/cni/bin",
        };
        var cacheDir = new Option<string>("--cache-dir") { Description = "Where results are cached (results/<net>-<id>-<ifname>).", DefaultValueFactory = _ => ResultCache.DefaultDirectory };
        var network = new Option<string?>("--network") { Description = "Network name; default: the first configuration in --conf-dir." };
        var hostNetns = new Option<string?>("--host-netns") { Description = "Run the plugins inside this network namespace (a name under /run/netns or a path), e.g. a lab node's." };
        var hostMountns = new Option<string?>("--host-mountns") { Description = "Also run them inside this mount namespace (a path such as /proc/PID/ns/mnt)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds each plugin may take before it is killed.", DefaultValueFactory = _ => 120 };
        Option[] common = [confDir, binDir, cacheDir, network, hostNetns, hostMountns, timeout];

        var containerId = new Option<string?>("--container-id") { Description = "CNI_CONTAINERID; default: cnitool's, derived from the namespace path." };
        var ifName = new Option<string>("--ifname") { Description = "CNI_IFNAME.", DefaultValueFactory = _ => "eth0" };
        var cniArgs = new Option<string?>("--args") { Description = "CNI_ARGS, e.g. IgnoreUnknown=1;K8S_POD_NAME=web." };
        var capabilities = new Option<string[]>("--cap") { Description = "Capability data KEY=JSON, e.g. portMappings=[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}]; repeatable.", AllowMultipleArgumentsPerToken = false };

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
                var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, hostMountns, timeout);
                string path = result.GetValue(netns)!;
                path = path.Contains('/') ? Path.GetFullPath(path) : Path.Combine(NetworkNamespace.RunDirectory, path);
                var conf = new RuntimeConf
                {
                    ContainerId = result.GetValue(containerId) ?? CnitoolContainerId(path),
                    NetNs = path,
                    IfName = result.GetValue(ifName)!,
                    Args = ParseArgs(result.GetValue(cniArgs)),
                    CapabilityArgs = ParseCapabilities(result.GetValue(capabilities) ?? []),
                };
                switch (verb)
                {
                    case "add":
                        // As cnitool prints it: Go's json.MarshalIndent with four spaces.
                        Console.WriteLine(GoJson.Serialize(runtime.AddNetworkList(list, conf).ToJson(), "    "));
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
        var gc = new Command("gc", "GC: DEL the cached attachments that are not --valid, then let the plugins drop what they hold for others (spec 1.1).");
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
            var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, hostMountns, timeout);
            runtime.Status(list);
            Console.WriteLine($"{list.Name}: ready");
            return 0;
        }));
        gc.SetAction(result => CommandErrors.Run(() =>
        {
            var (runtime, list) = Prepare(result, confDir, binDir, cacheDir, network, hostNetns, hostMountns, timeout);
            var keep = (result.GetValue(valid) ?? []).Select(v => v.Split('/', 2) is [{ Length: > 0 } id, { Length: > 0 } ifname] ? (id, ifname)
                : throw new ArgumentException($"--valid \"{v}\": expected CONTAINERID/IFNAME")).ToList();
            runtime.GarbageCollect(list, keep);
            return 0;
        }));

        var versionType = new Argument<string>("type") { Description = "Plugin type (a file name on --bin-dir)." };
        var version = new Command("version", "VERSION: the spec versions a plugin supports.") { versionType, binDir, hostNetns, hostMountns, timeout };
        version.SetAction(result => CommandErrors.Run(() =>
        {
            var runtime = new CniRuntime(Invoker(result, binDir, hostNetns, hostMountns, timeout), new ResultCache(ResultCache.DefaultDirectory));
            Console.WriteLine(string.Join(' ', runtime.Versions(result.GetValue(versionType)!)));
            return 0;
        }));
        command.Subcommands.Add(version);
        return command;
    }

    private static (CniRuntime Runtime, NetworkConfigList List) Prepare(ParseResult result, Option<string> confDir, Option<string> binDir,
        Option<string> cacheDir, Option<string?> network, Option<string?> hostNetns, Option<string?> hostMountns, Option<int> timeout)
    {
        var list = NetworkConfigList.Find(result.GetValue(confDir)!, result.GetValue(network));
        return (new CniRuntime(Invoker(result, binDir, hostNetns, hostMountns, timeout), new ResultCache(result.GetValue(cacheDir)!)), list);
    }

    private static PluginInvoker Invoker(ParseResult result, Option<string> binDir, Option<string?> hostNetns, Option<string?> hostMountns, Option<int> timeout)
    {
        int seconds = result.GetValue(timeout);
        if (seconds <= 0)
        {
            throw new ArgumentException($"--timeout {seconds}: must be a positive number of seconds");
        }

        return new PluginInvoker(result.GetValue(binDir)!.Split(':', StringSplitOptions.RemoveEmptyEntries), result.GetValue(hostNetns), TimeSpan.FromSeconds(seconds))
        {
            HostMountNs = result.GetValue(hostMountns),
            Stderr = Console.Error,
        };
    }

    /// <summary>cnitool's container ID: "cnitool-" and the first ten bytes of the SHA-512 of the namespace path, in hex.</summary>
    internal static string CnitoolContainerId(string netnsPath) =>
        "cnitool-" + Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(netnsPath)).AsSpan(0, 10));

    private static List<KeyValuePair<string, string>> ParseArgs(string? text) =>
        (text ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2) is [{ Length: > 0 } k, var v]
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
