using System.Text.Json.Nodes;
using Strata.ApiServer.Validation;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// How kube-apiserver turns allocator errors into API errors (pkg/registry/core/service/storage/alloc.go, v1.32):
/// a refused requested value is a field error of a 422 Invalid; an exhausted range on automatic allocation is a
/// 500 InternalError (<c>Internal error occurred: failed to allocate a serviceIP: range is full</c>).
/// </summary>
public static class AllocationErrors
{
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    /// <summary>
    /// <c>spec.clusterIPs: Invalid value: ["10.233.0.1"]: failed to allocate IP 10.233.0.1: provided IP is already
    /// allocated</c>. Upstream reports the whole <c>spec.clusterIPs</c> list, not the index.
    /// </summary>
    public static FieldError ClusterIp(JsonArray? clusterIPs, string ip, AllocationException error) =>
        FieldErrors.Invalid(s_spec.Child("clusterIPs"), BadValue.Json(clusterIPs?.DeepClone()), $"failed to allocate IP {ip}: {error.Message}");

    /// <summary><c>spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767</c>.</summary>
    public static FieldError NodePort(int portIndex, int nodePort, AllocationException error) =>
        FieldErrors.Invalid(s_spec.Child("ports").Index(portIndex).Child("nodePort"), nodePort, error.Message);

    /// <summary>The InternalError message for a failed automatic ClusterIP: <c>failed to allocate a serviceIP: range is full</c>.</summary>
    public static string ServiceIpFailed(AllocationException error) => $"failed to allocate a serviceIP: {error.Message}";

    /// <summary>The InternalError message for a failed automatic NodePort: <c>failed to allocate a nodePort: range is full</c>.</summary>
    public static string NodePortFailed(AllocationException error) => $"failed to allocate a nodePort: {error.Message}";

    /// <summary>
    /// The InternalError message for a failed requested healthCheckNodePort:
    /// <c>failed to allocate requested HealthCheck NodePort 31000: provided port is already allocated</c>.
    /// </summary>
    public static string HealthCheckNodePortFailed(int port, AllocationException error) =>
        $"failed to allocate requested HealthCheck NodePort {port}: {error.Message}";

    /// <summary>The InternalError message for a failed automatic healthCheckNodePort (upstream prints the port, 0).</summary>
    public static string HealthCheckNodePortNotAllocated(AllocationException error) =>
        $"failed to allocate a HealthCheck NodePort 0: {error.Message}";
}
