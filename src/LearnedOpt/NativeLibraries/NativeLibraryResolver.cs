using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace LearnedOpt.NativeLibraries;

/// <summary>
/// The one place that turns a logical library name into a loaded library: it probes the
/// candidates of <see cref="LibraryCandidates"/> in order, caches the result, and keeps a trace
/// of every attempt so that a failure can say exactly what was tried.
/// </summary>
public static class NativeLibraryResolver
{
    private static readonly ConcurrentDictionary<string, Resolution> Cache = new();
    private static readonly object InstallGate = new();
    private static bool _installed;

    /// <summary>One probe: the path or soname tried and what happened.</summary>
    public sealed record Attempt(string Candidate, bool Loaded, string? Error);

    /// <summary>The outcome for one logical library.</summary>
    public sealed record Resolution(string Name, nint Handle, string? LoadedFrom, IReadOnlyList<Attempt> Attempts)
    {
        public bool Found => Handle != 0;

        /// <summary>Human-readable list of what was tried, for error messages.</summary>
        public string Trace => string.Join("; ", Attempts.Select(a => a.Loaded ? $"{a.Candidate}: loaded" : $"{a.Candidate}: {a.Error}"));
    }

    /// <summary>
    /// Installs the resolver for this assembly's [LibraryImport]s (idempotent). Returns only once it
    /// is installed, so a caller on another thread never reaches a native call ahead of it.
    /// </summary>
    public static void Install()
    {
        if (Volatile.Read(ref _installed)) return;
        lock (InstallGate)
        {
            if (_installed) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            Volatile.Write(ref _installed, true);
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        => Get(libraryName).Handle;

    /// <summary>Resolves (once) and returns the outcome; never throws.</summary>
    public static Resolution Get(string name) => Cache.GetOrAdd(name, Probe);

    /// <summary>Resolves or throws a <see cref="DllNotFoundException"/> that lists every attempt.</summary>
    public static nint Require(string name)
    {
        var r = Get(name);
        if (!r.Found)
            throw new DllNotFoundException($"Native library '{name}' could not be loaded. Tried: {r.Trace}");
        return r.Handle;
    }

    private static Resolution Probe(string name)
    {
        var attempts = new List<Attempt>();
        IReadOnlyList<string> candidates;
        try
        {
            candidates = LibraryCandidates.For(name);
        }
        catch (ArgumentException e)
        {
            // A bad setting (LOPT_CPU_ISA) is the reason nothing was tried.
            attempts.Add(new Attempt(e.ParamName ?? name, false, e.Message));
            return new Resolution(name, 0, null, attempts);
        }
        foreach (var candidate in candidates)
        {
            if (candidate.Contains('/') && !File.Exists(candidate))
            {
                attempts.Add(new Attempt(candidate, false, "no such file"));
                continue;
            }
            try
            {
                var handle = NativeLibrary.Load(candidate);
                attempts.Add(new Attempt(candidate, true, null));
                return new Resolution(name, handle, candidate, attempts);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add(new Attempt(candidate, false, LoaderError(e.Message, candidate)));
            }
        }
        return new Resolution(name, 0, null, attempts);
    }

    /// <summary>
    /// The dynamic loader's own words (e.g. "libcuda.so.1: cannot open shared object file: No such
    /// file or directory"): .NET puts them after a first line of generic advice.
    /// </summary>
    internal static string LoaderError(string message, string candidate)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) return "could not be loaded";
        var text = lines.Length > 1 ? string.Join(" ", lines.Skip(1)) : lines[0];
        // dlerror() repeats the name the trace already shows.
        return text.StartsWith(candidate + ": ", StringComparison.Ordinal) ? text[(candidate.Length + 2)..] : text;
    }
}
