using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>Endpoints validation: pkg/apis/core/validation/validation.go ValidateEndpoints.</summary>
internal static class EndpointsValidator
{

    public static List<FieldError> ValidateCreate(JsonObject endpoints)
    {
        var errs = MetadataValidator.ValidateCreate(endpoints, namespaced: true, NameRules.NameIsDnsSubdomain);
        foreach (var (i, subset) in endpoints.Arr("subsets").Items())
        {
            var path = FieldPath.Root("subsets").Index(i);
            var addresses = subset.Arr("addresses");
            var notReady = subset.Arr("notReadyAddresses");
            if ((addresses?.Count ?? 0) == 0 && (notReady?.Count ?? 0) == 0)
            {
                errs.Add(FieldErrors.Required(path, "must specify `addresses` or `notReadyAddresses`"));
            }
            foreach (var (a, address) in addresses.Items())
            {
                errs.AddRange(Address(address, path.Child("addresses").Index(a)));
            }
            foreach (var (a, address) in notReady.Items())
            {
                errs.AddRange(Address(address, path.Child("notReadyAddresses").Index(a)));
            }
            var ports = subset.Arr("ports");
            foreach (var (p, port) in ports.Items())
            {
                errs.AddRange(Port(port, ports!.Count > 1, path.Child("ports").Index(p)));
            }
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject endpoints, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(endpoints, old);
        errs.AddRange(ValidateCreate(endpoints));
        return errs;
    }

    private static List<FieldError> Address(JsonObject address, FieldPath path)
    {
        var ip = address.Str("ip");
        var errs = IpRules.IsValidIP(path.Child("ip"), ip);
        var hostname = address.Str("hostname");
        if (hostname.Length > 0)
        {
            errs.AddRange(NameRules.IsDns1123Label(hostname).Select(m => FieldErrors.Invalid(path.Child("hostname"), hostname, m)));
        }
        if (address.StrOrNull("nodeName") is { } nodeName)
        {
            errs.AddRange(NameRules.NameIsDnsSubdomain(nodeName, false).Select(m => FieldErrors.Invalid(path.Child("nodeName"), nodeName, m)));
        }
        errs.AddRange(IpRules.ValidateNonSpecialIP(ip, path.Child("ip")));
        return errs;
    }

    private static List<FieldError> Port(JsonObject port, bool requireName, FieldPath path)
    {
        var errs = new List<FieldError>();
        var name = port.Str("name");
        if (requireName && name.Length == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("name"), ""));
        }
        else if (name.Length != 0)
        {
            errs.AddRange(NameRules.IsDns1123Label(name).Select(m => FieldErrors.Invalid(path.Child("name"), name, m)));
        }
        var number = port.Int("port");
        errs.AddRange(NameRules.IsValidPortNum(number).Select(m => FieldErrors.Invalid(path.Child("port"), number, m)));
        var protocol = port.Str("protocol");
        errs.AddRange(PortRules.Protocol(path.Child("protocol"), protocol));
        if (port.StrOrNull("appProtocol") is { } appProtocol)
        {
            errs.AddRange(MetadataValidator.ValidateLabelName(appProtocol, path.Child("appProtocol")));
        }
        return errs;
    }
}
