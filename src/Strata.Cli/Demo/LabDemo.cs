using System.Diagnostics;
using System.Text.Json;
using Strata.Lab;

namespace Strata.Cli.Demo;

/// <summary>
/// <c>strata demo</c>: the lab with the seed's workloads. It brings the default lab up (unless it is up already), applies
/// the nginx Deployment, its Service and a client pod with the real kubectl, and prints what the seed shows, each
/// step as the command a user would type. It leaves the lab up.
/// </summary>
internal sealed class LabDemo(TextWriter output, string strataPath)
{
    private const string Manifest = "seed-workloads.yaml";

    private readonly string _stateDirectory = LabSpec.DefaultStateDirectory(LabSpec.DefaultName);

    private string Kubeconfig => LabPaths.Kubeconfig(_stateDirectory);

    public int Run()
    {
        if (Find("kubectl") is null)
        {
            throw new LabException("the demo drives the lab with the real kubectl, and there is none on PATH (install kubectl 1.32 or later)");
        }

        if (LabState.Load(_stateDirectory) is null)
        {
            Show("strata up");
            using var up = Process.Start(Start(strataPath, ["up"]))!; // On the terminal: its progress shows as it goes.
            up.WaitForExit();
            if (up.ExitCode != 0)
            {
                output.WriteLine("demo: strata up failed (see above; `strata logs apiserver` and `strata logs node1` show the components' logs)");
                return 1;
            }
        }
        else
        {
            output.WriteLine($"demo: lab {LabSpec.DefaultName} is already up ({_stateDirectory}); using it");
        }

        output.WriteLine($"$ export KUBECONFIG={Kubeconfig}");
        var manifest = Path.Combine(_stateDirectory, "demo", Manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        using (var source = typeof(LabDemo).Assembly.GetManifestResourceStream(Manifest)!)
        using (var target = File.Create(manifest))
        {
            source.CopyTo(target);
        }

        bool ok = Kubectl("apply", "-f", manifest)
            && Kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=120s")
            && Kubectl("wait", "--for=condition=Ready", "pod/client", "--timeout=120s")
            && Kubectl("get", "nodes", "-o", "wide")
            && Kubectl("get", "pods", "-o", "wide");
        if (!ok)
        {
            output.WriteLine("demo: a step FAILED (see above); `kubectl describe pod NAME` and `strata logs node1` say why");
            return 1;
        }

        var pods = JsonDocument.Parse(Capture("get", "pods", "-o", "json")).RootElement.GetProperty("items").EnumerateArray().ToList();
        var client = pods.Single(p => p.GetProperty("metadata").GetProperty("name").GetString() == "client");
        string node = client.GetProperty("spec").GetProperty("nodeName").GetString()!;
        var neighbour = pods.FirstOrDefault(p =>
            p.GetProperty("metadata").GetProperty("labels").TryGetProperty("app", out var app) && app.GetString() == "nginx"
            && p.GetProperty("spec").GetProperty("nodeName").GetString() == node);

        ok &= Strata("exec", node, "--", "ip", "addr", "show", "cni0")
            & Strata("exec", node, "--", "ip", "link", "show", "type", "veth")
            & Strata("exec", node, "--", "ip", "route");
        if (neighbour.ValueKind == JsonValueKind.Object)
        {
            string ip = neighbour.GetProperty("status").GetProperty("podIP").GetString()!;
            ok &= Kubectl("exec", "client", "--", "curl", "-sS", "--max-time", "5", $"http://{ip}/");
        }
        else
        {
            output.WriteLine($"demo: no nginx pod runs on {node}, the client's node; skipping the same-node curl");
        }

        output.WriteLine();
        output.WriteLine(ok ? "demo: the lab is up with the seed's workloads." : "demo: a step FAILED (see above).");
        output.WriteLine("Explore it:");
        output.WriteLine($"  export KUBECONFIG={Kubeconfig}");
        output.WriteLine("  kubectl get pods -o wide; kubectl logs deploy/nginx-deployment; kubectl exec -it client -- sh");
        output.WriteLine("  strata status; strata exec node1 -- ip route; strata exec node1 -- iptables-save; strata logs node1");
        output.WriteLine("Tear it down with: sudo strata down");
        return ok ? 0 : 1;
    }

    private void Show(string command) => output.WriteLine($"$ {command}");

    private bool Kubectl(params string[] args)
    {
        Show("kubectl " + string.Join(' ', args));
        return Execute("kubectl", args) == 0;
    }

    private bool Strata(params string[] args)
    {
        Show("strata " + string.Join(' ', args));
        return Execute(strataPath, args) == 0;
    }

    private string Capture(params string[] args)
    {
        var start = Start("kubectl", args);
        start.RedirectStandardOutput = true;
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? text : throw new LabException($"kubectl {string.Join(' ', args)} exited {process.ExitCode}");
    }

    /// <summary>Runs a command and copies its output (stdout, then stderr) to the demo's output.</summary>
    private int Execute(string file, IReadOnlyList<string> args)
    {
        var start = Start(file, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output.Write(text);
        output.Write(errors.Result);
        return process.ExitCode;
    }

    private ProcessStartInfo Start(string file, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["KUBECONFIG"] = Kubeconfig;
        return start;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
