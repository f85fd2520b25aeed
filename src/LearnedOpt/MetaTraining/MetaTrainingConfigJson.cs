using System.Text.Json;
using System.Text.Json.Serialization;

namespace LearnedOpt.MetaTraining;

/// <summary>Source-generated JSON for <see cref="MetaTrainingConfig"/> (the engine builds with trimming analysis on).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(MetaTrainingConfig))]
internal sealed partial class MetaTrainingConfigJson : JsonSerializerContext;
