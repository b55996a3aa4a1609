using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>
/// Ctrl-C / SIGTERM: the run stops after the current step, nothing half-written, exit 130 and a
/// line saying how to continue; an interrupted run resumes to the result of an uninterrupted one.
/// </summary>
public partial class InterruptionTests
{
    /// <summary>1,800 training steps per epoch (batch size 1): seconds of work, so a signal always lands inside an epoch.</summary>
    private static readonly string[] SlowTrain = ["train", "--data", "synthetic:classes=10,groups=5,train=200,test=10,dim=8", "--loss", "noised",
        "--k", "2", "--epochs", "2", "--batch-size", "1", "--lr", "0.01"];

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private const int SigInt = 2, SigTerm = 15;

    /// <summary>
    /// Runs the real topk executable, sends <paramref name="signal"/> once a stdout line contains
    /// <paramref name="trigger"/> (null: no signal). Long runs go to a child process rather than in
    /// process: the test host's other threads allocate, which TorchSharp 0.107's Scalars do not survive
    /// over thousands of steps (see Trainer.Synchronous).
    /// </summary>
    private static (int Code, string Out, string Err) RunAndSignal(string[] args, string? trigger, int signal)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "topk.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var error = new System.Text.StringBuilder();
        bool sent = false;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (!sent && trigger is not null && e.Data.Contains(trigger, StringComparison.Ordinal))
            {
                sent = true;
                Kill(process.Id, signal);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill();
            Assert.Fail("topk did not stop within 3 minutes of its signal");
        }
        process.WaitForExit();   // drains the redirected streams
        Assert.True(sent || trigger is null, $"the trigger '{trigger}' never appeared:\n{output}");
        return (process.ExitCode, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public void ASignalBeforeTheFirstCheckpointLeavesNothingAndExits130(int signal)
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        var (code, output, error) = RunAndSignal([.. SlowTrain, "--out", run], "2 epochs × 1800 batches", signal);
        Assert.True(code == 130, $"exit {code}: {error}\n{output}");
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("before the first checkpoint", line);
        Assert.Contains("run the same command again", line);
        Assert.False(Directory.Exists(run), "the same command must work again without --force");
    }

    [Fact]
    public void ASignalAfterTheFirstCheckpointResumesToTheUninterruptedResult()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        var (code, output, error) = RunAndSignal([.. SlowTrain, "--out", run], "] epoch 1/2 batch 1800/1800", SigInt);
        Assert.True(code == 130, $"exit {code}: {error}\n{output}");
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"topk train --out {run} --resume", line);
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
        Assert.False(File.Exists(Path.Combine(run, "metrics.json")));

        var resumed = RunAndSignal(["train", "--out", run, "--resume"], null, 0);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("] epoch 2/2", resumed.Out);
        Assert.DoesNotContain("] epoch 1/2", resumed.Out);
        var straight = RunAndSignal([.. SlowTrain, "--out", temp["straight"]], null, 0);
        Assert.True(straight.Code == 0, straight.Err);
        Assert.Equal(Results(temp["straight"]), Results(run));
    }

    /// <summary>Test metrics and per-epoch training losses of a finished run.</summary>
    private static string Results(string folder)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")));
        var root = metrics.RootElement;
        return root.GetProperty("test").GetRawText() + string.Join(",", root.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("TrainLoss").GetRawText()));
    }

    /// <summary>Raises the interruption when a given text is written: a Ctrl-C at a known point, in-process.</summary>
    private sealed class InterruptWhen(string trigger, Interruption interruption) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal)) interruption.Request();
        }
    }

    [Fact]
    public void AnInterruptedCompareResumesToTheSameTable()
    {
        using var temp = new TempFolder();
        string[] compare = ["compare", "--data", CliRunner.TinyData, "--losses", "ce,noised,smooth-svm", "--k", "2", "--seeds", "2", "--epochs", "3", "--batch-size", "32"];
        CliRunner.RunOk([.. compare, "--out", temp["straight"]]);

        using var interruption = Interruption.Manual();
        var stdout = new InterruptWhen("[noised · mlp · seed 1235] epoch 1/3", interruption);
        var stderr = new StringWriter();
        int code = Program.Run([.. compare, "--out", temp["cmp"]], stdout, stderr, CliRunner.Environment with { Interrupt = interruption });
        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.Contains($"topk compare --out {temp["cmp"]} --resume", stderr.ToString());
        Assert.Contains("noised seed 1235, epoch 2", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(temp["cmp"], "table.txt")));
        // Finished runs keep best-model.bin and metrics.json, not their (large) checkpoint; the interrupted one keeps its checkpoint.
        Assert.False(File.Exists(Path.Combine(temp["cmp"], "noised", "seed1234", "checkpoint.bin")));
        Assert.True(File.Exists(Path.Combine(temp["cmp"], "noised", "seed1235", "checkpoint.bin")));

        string resumed = CliRunner.RunOk("compare", "--out", temp["cmp"], "--resume");
        Assert.DoesNotContain("[ce · mlp", resumed);                          // finished runs are not trained again
        Assert.Contains("[noised · mlp · seed 1235] epoch 2/3", resumed);
        Assert.DoesNotContain("[noised · mlp · seed 1235] epoch 1/3", resumed);
        Assert.Equal(File.ReadAllText(Path.Combine(temp["straight"], "table.txt")), File.ReadAllText(Path.Combine(temp["cmp"], "table.txt")));
    }
}
