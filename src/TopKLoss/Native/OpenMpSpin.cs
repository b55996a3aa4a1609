using System.Runtime.InteropServices;

namespace TopKLoss.Native;

/// <summary>
/// Shortens how long libtorch's OpenMP threads spin after a parallel op, unless the user chose.
/// </summary>
/// <remarks>
/// libgomp's default keeps each idle worker spinning for 300,000 iterations (milliseconds) after
/// every parallel torch op. The fused kernels run C# threads right after such ops, and on a
/// 2-core machine the spinning workers took their cores: the noised loss ran 40% slower, the CLI's
/// MLP 20x slower with 2 threads. 10,000 iterations keep back-to-back torch ops as fast (measured:
/// cross_entropy unchanged) and free the cores soon after. Must run before libgomp loads (it reads
/// the environment once); a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is left as it is.
/// </remarks>
internal static partial class OpenMpSpin
{
    public const string Variable = "GOMP_SPINCOUNT";
    public const string Value = "10000";

    /// <summary>Sets GOMP_SPINCOUNT in the native environment when neither it nor OMP_WAIT_POLICY is set.</summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable(Variable) is not null) return;
        // Environment.SetEnvironmentVariable does not reach native getenv on Unix: use libc's setenv.
        SetEnv(Variable, Value, 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
