using System.CommandLine;
using System.Text.Json;
using LearnedOpt.Tasks;

namespace LearnedOpt.Cli.Commands;

/// <summary>lopt tasks: every registry entry (synthetic ensemble and held-out suite), as a table or one JSON array.</summary>
public sealed class TasksCommand : ICommandFactory
{
    public Command Create()
    {
        var json = new Option<bool>("--json") { Description = "One JSON array: {name, family, tensors: [{name, shape}], params, held_out} per task" };
        var cmd = new Command("tasks", "List the registered tasks.");
        cmd.Options.Add(json);
        cmd.SetAction(parse =>
        {
            var entries = TaskRegistry.All;
            if (parse.GetValue(json)) WriteJson(entries);
            else WriteTable(entries);
            return 0;
        });
        return cmd;
    }

    private static void WriteJson(IReadOnlyList<TaskEntry> entries)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartArray();
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("family", e.Family);
                w.WriteStartArray("tensors");
                foreach (var t in e.Tensors)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteStartArray("shape");
                    foreach (var d in t.Shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteNumber("params", e.ParameterCount);
                w.WriteBoolean("held_out", e.HeldOut);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteTable(IReadOnlyList<TaskEntry> entries)
    {
        static string Tensors(TaskEntry e) => string.Join(" ", e.Tensors.Select(t => $"{t.Name}[{string.Join("x", t.Shape)}]"));
        int nameWidth = Math.Max(4, entries.Max(e => e.Name.Length));
        int familyWidth = Math.Max(6, entries.Max(e => e.Family.Length));
        Console.Out.WriteLine($"{"name".PadRight(nameWidth)}  {"family".PadRight(familyWidth)}  {"params",9}  held_out  tensors");
        foreach (var e in entries)
            Console.Out.WriteLine($"{e.Name.PadRight(nameWidth)}  {e.Family.PadRight(familyWidth)}  {e.ParameterCount,9}  {(e.HeldOut ? "yes" : "no"),-8}  {Tensors(e)}");
        Console.Out.WriteLine($"{entries.Count} tasks ({entries.Count(e => e.HeldOut)} held out)");
    }
}
