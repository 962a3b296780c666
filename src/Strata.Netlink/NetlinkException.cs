namespace Strata.Netlink;

/// <summary>
/// The kernel refused a request. The message names the operation in <c>ip</c>'s words, the
/// namespace, and errno, e.g. <c>route add 10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink
/// (netns strata-node1): File exists (EEXIST)</c>, followed by the kernel's extended ack if it
/// sent one.
/// </summary>
public sealed class NetlinkException : Exception
{
    public NetlinkException(string operation, string namespaceName, int errno, string? kernelMessage = null)
        : base(Format(operation, namespaceName, errno, kernelMessage))
    {
        Operation = operation;
        Namespace = namespaceName;
        Errno = errno;
        ErrnoName = Interop.Errno.Name(errno);
        KernelMessage = kernelMessage;
    }

    public string Operation { get; }

    public string Namespace { get; }

    public int Errno { get; }

    public string ErrnoName { get; }

    /// <summary>The extended-ack text (NLMSGERR_ATTR_MSG), when the kernel gave one.</summary>
    public string? KernelMessage { get; }

    private static string Format(string operation, string ns, int errno, string? kernelMessage)
    {
        string text = $"{operation} (netns {ns}): {Interop.Errno.Message(errno)} ({Interop.Errno.Name(errno)})";
        return string.IsNullOrEmpty(kernelMessage) ? text : $"{text}: {kernelMessage}";
    }
}

/// <summary>A request that was rejected before anything was sent to the kernel.</summary>
public sealed class NetlinkArgumentException : ArgumentException
{
    public NetlinkArgumentException(string operation, string namespaceName, string problem)
        : base($"{operation} (netns {namespaceName}): {problem}")
    {
        Operation = operation;
        Problem = problem;
    }

    public string Operation { get; }

    public string Problem { get; }
}
