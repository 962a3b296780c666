using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>A result libcni cannot read: the message says what is wrong with it.</summary>
public sealed class CniResultException(string message) : Exception(message);

/// <summary>
/// A plugin's success result, read as libcni reads it (pkg/types/create with the 020, 040 and 100
/// types): only the spec's fields are kept, addresses are rewritten as Go prints them, and it
/// converts between spec versions as libcni's converters do. <see cref="ToJson"/> is what Go's
/// json.Marshal writes for it, which is what the next plugin gets as prevResult. Pure.
/// </summary>
public sealed class CniResult
{
    private readonly Model _model;

    private CniResult(Model model) => _model = model;

    /// <summary>The result's cniVersion (0.1.0 for a 0.1.0/0.2.0 result that named none).</summary>
    public string Version => _model.Version;

    /// <summary>
    /// A plugin's ADD output (libcni ExecPluginWithResult): a result without cniVersion is taken to
    /// be in the configuration's version (fixupResultVersion), then parsed in its own version.
    /// </summary>
    public static CniResult FromPluginOutput(ReadOnlySpan<byte> output, string configVersion)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(output);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new CniResultException($"failed to unmarshal raw result: {ex.Message}");
        }

        var raw = node switch
        {
            null => [], // "null" decodes to an empty map
            JsonObject obj => obj,
            _ => throw new CniResultException($"failed to unmarshal raw result: a {node.GetValueKind()} is not an object"),
        };

        if (raw["cniVersion"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0)
        {
            return Create(v.GetValue<string>(), raw);
        }

        // No version: the configuration's is written into the result (a map key, so exactly "cniVersion").
        string version = configVersion.Length > 0 ? configVersion : "0.1.0";
        raw["cniVersion"] = version;
        return Create(version, raw);
    }

    /// <summary>libcni create.CreateFromBytes: the version is the one the JSON names (none means 0.1.0).</summary>
    public static CniResult Parse(JsonObject json)
    {
        string version = Lookup(json, "cniVersion") switch
        {
            null => "0.1.0",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : "0.1.0",
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => "0.1.0",
            _ => throw new CniResultException("decoding version from network config: \"cniVersion\" is not a string"),
        };
        return Create(version, json);
    }

    public static CniResult Parse(string json) =>
        Parse(JsonNode.Parse(json) as JsonObject ?? throw new CniResultException("a result must be a JSON object"));

    /// <summary>GetAsVersion: the same result in another spec version (libcni's converters).</summary>
    public CniResult ConvertTo(string version)
    {
        if (version.Length == 0)
        {
            version = "0.1.0";
        }

        if (version == Version)
        {
            return this;
        }

        if (!CniVersion.IsSupported(version))
        {
            throw new CniResultException($"no converter for CNI result version {Version} to {version}");
        }

        return new CniResult((FamilyOf(Version), FamilyOf(version)) switch
        {
            (Family.V020, Family.V020) => _model with { Version = version },
            (Family.V020, Family.V040) => From020(_model, version),
            (Family.V020, Family.V100) => From040(From020(_model, "0.4.0"), version),
            (Family.V040, Family.V020) => To020(_model, version),
            (Family.V040, _) => From040(_model, version),
            (Family.V100, Family.V040) => To040(_model, version),
            (Family.V100, Family.V020) => To020(To040(_model, "0.4.0"), version),
            (Family.V100, Family.V100) => _model with { Version = version },
            _ => throw new CniResultException($"no converter for CNI result version {Version} to {version}"),
        });
    }

    /// <summary>The result as Go's json.Marshal writes it (a fresh copy each call).</summary>
    public JsonObject ToJson() => FamilyOf(Version) switch
    {
        Family.V020 => Marshal020(_model),
        Family.V040 => Marshal040(_model),
        _ => Marshal100(_model),
    };

    /// <summary>The IP addresses (CIDR form) in the result, whatever its version.</summary>
    public IReadOnlyList<string> Addresses => FamilyOf(Version) == Family.V020
        ? new[] { _model.Ip4, _model.Ip6 }.OfType<Ip020>().Select(i => i.Ip.ToString()).ToList()
        : _model.Ips.Select(i => i.Address.ToString()).ToList();

    public override string ToString() => GoJson.Serialize(ToJson());

    // ---- creation (create.Create and the typed json.Unmarshal) ----

    private enum Family
    {
        V020,
        V040,
        V100,
    }

    private static Family FamilyOf(string version) => version switch
    {
        "" or "0.1.0" or "0.2.0" => Family.V020,
        "0.3.0" or "0.3.1" or "0.4.0" => Family.V040,
        _ => Family.V100,
    };

    private static CniResult Create(string version, JsonObject raw)
    {
        string[] family = version switch
        {
            "" or "0.1.0" or "0.2.0" => ["", "0.1.0", "0.2.0"],
            "0.3.0" or "0.3.1" or "0.4.0" => ["0.3.0", "0.3.1", "0.4.0"],
            "1.0.0" or "1.1.0" => ["1.0.0", "1.1.0"],
            _ => throw new CniResultException($"unsupported CNI result version \"{version}\""),
        };

        var reader = new Reader("result");
        string declared = reader.String(raw, "cniVersion");
        if (!family.Contains(declared))
        {
            throw new CniResultException($"result type supports [{string.Join(' ', family)}] but unmarshalled CNIVersion is \"{declared}\"");
        }

        var model = new Model { Version = declared.Length == 0 ? "0.1.0" : declared };
        model.Dns = ReadDns(reader, raw);
        if (family[0] == "")
        {
            model.Ip4 = Read020(reader.At("ip4"), raw, "ip4");
            model.Ip6 = Read020(reader.At("ip6"), raw, "ip6");
            return new CniResult(model);
        }

        bool v100 = family[0] == "1.0.0";
        foreach (var (item, r) in reader.Objects(raw, "interfaces"))
        {
            model.Interfaces.Add(new Interface
            {
                Name = r.String(item, "name"),
                Mac = r.String(item, "mac"),
                Mtu = v100 ? r.Int(item, "mtu") ?? 0 : 0,
                Sandbox = r.String(item, "sandbox"),
                SocketPath = v100 ? r.String(item, "socketPath") : string.Empty,
                PciId = v100 ? r.String(item, "pciID") : string.Empty,
            });
        }

        foreach (var (item, r) in reader.Objects(raw, "ips"))
        {
            model.Ips.Add(new IpConfig
            {
                Version = v100 ? string.Empty : r.String(item, "version"),
                Interface = r.Int(item, "interface"),
                Address = r.Cidr(item, "address") ?? throw r.Error("address", "invalid CIDR address: \"\""),
                Gateway = r.Ip(item, "gateway"),
            });
        }

        foreach (var (item, r) in reader.Objects(raw, "routes"))
        {
            model.Routes.Add(ReadRoute(r, item));
        }

        return new CniResult(model);
    }

    private static Ip020? Read020(Reader reader, JsonObject raw, string key)
    {
        if (reader.Object(raw, key) is not { } obj)
        {
            return null;
        }

        return new Ip020
        {
            Ip = reader.Cidr(obj, "ip") ?? throw reader.Error("ip", "invalid CIDR address: \"\""),
            Gateway = reader.Ip(obj, "gateway"),
            Routes = reader.Objects(obj, "routes").Select(p => ReadRoute(p.Reader, p.Item)).ToList(),
        };
    }

    private static Route ReadRoute(Reader r, JsonObject item) => new()
    {
        Dst = r.Cidr(item, "dst") ?? throw r.Error("dst", "invalid CIDR address: \"\""),
        Gw = r.Ip(item, "gw"),
        Mtu = r.Int(item, "mtu") ?? 0,
        AdvMss = r.Int(item, "advmss") ?? 0,
        Priority = r.Int(item, "priority") ?? 0,
        Table = r.Int(item, "table"),
        Scope = r.Int(item, "scope"),
    };

    private static Dns ReadDns(Reader reader, JsonObject raw)
    {
        var r = reader.At("dns");
        return reader.Object(raw, "dns") is { } dns
            ? new Dns(r.Strings(dns, "nameservers"), r.String(dns, "domain"), r.Strings(dns, "search"), r.Strings(dns, "options"))
            : new Dns([], string.Empty, [], []);
    }

    // ---- conversion (pkg/types/020, 040 and 100 converters) ----

    private static Model From020(Model from, string version)
    {
        var to = new Model { Version = version, Dns = from.Dns };
        foreach (var (ip, family) in new[] { (from.Ip4, "4"), (from.Ip6, "6") })
        {
            if (ip is not null)
            {
                to.Ips.Add(new IpConfig { Version = family, Address = ip.Ip, Gateway = ip.Gateway });
                to.Routes.AddRange(ip.Routes);
            }
        }

        return to;
    }

    private static Model To020(Model from, string version)
    {
        var to = new Model { Version = version, Dns = from.Dns };
        foreach (var ip in from.Ips)
        {
            if (ip.Version == "4" && to.Ip4 is null)
            {
                to.Ip4 = new Ip020 { Ip = ip.Address, Gateway = ip.Gateway };
            }
            else if (ip.Version == "6" && to.Ip6 is null)
            {
                to.Ip6 = new Ip020 { Ip = ip.Address, Gateway = ip.Gateway };
            }

            if (to.Ip4 is not null && to.Ip6 is not null)
            {
                break;
            }
        }

        foreach (var route in from.Routes)
        {
            var target = GoNet.IsV4(route.Dst.Ip) ? to.Ip4 : to.Ip6;
            target?.Routes.Add(new Route { Dst = route.Dst, Gw = route.Gw });
        }

        return to.Ip4 is null && to.Ip6 is null ? throw new CniResultException("cannot convert: no valid IP addresses") : to;
    }

    /// <summary>0.3.x/0.4.0 to 0.3.x/0.4.0 (a copy) or to 1.x (interfaces lose nothing they had; ips lose "version").</summary>
    private static Model From040(Model from, string version)
    {
        bool v100 = FamilyOf(version) == Family.V100;
        var to = new Model { Version = version, Dns = from.Dns };
        to.Interfaces.AddRange(from.Interfaces.Select(i => i with { }));
        to.Ips.AddRange(from.Ips.Select(i => v100 ? i with { Version = string.Empty } : i with { }));
        to.Routes.AddRange(from.Routes);
        return to;
    }

    /// <summary>1.x to 0.3.x/0.4.0: ips get "version" from the address family; interfaces keep name, mac and sandbox.</summary>
    private static Model To040(Model from, string version)
    {
        var to = new Model { Version = version, Dns = from.Dns };
        to.Interfaces.AddRange(from.Interfaces.Select(i => new Interface { Name = i.Name, Mac = i.Mac, Sandbox = i.Sandbox }));
        to.Ips.AddRange(from.Ips.Select(i => i with { Version = GoNet.IsV4(i.Address.Ip) ? "4" : "6" }));
        to.Routes.AddRange(from.Routes);
        return to;
    }

    // ---- marshalling (the Go struct field order and omitempty rules) ----

    private static JsonObject Marshal020(Model model)
    {
        var json = new JsonObject();
        json["cniVersion"] = model.Version;
        foreach (var (key, ip) in new[] { ("ip4", model.Ip4), ("ip6", model.Ip6) })
        {
            if (ip is not null)
            {
                var obj = new JsonObject { ["ip"] = ip.Ip.ToString() };
                AddIf(obj, "gateway", ip.Gateway);
                if (ip.Routes.Count > 0)
                {
                    obj["routes"] = new JsonArray(ip.Routes.Select(r => (JsonNode)MarshalRoute(r)).ToArray());
                }

                json[key] = obj;
            }
        }

        json["dns"] = MarshalDns(model.Dns); // a struct: omitempty never drops it
        return json;
    }

    private static JsonObject Marshal040(Model model)
    {
        var json = new JsonObject { ["cniVersion"] = model.Version };
        if (model.Interfaces.Count > 0)
        {
            json["interfaces"] = new JsonArray(model.Interfaces.Select(i =>
            {
                var obj = new JsonObject { ["name"] = i.Name };
                AddIf(obj, "mac", i.Mac);
                AddIf(obj, "sandbox", i.Sandbox);
                return (JsonNode)obj;
            }).ToArray());
        }

        if (model.Ips.Count > 0)
        {
            json["ips"] = new JsonArray(model.Ips.Select(i =>
            {
                var obj = new JsonObject { ["version"] = i.Version };
                if (i.Interface is { } index)
                {
                    obj["interface"] = index;
                }

                obj["address"] = i.Address.ToString();
                AddIf(obj, "gateway", i.Gateway);
                return (JsonNode)obj;
            }).ToArray());
        }

        if (model.Routes.Count > 0)
        {
            json["routes"] = new JsonArray(model.Routes.Select(r => (JsonNode)MarshalRoute(r)).ToArray());
        }

        json["dns"] = MarshalDns(model.Dns);
        return json;
    }

    /// <summary>types100.Result.MarshalJSON goes through a map, so every key comes out sorted, and an empty dns is dropped.</summary>
    private static JsonObject Marshal100(Model model)
    {
        var json = new JsonObject { ["cniVersion"] = model.Version };
        if (model.Interfaces.Count > 0)
        {
            json["interfaces"] = new JsonArray(model.Interfaces.Select(i =>
            {
                var obj = new JsonObject { ["name"] = i.Name };
                AddIf(obj, "mac", i.Mac);
                if (i.Mtu != 0)
                {
                    obj["mtu"] = i.Mtu;
                }

                AddIf(obj, "sandbox", i.Sandbox);
                AddIf(obj, "socketPath", i.SocketPath);
                AddIf(obj, "pciID", i.PciId);
                return (JsonNode)obj;
            }).ToArray());
        }

        if (model.Ips.Count > 0)
        {
            json["ips"] = new JsonArray(model.Ips.Select(i =>
            {
                var obj = new JsonObject();
                if (i.Interface is { } index)
                {
                    obj["interface"] = index;
                }

                obj["address"] = i.Address.ToString();
                AddIf(obj, "gateway", i.Gateway);
                return (JsonNode)obj;
            }).ToArray());
        }

        if (model.Routes.Count > 0)
        {
            json["routes"] = new JsonArray(model.Routes.Select(r => (JsonNode)MarshalRoute(r)).ToArray());
        }

        if (!model.Dns.IsEmpty)
        {
            json["dns"] = MarshalDns(model.Dns);
        }

        return (JsonObject)GoJson.Sorted(json)!;
    }

    private static JsonObject MarshalRoute(Route route)
    {
        var obj = new JsonObject { ["dst"] = route.Dst.ToString() };
        AddIf(obj, "gw", route.Gw);
        foreach (var (key, value) in new[] { ("mtu", route.Mtu), ("advmss", route.AdvMss), ("priority", route.Priority) })
        {
            if (value != 0)
            {
                obj[key] = value;
            }
        }

        if (route.Table is { } table)
        {
            obj["table"] = table;
        }

        if (route.Scope is { } scope)
        {
            obj["scope"] = scope;
        }

        return obj;
    }

    private static JsonObject MarshalDns(Dns dns)
    {
        var obj = new JsonObject();
        if (dns.Nameservers.Count > 0)
        {
            obj["nameservers"] = new JsonArray(dns.Nameservers.Select(s => (JsonNode)s).ToArray());
        }

        AddIf(obj, "domain", dns.Domain);
        if (dns.Search.Count > 0)
        {
            obj["search"] = new JsonArray(dns.Search.Select(s => (JsonNode)s).ToArray());
        }

        if (dns.Options.Count > 0)
        {
            obj["options"] = new JsonArray(dns.Options.Select(s => (JsonNode)s).ToArray());
        }

        return obj;
    }

    private static void AddIf(JsonObject obj, string key, object? value)
    {
        string? text = value?.ToString();
        if (!string.IsNullOrEmpty(text))
        {
            obj[key] = text;
        }
    }

    /// <summary>Go matches JSON keys to struct fields exactly, else case-insensitively; the last match wins.</summary>
    private static JsonNode? Lookup(JsonObject obj, string key)
    {
        if (obj.TryGetPropertyValue(key, out var exact))
        {
            return exact;
        }

        JsonNode? found = null;
        foreach (var (name, value) in obj)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                found = value;
            }
        }

        return found;
    }

    // ---- the model ----

    private sealed record Model
    {
        public required string Version { get; init; }

        public List<Interface> Interfaces { get; init; } = [];

        public List<IpConfig> Ips { get; init; } = [];

        public List<Route> Routes { get; init; } = [];

        public Dns Dns { get; set; } = new([], string.Empty, [], []);

        public Ip020? Ip4 { get; set; }

        public Ip020? Ip6 { get; set; }
    }

    private sealed record Interface
    {
        public string Name { get; init; } = string.Empty;

        public string Mac { get; init; } = string.Empty;

        public int Mtu { get; init; }

        public string Sandbox { get; init; } = string.Empty;

        public string SocketPath { get; init; } = string.Empty;

        public string PciId { get; init; } = string.Empty;
    }

    private sealed record IpConfig
    {
        public string Version { get; init; } = string.Empty;

        public int? Interface { get; init; }

        public required IpNet Address { get; init; }

        public IpAddress? Gateway { get; init; }
    }

    private sealed record Route
    {
        public required IpNet Dst { get; init; }

        public IpAddress? Gw { get; init; }

        public int Mtu { get; init; }

        public int AdvMss { get; init; }

        public int Priority { get; init; }

        public int? Table { get; init; }

        public int? Scope { get; init; }
    }

    private sealed record Ip020
    {
        public required IpNet Ip { get; init; }

        public IpAddress? Gateway { get; init; }

        public List<Route> Routes { get; init; } = [];
    }

    private sealed record Dns(IReadOnlyList<string> Nameservers, string Domain, IReadOnlyList<string> Search, IReadOnlyList<string> Options)
    {
        public bool IsEmpty => Nameservers.Count == 0 && Domain.Length == 0 && Search.Count == 0 && Options.Count == 0;
    }

    private sealed record IpAddress(byte[] Bytes)
    {
        public override string ToString() => GoNet.Format(Bytes);
    }

    private sealed record IpNet(byte[] Ip, int Ones)
    {
        public override string ToString() => $"{GoNet.Format(Ip)}/{Ones.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Typed field reads with Go's rules: absent or null is the zero value, a wrong JSON type is an error.</summary>
    private sealed class Reader(string path)
    {
        public Reader At(string key) => new($"{path}.{key}");

        public CniResultException Error(string key, string problem) => new($"{path}.{key}: {problem}");

        public string String(JsonObject obj, string key) => Lookup(obj, key) switch
        {
            null => string.Empty,
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => string.Empty,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => throw Error(key, $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into a string"),
        };

        public int? Int(JsonObject obj, string key)
        {
            switch (Lookup(obj, key))
            {
                case null:
                    return null;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Null:
                    return null;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    string literal = v.ToJsonString();
                    return int.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number)
                        ? number
                        : throw Error(key, $"cannot unmarshal number {literal} into an int");
                case var other:
                    throw Error(key, $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into an int");
            }
        }

        public JsonObject? Object(JsonObject obj, string key) => Lookup(obj, key) switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
            JsonObject o => o,
            var other => throw Error(key, $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into an object"),
        };

        public IEnumerable<(JsonObject Item, Reader Reader)> Objects(JsonObject obj, string key)
        {
            var array = Lookup(obj, key) switch
            {
                null => [],
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => [],
                JsonArray a => a,
                var other => throw Error(key, $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into an array"),
            };
            var items = new List<(JsonObject, Reader)>();
            for (int i = 0; i < array.Count; i++)
            {
                var reader = new Reader($"{path}.{key}[{i}]");
                items.Add(array[i] switch
                {
                    JsonObject o => (o, reader),
                    null => (new JsonObject(), reader),
                    var other => throw Error($"{key}[{i}]", $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into an object"),
                });
            }

            return items;
        }

        public List<string> Strings(JsonObject obj, string key)
        {
            var array = Lookup(obj, key) switch
            {
                null => [],
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => [],
                JsonArray a => a,
                var other => throw Error(key, $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into an array"),
            };
            return array.Select((n, i) => n switch
            {
                null => string.Empty,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var other => throw Error($"{key}[{i}]", $"cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into a string"),
            }).ToList();
        }

        public IpNet? Cidr(JsonObject obj, string key)
        {
            if (Lookup(obj, key) is not { } node || node.GetValueKind() == JsonValueKind.Null)
            {
                return null;
            }

            string text = String(obj, key);
            return GoNet.ParseCidr(text) is var (ip, ones) ? new IpNet(ip, ones) : throw Error(key, $"invalid CIDR address: \"{text}\"");
        }

        public IpAddress? Ip(JsonObject obj, string key)
        {
            string text = String(obj, key);
            if (text.Length == 0)
            {
                return null;
            }

            return GoNet.ParseIp(text) is { } ip ? new IpAddress(ip) : throw Error(key, $"invalid IP address: \"{text}\"");
        }
    }
}
