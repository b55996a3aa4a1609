using System.Runtime.InteropServices;
using TopKLoss.Native;

namespace TopKLoss.Tests;

public partial class OpenMpSpinTests
{
    [Fact]
    public void Spin_count_reaches_the_native_environment_unless_the_user_chose_one()
    {
        NativeBackend.EnsureLoaded();
        string? native = Marshal.PtrToStringUTF8(GetEnv(OpenMpSpin.Variable));
        bool userChose = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
                         || Environment.GetEnvironmentVariable(OpenMpSpin.Variable) is not null;
        if (userChose) Assert.Equal(Environment.GetEnvironmentVariable(OpenMpSpin.Variable), native);
        else Assert.Equal(OpenMpSpin.Value, native);
    }

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
