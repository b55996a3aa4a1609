namespace TopKLoss.Cli;

/// <summary>
/// A user error (bad option, missing or corrupt file, ...). The CLI prints its message as one
/// line on stderr and exits with code 2, no stack trace. Messages name the option or file and,
/// for corrupt files, the byte offset or record.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
