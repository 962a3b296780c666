using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Strata.Agent;

/// <summary>errno turned into one exception type, in one place (conventions.md, rule 2).</summary>
internal static class Errors
{
    public static Win32Exception Last(string call) => For(Marshal.GetLastPInvokeError(), call);

    public static Win32Exception For(int errno, string call) =>
        new(errno, $"{call}: {Marshal.GetPInvokeErrorMessage(errno)}");
}
