using System.CommandLine;
using k8s.Models;
using Strata.Agent.Images;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata images [IMAGE [--command ...] [--args ...]]</c>: the image table the kubelet runs containers from, or
/// what one image would run on this host.
/// </summary>
internal static class ImagesCommand
{
    public static Command Build()
    {
        var image = new Argument<string?>("image") { Description = "Show what this image runs on this host.", Arity = ArgumentArity.ZeroOrOne };
        var commandOption = new Option<string[]>("--command") { Description = "The container's command (repeat for each word).", AllowMultipleArgumentsPerToken = true };
        var argsOption = new Option<string[]>("--args") { Description = "The container's args (repeat for each word).", AllowMultipleArgumentsPerToken = true };
        var portOption = new Option<int[]>("--port") { Description = "A TCP containerPort (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("images", "List the image table (images → host programs), or show what one image runs.")
        {
            image, commandOption, argsOption, portOption,
        };
        command.SetAction(result =>
        {
            string? name = result.GetValue(image);
            if (name is null)
            {
                PrintTable();
                return 0;
            }

            var container = new V1Container
            {
                Name = "c",
                Image = name,
                Command = result.GetValue(commandOption) is { Length: > 0 } c ? [.. c] : null,
                Args = result.GetValue(argsOption) is { Length: > 0 } a ? [.. a] : null,
                Ports = result.GetValue(portOption) is { Length: > 0 } p ? [.. p.Select(port => new V1ContainerPort { ContainerPort = port })] : null,
            };
            var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" }, Spec = new V1PodSpec { Containers = [container] } };
            string strata = Environment.ProcessPath ?? "strata";
            var context = ImageContext.ForNode(strata, "/var/lib/kubelet/pods/<uid>/strata");
            switch (ImageTable.Resolve(pod, container, context))
            {
                case RunnableContainer run:
                    Console.WriteLine(run.Description);
                    if (run.StartError is not null)
                    {
                        Console.WriteLine($"the container would fail to start: {ContainerStartErrors.Reason} ({ContainerStartErrors.ExitCode}): {run.StartError}");
                    }

                    foreach (var file in run.Files)
                    {
                        Console.WriteLine($"--- {file.Path}");
                        Console.Write(file.Contents);
                    }

                    return 0;
                case NotRunnable waiting:
                    Console.WriteLine($"Waiting: {waiting.Reason}: {waiting.Message}");
                    return 1;
                default:
                    return 1;
            }
        });
        return command;
    }

    private static void PrintTable()
    {
        Console.WriteLine("IMAGE\tUPSTREAM IMAGE RUNS\tSTRATA RUNS");
        foreach (var rule in ImageTable.Rules)
        {
            Console.WriteLine($"{rule.Pattern}\t{rule.Image}\t{rule.Runs}");
        }

        Console.WriteLine($"any other image\t-\tWaiting: {ImageTable.ErrImageNeverPull} (Container image \"X\" is not present with pull policy of Never)");
    }
}
