using System.Text.Json.Serialization;
using Rebound.Cli.Analysis;
using Rebound.Cli.Bench;
using Rebound.Cli.Doctor;
using Rebound.Cli.Lab;
using Rebound.Cli.Shield;

namespace Rebound.Cli.Output;

/// <summary>
/// Every JSON object the CLI writes, source-generated (no reflection, AOT-safe) with one naming rule: camelCase
/// properties, nulls written. A new <c>--json</c> output adds its type here and its schema to docs/schemas.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = false)]
[JsonSerializable(typeof(DoctorDocument))]
[JsonSerializable(typeof(AnalyzeDocument))]
[JsonSerializable(typeof(AnalyzeErrorJson))]
[JsonSerializable(typeof(FindingJson))]
[JsonSerializable(typeof(TraceSummaryJson))]
[JsonSerializable(typeof(LabDocument))]
[JsonSerializable(typeof(BenchDocument))]
[JsonSerializable(typeof(EchoDatagramJson))]
[JsonSerializable(typeof(ProxyStatsJson))]
[JsonSerializable(typeof(PeerEventJson))]
[JsonSerializable(typeof(PeerSummaryJson))]
[JsonSerializable(typeof(ShieldStatusDocument))]
internal sealed partial class OutputJsonContext : JsonSerializerContext;
