using Strata.Cni.Plugins.Plugins;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins;

public static class Program
{
    /// <summary>Every plugin this executable provides, by the name it is installed under.</summary>
    internal static readonly IReadOnlyDictionary<string, Func<IPlugin>> Plugins = new Dictionary<string, Func<IPlugin>>
    {
        ["bridge"] = () => new Bridge(),
        ["flannel"] = () => new Flannel(),
        ["host-local"] = () => new Ipam.HostLocal(),
        ["loopback"] = () => new Loopback(),
        ["portmap"] = () => new Portmap(),
    };

    public static int Main(string[] args)
    {
        // Run as /opt/cni/bin/<plugin> (a link to this file), or as "strata-cni <plugin>" by hand.
        if (args is ["--list"])
        {
            foreach (string plugin in Plugins.Keys.Order())
            {
                Console.WriteLine(plugin);
            }

            return 0;
        }

        string invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
        string? name = Plugins.ContainsKey(invokedAs) ? invokedAs : args.FirstOrDefault();
        if (name is null || !Plugins.TryGetValue(name, out var create))
        {
            Console.Error.WriteLine($"strata-cni: run as one of: {string.Join(", ", Plugins.Keys.Order())} (a link named after the plugin, or 'strata-cni <plugin>')");
            return 2;
        }

        using var stdin = Console.OpenStandardInput();
        return PluginSkeleton.Run(create(), Environment.GetEnvironmentVariable, stdin, Console.Out, Console.Error);
    }
}
