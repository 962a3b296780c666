using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>EndpointSlice validation: pkg/apis/discovery/validation/validation.go.</summary>
internal static class EndpointSliceValidator
{
    private const int MaxTopologyLabels = 16;
    private const int MaxAddresses = 100;
    private const int MaxPorts = 100;
    private const int MaxEndpoints = 1000;
    private static readonly string[] s_addressTypes = ["FQDN", "IPv4", "IPv6"];
    private static readonly string[] s_addressTypesWithDeprecated = ["FQDN", "IP", "IPv4", "IPv6"];

    public static List<FieldError> ValidateCreate(JsonObject slice) => Validate(slice, s_addressTypes);

    public static List<FieldError> ValidateUpdate(JsonObject slice, JsonObject old)
    {
        // Upstream's EndpointSlice update validation has no ObjectMeta update checks of its own; the
        // generic registry's validateCommonFields (name, namespace, uid, ...) covers them.
        var errs = Validate(slice, s_addressTypesWithDeprecated);
        var addressType = slice.Str("addressType");
        if (addressType != old.Str("addressType"))
        {
            errs.Add(FieldErrors.Invalid(FieldPath.Root("addressType"), BadValue.Named(addressType), "field is immutable"));
        }
        return errs;
    }

    private static List<FieldError> Validate(JsonObject slice, string[] validAddressTypes)
    {
        var errs = MetadataValidator.ValidateCreate(slice, namespaced: true, NameRules.NameIsDnsSubdomain);
        var addressType = slice.Str("addressType");
        if (addressType.Length == 0)
        {
            errs.Add(FieldErrors.Required(FieldPath.Root("addressType"), ""));
        }
        else if (!validAddressTypes.Contains(addressType))
        {
            errs.Add(FieldErrors.NotSupported(FieldPath.Root("addressType"), BadValue.Named(addressType), validAddressTypes));
        }
        errs.AddRange(Endpoints(slice.Arr("endpoints"), addressType, FieldPath.Root("endpoints")));
        errs.AddRange(Ports(slice.Arr("ports"), FieldPath.Root("ports")));
        return errs;
    }

    private static List<FieldError> Endpoints(JsonArray? endpoints, string addressType, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (endpoints?.Count > MaxEndpoints)
        {
            errs.Add(FieldErrors.TooMany(path, endpoints.Count, MaxEndpoints));
            return errs;
        }
        foreach (var (i, endpoint) in endpoints.Items())
        {
            var idxPath = path.Index(i);
            var addressPath = idxPath.Child("addresses");
            var addresses = endpoint.Arr("addresses").Strings();
            if (addresses.Count == 0)
            {
                errs.Add(FieldErrors.Required(addressPath, "must contain at least 1 address"));
            }
            else if (addresses.Count > MaxAddresses)
            {
                errs.Add(FieldErrors.TooMany(addressPath, addresses.Count, MaxAddresses));
            }
            for (var a = 0; a < addresses.Count; a++)
            {
                var address = addresses[a];
                switch (addressType)
                {
                    case "IP":
                        errs.AddRange(IpRules.IsValidIPForLegacyField(addressPath.Index(a), address));
                        break;
                    case "IPv4":
                        errs.AddRange(IpRules.IsValidIPv4Address(addressPath.Index(a), address));
                        errs.AddRange(IpRules.ValidateNonSpecialIP(address, addressPath.Index(a)));
                        break;
                    case "IPv6":
                        errs.AddRange(IpRules.IsValidIPv6Address(addressPath.Index(a), address));
                        errs.AddRange(IpRules.ValidateNonSpecialIP(address, addressPath.Index(a)));
                        break;
                    case "FQDN":
                        errs.AddRange(NameRules.IsFullyQualifiedDomainName(addressPath.Index(a), address));
                        break;
                }
            }
            var topology = endpoint.StringMap("deprecatedTopology");
            if (topology.Count > MaxTopologyLabels)
            {
                errs.Add(FieldErrors.TooMany(idxPath.Child("deprecatedTopology"), topology.Count, MaxTopologyLabels));
            }
            errs.AddRange(MetadataValidator.ValidateLabels(topology, idxPath.Child("deprecatedTopology")));
            if (endpoint.StrOrNull("hostname") is { } hostname)
            {
                errs.AddRange(NameRules.IsDns1123Label(hostname).Select(m => FieldErrors.Invalid(idxPath.Child("hostname"), hostname, m)));
            }
        }
        return errs;
    }

    private static List<FieldError> Ports(JsonArray? ports, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (ports?.Count > MaxPorts)
        {
            errs.Add(FieldErrors.TooMany(path, ports.Count, MaxPorts));
            return errs;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports.Items())
        {
            var idxPath = path.Index(i);
            var name = port.Str("name");
            if (name.Length > 0)
            {
                errs.AddRange(NameRules.IsDns1123Label(name).Select(m => FieldErrors.Invalid(idxPath.Child("name"), name, m)));
            }
            if (!names.Add(name))
            {
                // Upstream passes the *string, which marshals as a JSON string.
                errs.Add(FieldErrors.Duplicate(idxPath.Child("name"), BadValue.Json(name)));
            }
            errs.AddRange(PortRules.Protocol(idxPath.Child("protocol"), port.StrOrNull("protocol"), emptyIsMissing: false));
            if (port.StrOrNull("appProtocol") is { } appProtocol)
            {
                errs.AddRange(NameRules.IsQualifiedName(appProtocol).Select(m => FieldErrors.Invalid(idxPath.Child("appProtocol"), BadValue.Json(appProtocol), m)));
            }
        }
        return errs;
    }
}
