using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    /// <summary>errno values as named in &lt;asm-generic/errno-base.h&gt; and &lt;asm-generic/errno.h&gt;.</summary>
    internal static class Errno
    {
        internal const int EPERM = 1;
        internal const int ENOENT = 2;
        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int EEXIST = 17;
        internal const int ENODEV = 19;
        internal const int EINVAL = 22;
        internal const int ENOBUFS = 105;
        internal const int EOPNOTSUPP = 95;

        private static readonly Dictionary<int, string> s_names = new()
        {
            [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO",
            [7] = "E2BIG", [9] = "EBADF", [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES",
            [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV",
            [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
            [25] = "ENOTTY", [28] = "ENOSPC", [30] = "EROFS", [34] = "ERANGE", [36] = "ENAMETOOLONG",
            [38] = "ENOSYS", [39] = "ENOTEMPTY", [61] = "ENODATA", [71] = "EPROTO", [74] = "EBADMSG",
            [75] = "EOVERFLOW", [90] = "EMSGSIZE", [93] = "EPROTONOSUPPORT", [95] = "EOPNOTSUPP",
            [97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN",
            [101] = "ENETUNREACH", [105] = "ENOBUFS", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED",
            [113] = "EHOSTUNREACH", [114] = "EALREADY", [115] = "EINPROGRESS",
        };

        internal static string Name(int errno) => s_names.TryGetValue(errno, out var name) ? name : $"errno {errno}";

        /// <summary>strerror(3) text, e.g. "File exists".</summary>
        internal static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno);
    }
}
