namespace TopKLoss.Cli.Training;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: the bytes go
/// to a temporary file in the same folder, which is then renamed over the target (atomic on POSIX
/// file systems). A failure removes the temporary file, so nothing half-written is left behind.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        try
        {
            // Serialize to memory first: TorchSharp's savers close the stream they are given.
            var buffer = new MemoryStream();
            write(buffer);
            using (var file = Create(temp, path))
            {
                file.Write(buffer.ToArray());   // ToArray still works once the saver has closed the stream
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { /* best effort: the original error matters */ }
            throw;
        }
    }

    /// <summary>Opens the temporary file; an error names the file the user asked for, not its temporary name.</summary>
    private static FileStream Create(string temp, string path)
    {
        try { return new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: {e.Message.Replace(temp, path, StringComparison.Ordinal)}", e);
        }
    }

    public static void WriteText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
}
