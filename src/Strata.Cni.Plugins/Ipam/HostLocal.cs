using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// <c>host-local</c> IPAM (containernetworking/plugins plugins/ipam/host-local): addresses from
/// range sets, one per set, recorded as files under <c>/var/lib/cni/networks/&lt;network&gt;</c>.
/// </summary>
public sealed class HostLocal : IPlugin
{
    public string Name => "host-local";

    public JsonObject Add(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        var result = new JsonObject();
        var ips = new JsonArray();
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            var requested = config.RequestedIps.ToList();
            var reserved = new List<System.Net.IPAddress>();
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
                        var (address, gateway) = new Allocator(set, store, i).Get(args.ContainerId, args.IfName, wanted);
                        reserved.Add(address.Address);
                        ips.Add((JsonNode)new JsonObject { ["address"] = address.ToString(), ["gateway"] = gateway.ToString() });
                    }
                    catch (CniException ex)
                    {
                        throw new CniException(ex.Code, $"failed to allocate for range {i}: {ex.Message}");
                    }
                }

                if (requested.Count > 0)
                {
                    throw new CniException(CniErrorCode.Internal, "failed to allocate all requested IPs: " + string.Join(' ', requested));
                }
            }
            catch
            {
                reserved.ForEach(store.Release); // only what this call reserved: no half-allocated container
                throw;
            }
        }

        result["ips"] = ips;
        if (config.Routes.Count > 0)
        {
            result["routes"] = config.Routes.DeepClone();
        }

        result["dns"] = config.ResolvConf is null ? new JsonObject() : ResolvConf.Parse(config.ResolvConf);
        return result;
    }

    public void Del(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            store.ReleaseById(args.ContainerId, args.IfName);
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
    /// Spec 1.1 GC: releases every reservation whose (containerID, ifname) is not among
    /// <c>cni.dev/valid-attachments</c> (upstream host-local leaves GC as a FIXME).
    /// </summary>
    public void Gc(CmdArgs args)
    {
        var config = IpamConfig.Load(args);
        var valid = (ConfigReader.OptionalArray(args.Config!, "cni.dev/valid-attachments") ?? [])
            .OfType<JsonObject>()
            .Select(a => (a["containerID"]?.GetValue<string>() ?? string.Empty).Trim() + DiskStore.LineBreak + (a["ifname"]?.GetValue<string>() ?? string.Empty))
            .ToHashSet(StringComparer.Ordinal);
        using var store = new DiskStore(config.DataDir, config.Name);
        using (store.Lock())
        {
            foreach (var reservation in store.Reservations().Where(r => !valid.Contains(r.Owner)).ToList())
            {
                File.Delete(reservation.Path);
            }
        }
    }
}

/// <summary>The DNS section from a resolv.conf file (plugins/ipam/host-local/dns.go).</summary>
internal static class ResolvConf
{
    public static JsonObject Parse(string path)
    {
        var nameservers = new JsonArray();
        var search = new JsonArray();
        var options = new JsonArray();
        string? domain = null;
        foreach (string raw in File.ReadAllLines(path))
        {
            string[] fields = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0].StartsWith('#') || fields[0].StartsWith(';'))
            {
                continue;
            }

            switch (fields[0])
            {
                case "nameserver": nameservers.Add((JsonNode)JsonValue.Create(fields[1])); break;
                case "domain": domain = fields[1]; break;
                case "search": foreach (string s in fields[1..]) { search.Add((JsonNode)JsonValue.Create(s)); } break;
                case "options": foreach (string o in fields[1..]) { options.Add((JsonNode)JsonValue.Create(o)); } break;
            }
        }

        var dns = new JsonObject();
        if (nameservers.Count > 0)
        {
            dns["nameservers"] = nameservers;
        }

        if (domain is not null)
        {
            dns["domain"] = domain;
        }

        if (search.Count > 0)
        {
            dns["search"] = search;
        }

        if (options.Count > 0)
        {
            dns["options"] = options;
        }

        return dns;
    }
}
