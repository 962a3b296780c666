using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Strata.Netlink;

namespace Strata.Flannel.Subnet;

/// <summary>
/// One node's subnet lease as the kube subnet manager builds it from the Node (pkg/subnet/kube/kube.go nodeToLease):
/// the podCIDR, the backend type, the public IP and the backend's data, as published in the node's annotations.
/// </summary>
public sealed record Lease(string NodeName, IpPrefix Subnet, string BackendType, IPAddress PublicIp, string BackendData)
{
    /// <summary>The VTEP's MAC in a vxlan lease's backend data, or null if the data has none.</summary>
    public VxlanLeaseData? Vxlan => VxlanLeaseData.TryParse(BackendData);
}

/// <summary>The vxlan backend's data (vxlanLeaseAttrs): <c>{"VNI":1,"VtepMAC":"0e:…"}</c>.</summary>
public sealed record VxlanLeaseData(uint Vni, PhysicalAddress VtepMac)
{
    /// <summary>As Go's encoding/json writes vxlanLeaseAttrs: fields in order, the MAC lowercase with colons.</summary>
    public string ToJson() => $"{{\"VNI\":{Vni},\"VtepMAC\":\"{MacAddress.Format(VtepMac)}\"}}";

    public static VxlanLeaseData? TryParse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            uint vni = 0;
            string? mac = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name.Equals("VNI", StringComparison.OrdinalIgnoreCase) && property.Value.TryGetUInt32(out uint v))
                {
                    vni = v;
                }
                else if (property.Name.Equals("VtepMAC", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                {
                    mac = property.Value.GetString();
                }
            }

            return mac is null ? null : new VxlanLeaseData(vni, MacAddress.Parse(mac));
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
