using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rebound.Cli.Output;

/// <summary>Writes an enum as its documented lower-case name (<c>WrongSource</c> → <c>"wrong-source"</c>), AOT-safe.</summary>
internal sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
