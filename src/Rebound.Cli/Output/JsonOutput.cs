using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Rebound.Cli.Output;

/// <summary>
/// Writes every <c>--json</c> object of every command (docs/output.md): one compact line per object, from the
/// source-generated <see cref="OutputJsonContext"/>, so no command hand-writes JSON and no field name can drift.
/// </summary>
internal static class JsonOutput
{
    /// <summary>The <c>schemaVersion</c> every object carries; raised when a field is removed, renamed or changes meaning.</summary>
    public const int SchemaVersion = 1;

    // Relaxed escaping keeps '>' and '+' readable in packet lines; the output is never embedded in HTML.
    private static readonly JsonSerializerOptions Options = new(OutputJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The object as one line of JSON, without the line break.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, TypeInfo<T>());

    /// <summary>Writes the object and a line break.</summary>
    public static void WriteLine<T>(TextWriter output, T value)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(Serialize(value));
        output.Flush();
    }

    /// <summary>Writes the object and a line break to a byte stream (stdout opened as a stream).</summary>
    public static void WriteLine<T>(Stream output, T value)
    {
        ArgumentNullException.ThrowIfNull(output);
        JsonSerializer.Serialize(output, value, TypeInfo<T>());
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}
