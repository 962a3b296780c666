namespace Strata.Controllers.NodeIpam;

/// <summary>What went wrong in an allocator; each maps to one of upstream's error values.</summary>
public enum AllocationError
{
    /// <summary><c>ErrFull</c>: <c>range is full</c>.</summary>
    Full,

    /// <summary><c>ErrAllocated</c>: <c>provided IP is already allocated</c> / <c>provided port is already allocated</c>.</summary>
    Allocated,

    /// <summary><c>ErrNotInRange</c>: the value is outside the range (the message names the valid range).</summary>
    NotInRange,

    /// <summary><c>ErrMismatchedNetwork</c>: a snapshot taken over another range.</summary>
    MismatchedRange,

    /// <summary>cidrset's <c>ErrCIDRRangeNoCIDRsRemaining</c>.</summary>
    NoCidrsRemaining,

    /// <summary>A CIDR outside the cluster CIDR, of the wrong family, or otherwise unusable (cidrset's formatted errors).</summary>
    InvalidCidr,
}

/// <summary>
/// An allocator refused a request. <see cref="Exception.Message"/> is upstream's error text exactly
/// (kubernetes pkg/registry/core/service/ipallocator, portallocator; pkg/controller/nodeipam/ipam/cidrset, v1.32).
/// </summary>
public sealed class AllocationException(AllocationError error, string message) : Exception(message)
{
    public AllocationError Error { get; } = error;

    /// <summary>For <see cref="AllocationError.NotInRange"/>: the range as upstream prints it (<c>10.233.0.0/18</c>, <c>30000-32767</c>).</summary>
    public string? ValidRange { get; init; }

    public const string FullMessage = "range is full";
    public const string IpAllocatedMessage = "provided IP is already allocated";
    public const string PortAllocatedMessage = "provided port is already allocated";
    public const string IpMismatchedMessage = "the provided network does not match the current range";
    public const string PortMismatchedMessage = "the provided port range does not match the current port range";
    public const string NoCidrsRemainingMessage =
        "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range";
    public const string SubnetTooBigMessage = "New CIDR set failed; the node CIDR size is too big";

    public static AllocationException Full() => new(AllocationError.Full, FullMessage);

    public static AllocationException IpNotInRange(string ip, string range) =>
        new(AllocationError.NotInRange, $"the provided IP ({ip}) is not in the valid range. The range of valid IPs is {range}") { ValidRange = range };

    public static AllocationException PortNotInRange(string range) =>
        new(AllocationError.NotInRange, $"provided port is not in the valid range. The range of valid ports is {range}") { ValidRange = range };
}
