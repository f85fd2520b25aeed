namespace LearnedOpt.Cli;

/// <summary>A bad-input failure: printed as one line and mapped to exit code 2.</summary>
public sealed class CliError(string message) : Exception(message);
