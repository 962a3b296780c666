using System.Text.RegularExpressions;

namespace Strata.Lab;

/// <summary>Turns the host kubeconfig into a node's: the same credentials, the server at the lab address (https://172.19.0.2:6443). Pure.</summary>
public static partial class KubeconfigRewriter
{
    [GeneratedRegex(@"^(\s*server:\s*).*$", RegexOptions.Multiline)]
    private static partial Regex ServerLine();

    public static string WithServer(string kubeconfig, string server)
    {
        if (!ServerLine().IsMatch(kubeconfig))
        {
            throw new LabException("the API server's kubeconfig has no server: line");
        }

        return ServerLine().Replace(kubeconfig, m => m.Groups[1].Value + server);
    }
}
