using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// <c>host-local</c> IPAM (containernetworking/plugins plugins/ipam/host-local/main.go): one
/// address from each range set, recorded as a file under <c>/var/lib/cni/networks/&lt;network&gt;</c>.
/// Every failure is code 999, as upstream's plain errors are.
/// </summary>
public sealed class HostLocal : IPlugin
{
    public string Name => "host-local";

    public JsonObject Add(CmdArgs args)
    {
        var config = IpamConfig.Load(args);

        // resolv.conf is read before anything is reserved, so a bad path costs nothing.
        var dns = config.ResolvConf is null ? new JsonObject() : ResolvConf.Parse(config.ResolvConf);
        var ips = new JsonArray();
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            var requested = config.RequestedIps.ToList();
            var reserved = new List<IPAddress>();
            try
            {
                for (int i = 0; i < config.RangeSets.Count; i++)
                {
                    var set = config.RangeSets[i];
                    var wanted = requested.FirstOrDefault(set.Contains);
                    if (wanted is not null)
                    {
                        requested.Remove(wanted);
                    }

                    try
                    {
                        var (address, range) = new Allocator(set, store, i).Get(args.ContainerId, args.IfName, wanted);
                        reserved.Add(address);
                        ips.Add((JsonNode)new JsonObject
                        {
                            ["address"] = $"{GoIp.Format(address)}/{range.Subnet.PrefixLength}",
                            ["gateway"] = GoIp.Format(range.Gateway),
                        });
                    }
                    catch (AllocationException ex)
                    {
                        throw new CniException(CniErrorCode.Internal, $"failed to allocate for range {i}: {ex.Message}");
                    }
                }

                if (requested.Count > 0)
                {
                    throw new CniException(CniErrorCode.Internal, "failed to allocate all requested IPs: " + string.Join(' ', requested.Select(GoIp.Format)));
                }
            }
            catch
            {
                // Upstream releases everything the container holds on this network; only what this
                // ADD reserved is released here, so a failed ADD never takes an earlier address away.
                reserved.ForEach(store.Release);
                throw;
            }
        }

        var result = new JsonObject { ["ips"] = ips };
        if (config.Routes.Count > 0)
        {
            result["routes"] = config.Routes.DeepClone();
        }

        result["dns"] = dns;
        return result;
    }

    public void Del(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            // Once per range set, as upstream: a second pass finds the new-style files gone and so
            // also removes any older file that holds the container ID alone.
            foreach (var _ in config.RangeSets)
            {
                store.ReleaseById(args.ContainerId, args.IfName);
            }
        }
    }

    public void Check(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            if (!store.FindById(args.ContainerId, args.IfName))
            {
                throw new CniException(CniErrorCode.Internal, $"host-local: Failed to find address added by container {args.ContainerId}");
            }
        }
    }

    /// <summary>
    /// Spec 1.1 GC, which upstream host-local leaves as a FIXME (a no-op): releases every
    /// reservation whose (containerID, ifname) is not in <c>cni.dev/valid-attachments</c>. A file in
    /// the older format (container ID alone) stays while any attachment of that container is valid.
    /// Without the key (libcni always sends it) nothing is released.
    /// </summary>
    public void Gc(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        var json = args.Config!;
        string key = json.ContainsKey("cni.dev/valid-attachments") ? "cni.dev/valid-attachments" : "cni.dev/attachments";
        if (!json.ContainsKey(key))
        {
            return;
        }

        var attachments = json[key] is null ? [] : json[key] as JsonArray ?? throw new CniException(CniErrorCode.Internal, $"{key}: must be an array");
        var valid = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < attachments.Count; i++)
        {
            var attachment = attachments[i] as JsonObject ?? throw new CniException(CniErrorCode.Internal, $"{key}[{i}]: must be an object");
            string id = Text(attachment, "containerID", $"{key}[{i}]");
            valid.Add(DiskStore.Key(id, Text(attachment, "ifname", $"{key}[{i}]")));
            valid.Add(id.Trim());
        }

        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            foreach (var reservation in store.Reservations().Where(r => !valid.Contains(r.Owner)))
            {
                File.Delete(reservation.Path);
            }
        }
    }

    private static string Text(JsonObject node, string field, string path) =>
        node[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw new CniException(CniErrorCode.Internal, $"{path}.{field}: must be a string");
}
