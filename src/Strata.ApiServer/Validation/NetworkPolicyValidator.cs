using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>NetworkPolicy validation: pkg/apis/networking/validation/validation.go ValidateNetworkPolicy.</summary>
internal static class NetworkPolicyValidator
{
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    public static List<FieldError> ValidateCreate(JsonObject obj)
    {
        var errs = MetadataValidator.ValidateCreate(obj, namespaced: true, NameRules.NameIsDnsSubdomain);
        errs.AddRange(Spec(obj.Obj("spec"), []));
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        // CIDRs already stored are accepted again even if they would be rejected now.
        var existing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (direction, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            foreach (var (_, rule) in old.Obj("spec").Arr(direction).Items())
            {
                foreach (var (_, peer) in rule.Arr(peers).Items())
                {
                    if (peer.Obj("ipBlock") is { } block)
                    {
                        existing.Add(block.Str("cidr"));
                        existing.UnionWith(block.Arr("except").Strings());
                    }
                }
            }
        }
        var errs = MetadataValidator.ValidateUpdate(obj, old);
        errs.AddRange(Spec(obj.Obj("spec"), existing));
        return errs;
    }

    private static List<FieldError> Spec(JsonObject? spec, HashSet<string> existingCidrs)
    {
        var errs = LabelSelectors.Validate(spec.Obj("podSelector") ?? [], s_spec.Child("podSelector"));
        foreach (var (direction, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            foreach (var (i, rule) in spec.Arr(direction).Items())
            {
                var rulePath = s_spec.Child(direction).Index(i);
                foreach (var (p, port) in rule.Arr("ports").Items())
                {
                    errs.AddRange(Port(port, rulePath.Child("ports").Index(p)));
                }
                foreach (var (p, peer) in rule.Arr(peers).Items())
                {
                    errs.AddRange(Peer(peer, rulePath.Child(peers).Index(p), existingCidrs));
                }
            }
        }
        var policyTypes = spec.Arr("policyTypes");
        if (policyTypes?.Count > 2)
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("policyTypes"), BadValue.Json(policyTypes.DeepClone()), "may not specify more than two policyTypes"));
            return errs;
        }
        var types = policyTypes.Strings();
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i] is not ("Ingress" or "Egress"))
            {
                errs.Add(FieldErrors.NotSupported(s_spec.Child("policyTypes").Index(i), BadValue.Named(types[i]), ["Ingress", "Egress"]));
            }
        }
        return errs;
    }

    private static List<FieldError> Port(JsonObject port, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (port.StrOrNull("protocol") is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
        {
            errs.Add(FieldErrors.NotSupported(path.Child("protocol"), BadValue.Named(protocol), ["TCP", "UDP", "SCTP"]));
        }
        var endPort = port.IntOrNull("endPort");
        if (port["port"] is { } portNode)
        {
            var (isInt, number, name) = JsonFields.IntOrString(portNode);
            if (isInt)
            {
                errs.AddRange(NameRules.IsValidPortNum(number).Select(m => FieldErrors.Invalid(path.Child("port"), number, m)));
                if (endPort is { } end)
                {
                    if (end < number)
                    {
                        errs.Add(FieldErrors.Invalid(path.Child("endPort"), end, "must be greater than or equal to `port`"));
                    }
                    errs.AddRange(NameRules.IsValidPortNum(end).Select(m => FieldErrors.Invalid(path.Child("endPort"), end, m)));
                }
            }
            else
            {
                if (endPort is { } end)
                {
                    errs.Add(FieldErrors.Invalid(path.Child("endPort"), end, "may not be specified when `port` is non-numeric"));
                }
                errs.AddRange(NameRules.IsValidPortName(name).Select(m => FieldErrors.Invalid(path.Child("port"), name, m)));
            }
        }
        else if (endPort is { } end)
        {
            errs.Add(FieldErrors.Invalid(path.Child("endPort"), end, "may not be specified when `port` is not specified"));
        }
        return errs;
    }

    private static List<FieldError> Peer(JsonObject peer, FieldPath path, HashSet<string> existingCidrs)
    {
        var errs = new List<FieldError>();
        var count = 0;
        foreach (var selector in new[] { "podSelector", "namespaceSelector" })
        {
            if (peer.Obj(selector) is { } s)
            {
                count++;
                errs.AddRange(LabelSelectors.Validate(s, path.Child(selector)));
            }
        }
        var block = peer.Obj("ipBlock");
        if (block is not null)
        {
            count++;
            errs.AddRange(IpBlock(block, path.Child("ipBlock"), existingCidrs));
        }
        if (count == 0)
        {
            errs.Add(FieldErrors.Required(path, "must specify a peer"));
        }
        else if (count > 1 && block is not null)
        {
            errs.Add(FieldErrors.Forbidden(path, "may not specify both ipBlock and another peer"));
        }
        return errs;
    }

    private static List<FieldError> IpBlock(JsonObject block, FieldPath path, HashSet<string> existingCidrs)
    {
        var cidr = block.Str("cidr");
        if (cidr.Length == 0)
        {
            return [FieldErrors.Required(path.Child("cidr"), "")];
        }
        var errs = existingCidrs.Contains(cidr) ? [] : IpRules.IsValidCIDRForLegacyField(path.Child("cidr"), cidr);
        if (IpRules.CidrFamily(cidr) == 0)
        {
            return errs;
        }
        var excepts = block.Arr("except").Strings();
        for (var i = 0; i < excepts.Count; i++)
        {
            var exceptPath = path.Child("except").Index(i);
            if (!existingCidrs.Contains(excepts[i]))
            {
                errs.AddRange(IpRules.IsValidCIDRForLegacyField(exceptPath, excepts[i]));
            }
            if (IpRules.CidrFamily(excepts[i]) == 0)
            {
                continue;
            }
            if (!IpRules.IsStrictSubset(cidr, excepts[i]))
            {
                errs.Add(FieldErrors.Invalid(exceptPath, excepts[i], "must be a strict subset of `cidr`"));
            }
        }
        return errs;
    }
}
