using Strata.Netlink;

namespace Strata.Cli.Commands;

/// <summary>Turns the library's errors into one line on stderr and exit code 1; anything else is a bug and keeps its stack trace.</summary>
internal static class CommandErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (IsUserFacing(ex))
        {
            Console.Error.WriteLine($"strata: {ex.Message}");
            return 1;
        }
    }

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (IsUserFacing(ex))
        {
            Console.Error.WriteLine($"strata: {ex.Message}");
            return 1;
        }
    }

    private static bool IsUserFacing(Exception ex) =>
        ex is Strata.Cni.CniPluginException or Strata.Cni.CniConfigException or AggregateException or NetlinkException or NetlinkArgumentException
            or FormatException or IOException or KeyNotFoundException or ArgumentException or Strata.Lab.LabException;
}
