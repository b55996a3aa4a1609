using System.Runtime.InteropServices;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM. While a command protects a run folder (<see cref="Protect"/>), a
/// signal only raises <see cref="Token"/>: training stops after the current step, the folder is
/// closed cleanly and the command exits 130 with a line saying how to resume. Outside such a
/// section nothing is being written, so the signal ends the process at once (as a second signal does).
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private int protecting;

    public CancellationToken Token => source.Token;

    /// <summary>A token that only <see cref="Request"/> raises (tests, in-process runs).</summary>
    public static Interruption Manual() => new();

    /// <summary>Listens to SIGINT and SIGTERM for this process.</summary>
    public static Interruption FromSignals(TextWriter stderr)
    {
        var interruption = new Interruption();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            interruption.registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (Volatile.Read(ref interruption.protecting) == 0 || interruption.source.IsCancellationRequested)
                {
                    stderr.WriteLine("topk: interrupted; nothing was being written.");
                    return;   // default action: the process ends
                }
                context.Cancel = true;
                interruption.source.Cancel();
            }));
        return interruption;
    }

    public void Request() => source.Cancel();

    /// <summary>Marks a section that writes a run folder; signals then stop at the next step.</summary>
    public IDisposable Protect()
    {
        Interlocked.Increment(ref protecting);
        return new Section(this);
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }

    private sealed class Section(Interruption owner) : IDisposable
    {
        private int done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0) Interlocked.Decrement(ref owner.protecting);
        }
    }
}

/// <summary>Training stopped at a step boundary because of <see cref="Interruption"/>.</summary>
public sealed class RunInterruptedException(int epoch, int batch) : OperationCanceledException($"interrupted in epoch {epoch}, batch {batch}")
{
    public int Epoch { get; } = epoch;
    public int Batch { get; } = batch;
}

/// <summary>A command stopped by a signal: the CLI prints <see cref="Exception.Message"/> and exits 130.</summary>
public sealed class CommandInterruptedException(string message) : Exception(message);
