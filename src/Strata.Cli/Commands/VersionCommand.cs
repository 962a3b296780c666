using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Strata.Cli.Commands;

internal static class VersionCommand
{
    public static Command Build()
    {
        var command = new Command("version", "Print Strata's version, the .NET runtime and the kernel.");
        command.SetAction(_ =>
        {
            string version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"strata {version.Split('+')[0]}");
            Console.WriteLine($"runtime {RuntimeInformation.FrameworkDescription}");
            Console.WriteLine($"kernel {KernelRelease()}");
            return 0;
        });
        return command;
    }

    private static string KernelRelease()
    {
        const string path = "/proc/sys/kernel/osrelease";
        return File.Exists(path) ? File.ReadAllText(path).Trim() : RuntimeInformation.OSDescription;
    }
}
