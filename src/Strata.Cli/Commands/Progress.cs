using Spectre.Console;

namespace Strata.Cli.Commands;

/// <summary>Progress for long steps: a spinner on stderr when stderr is a terminal, nothing otherwise, so stdout stays parseable.</summary>
internal static class Progress
{
    public static T Run<T>(string title, Func<IProgress<string>?, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            return work(null);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Status().Start(title, context => work(new Callback(message => context.Status($"{title}: {Markup.Escape(message)}"))));
    }

    private sealed class Callback(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
