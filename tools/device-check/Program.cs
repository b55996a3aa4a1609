using System.Globalization;
using TopKLoss.Cuda;
using TopKLoss.Native;
using static TorchSharp.torch;

// topk-device-check check [--reference DIR] | bench     (results under $OUT when set, else the current folder)
NativeBackend.EnsureLoaded();
string mode = args.Length > 0 ? args[0] : "check";
string outDir = Environment.GetEnvironmentVariable("OUT") is { Length: > 0 } o ? o : ".";
Console.WriteLine($"cuda available: {cuda.is_available()}, devices: {cuda.device_count()}");
if (!cuda.is_available()) { Console.WriteLine("FAIL: no CUDA device"); return 1; }

if (mode == "bench")
{
    var rows = TopKLoss.DeviceCheck.Bench.Run(CUDA);
    File.WriteAllLines(Path.Combine(outDir, "device-bench.csv"), rows);
    return 0;
}
string? reference = args.SkipWhile(a => a != "--reference").Skip(1).FirstOrDefault();
var results = TopKLoss.DeviceCheck.Checks.Run(CUDA, reference);
var lines = results.Select(r => string.Create(CultureInfo.InvariantCulture, $"{(r.Pass ? "PASS" : "FAIL")}  {r.Name,-48} {r.Detail}")).ToList();
lines.Add($"{results.Count(r => r.Pass)} passed, {results.Count(r => !r.Pass)} failed");
foreach (var line in lines) Console.WriteLine(line);
File.WriteAllLines(Path.Combine(outDir, "device-check.txt"), lines);
return results.All(r => r.Pass) ? 0 : 1;
