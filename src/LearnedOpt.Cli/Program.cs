using System.CommandLine;
using System.Reflection;
using LearnedOpt.Cli;

return LoptProgram.Run(args);

namespace LearnedOpt.Cli
{
    public static class LoptProgram
    {
        /// <summary>Entry point, also called in-process by the tests.</summary>
        public static int Run(string[] args)
        {
            var root = new RootCommand("lopt: LearnedOpt, learned and hand-designed optimizers on CPU and CUDA.");
            var factories = typeof(LoptProgram).Assembly.GetTypes()
                .Where(t => typeof(ICommandFactory).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .Select(t => (ICommandFactory)Activator.CreateInstance(t)!)
                .Select(f => f.Create())
                .OrderBy(c => c.Name, StringComparer.Ordinal);
            foreach (var c in factories) root.Subcommands.Add(c);

            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                Console.Error.WriteLine($"lopt: {parse.Errors[0].Message}");
                return 2;
            }
            try
            {
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (Exception e) when (e is CliError or ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or DllNotFoundException or NotSupportedException)
            {
                Console.Error.WriteLine($"lopt: {OneLine(CliFlags.Message(e))}");
                return 2;
            }
        }

        private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
    }
}
