using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    /// <summary>errno of the last call, as the one exception type the sandbox code throws (rule 2).</summary>
    public static Runtime.SandboxException SandboxFailure(string call) =>
        new($"{call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
