using System.CommandLine;

namespace LearnedOpt.Cli;

/// <summary>One CLI command. Program finds every implementation, so adding a command is adding a file.</summary>
public interface ICommandFactory
{
    Command Create();
}
