using System.Text.Json;
using Json.Schema;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Output;

/// <summary>
/// Validates a command's <c>--json</c> output against its checked-in schema (docs/schemas, docs/output.md), so a renamed,
/// missing or extra field, a non-documented enum value or a v4-mapped endpoint fails a test.
/// </summary>
internal static class JsonSchemaAssert
{
    private static readonly Lazy<Dictionary<string, JsonSchema>> Schemas = new(Load);

    /// <summary>Every line of <paramref name="output"/> must be one object valid against <c>docs/schemas/NAME.schema.json</c>.</summary>
    public static IReadOnlyList<JsonElement> ValidLines(string name, string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        return [.. lines.Select(line => Valid(name, line))];
    }

    /// <summary>The one JSON object of a document command, valid against its schema.</summary>
    public static JsonElement Valid(string name, string json)
    {
        JsonElement element = JsonDocument.Parse(json).RootElement.Clone();
        IReadOnlyList<string> errors = Errors(name, element);
        Assert.True(errors.Count == 0, $"{name}: {string.Join("; ", errors)}\n{json}");
        return element;
    }

    /// <summary>Why <paramref name="element"/> does not match the schema (empty when it does).</summary>
    public static IReadOnlyList<string> Errors(string name, JsonElement element)
    {
        JsonSchema schema = Schemas.Value[name];
        EvaluationResults result = schema.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }

        return [.. (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Key}: {e.Value}"))];
    }

    private static Dictionary<string, JsonSchema> Load()
    {
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "docs", "schemas"), "*.schema.json"))
        {
            JsonSchema schema = JsonSchema.FromFile(file);
            SchemaRegistry.Global.Register(schema);
            schemas[Path.GetFileName(file)[..^".schema.json".Length]] = schema;
        }

        return schemas;
    }
}
