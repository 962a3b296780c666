using System.Text;

namespace Strata.ApiServer.Hosting;

/// <summary>Writes a kubeconfig (clientcmd v1) for the admin token, with the CA inlined, as <c>kubectl config view --raw</c> shows one.</summary>
public static class Kubeconfig
{
    public static string Render(string server, string caPem, string token, string clusterName = "strata") =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem))}
            server: {server}
          name: {clusterName}
        contexts:
        - context:
            cluster: {clusterName}
            user: {clusterName}-admin
          name: {clusterName}
        current-context: {clusterName}
        preferences: {"{}"}
        users:
        - name: {clusterName}-admin
          user:
            token: {token}

        """;

    public static void Write(string path, string server, string caPem, string token)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(temporary, Render(server, caPem, token));
        File.Move(temporary, path, overwrite: true);
    }
}
