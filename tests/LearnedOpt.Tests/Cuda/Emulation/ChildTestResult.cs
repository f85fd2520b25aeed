using System.Xml.Linq;

namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>One test case of a child xunit run, read from its -xml report.</summary>
/// <param name="Outcome">xunit's result: Pass, Fail, Skip or NotRun.</param>
public sealed record ChildTestResult(string Class, string Method, string Name, string Outcome, string? SkipReason)
{
    /// <summary>Every &lt;test&gt; element of an xunit v2-format XML report (what xunit v3's -xml writes).</summary>
    public static IReadOnlyList<ChildTestResult> Read(string path) =>
        XDocument.Load(path).Descendants("test")
            .Select(t => new ChildTestResult(
                (string?)t.Attribute("type") ?? "",
                (string?)t.Attribute("method") ?? "",
                (string?)t.Attribute("name") ?? "",
                (string?)t.Attribute("result") ?? "",
                t.Element("reason")?.Value))
            .ToArray();
}
