namespace TopKLoss.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        TopKLoss.Native.NativeBackend.EnsureLoaded();
        Console.WriteLine("topk: commands not implemented yet");
        return 0;
    }
}
