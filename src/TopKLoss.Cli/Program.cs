using System.CommandLine;
using System.CommandLine.Help;
using TopKLoss.Cli.Commands;

namespace TopKLoss.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        using var interruption = Interruption.FromSignals(Console.Error);
        return Run(args, Console.Out, Console.Error, CliEnvironment.Default(Console.Out, interruption));
    }

    /// <summary>The exit code of a command stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>
    /// Runs one command line in-process. User errors (bad options, unknown names, missing or corrupt
    /// files, the library's ArgumentException) print one line on stderr and return 2, without a
    /// stack trace; an interrupted command prints how to continue and returns 130; anything else
    /// returns 1 with one line (TOPK_DEBUG=1 adds the stack trace). Errors from parallel work
    /// (AggregateException) are unwrapped first, so a corrupt image is a user error naming the file.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliEnvironment? environment = null)
    {
        try
        {
            LoadNativeBackend();
            var env = environment ?? CliEnvironment.Default(stdout);
            var root = new RootCommand("topk: train, evaluate and compare top-k classification losses (smooth top-k SVM, noised top-k, baselines) with TorchSharp.");
            root.Subcommands.Add(DemoCommand.Create(env, stdout));
            root.Subcommands.Add(TrainCommand.Create(env, stdout));
            root.Subcommands.Add(EvalCommand.Create(env, stdout));
            root.Subcommands.Add(CompareCommand.Create(env, stdout));
            root.Subcommands.Add(PredictCommand.Create(env, stdout));
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                // "Required command was not provided" hides the more useful "Unrecognized command 'fit'".
                var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t))) ?? parse.Errors[0];
                stderr.WriteLine($"topk: {OneLine(ParseErrors.Explain(error.Message))} (see topk --help)");
                return 2;
            }
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (TypeInitializationException e) when (e.InnerException is DllNotFoundException native)
        {
            // TopKLoss's module initializer could not make TorchSharp load; its message says why.
            stderr.WriteLine($"topk: {OneLine(native.Message)}");
            return 1;
        }
        catch (Exception thrown)
        {
            var e = Unwrap(thrown);
            if (e is CommandInterruptedException)
            {
                stderr.WriteLine($"topk: {OneLine(e.Message)}");
                return InterruptedExitCode;
            }
            if (IsUserError(e))
            {
                stderr.WriteLine($"topk: {OneLine(e.Message)}");
                return 2;
            }
            stderr.WriteLine($"topk: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            if (Environment.GetEnvironmentVariable("TOPK_DEBUG") == "1") stderr.WriteLine(thrown);
            return 1;
        }
    }

    // A method of its own: the JIT runs TopKLoss's module initializer (the native fix) when it compiles
    // a caller of NativeBackend, and a failure there must land in Run's try, not before it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LoadNativeBackend() => TopKLoss.Native.NativeBackend.EnsureLoaded();

    /// <summary>The first error inside AggregateExceptions (Parallel.For, tasks) and reflection wrappers.</summary>
    internal static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: > 0 } a: e = a.InnerExceptions[0]; break;
                case System.Reflection.TargetInvocationException { InnerException: { } inner }: e = inner; break;
                default: return e;
            }
        }
    }

    private static bool IsUserError(Exception e) =>
        e is UsageException or IOException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException;

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
