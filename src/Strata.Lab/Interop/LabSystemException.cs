using System.Runtime.InteropServices;

namespace Strata.Lab;

/// <summary>A failed system call while building or tearing down the lab: the call, what it was for, and errno's text.</summary>
public sealed class LabSystemException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;

    internal static LabSystemException FromErrno(string call) => FromErrno(call, Marshal.GetLastPInvokeError());

    internal static LabSystemException FromErrno(string call, int errno) =>
        new($"{call}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
}
