using System.Text.Json;
using Rebound.Cli.Output;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Output;

/// <summary>
/// The checked-in schemas bite: the old dialects (snake_case bench, <c>repliedFrom</c>, a v4-mapped endpoint, a C# enum
/// name, a missing <c>schemaVersion</c>) are rejected, so the per-command schema checks elsewhere can fail.
/// </summary>
public class JsonSchemaTests
{
    private const string Probe =
        """{"localAddress":"127.0.0.2","server":"127.0.0.2:53","interface":"lo","clientAddress":"127.0.0.1","verdict":"wrong-source","replySource":"127.0.0.1:53","detail":"","clientNamespace":null}""";

    [Fact]
    public void A_doctor_document_in_the_documented_words_is_valid()
    {
        Assert.Empty(JsonSchemaAssert.Errors("doctor", Doctor(Probe)));
    }

    [Theory]
    [InlineData("\"replySource\":\"127.0.0.1:53\"", "\"repliedFrom\":\"127.0.0.1:53\"")]
    [InlineData("\"replySource\":\"127.0.0.1:53\"", "\"replySource\":\"[::ffff:127.0.0.1]:53\"")]
    [InlineData("\"replySource\":\"127.0.0.1:53\"", "\"replySource\":\"127.0.0.1.53\"")]
    [InlineData("\"verdict\":\"wrong-source\"", "\"verdict\":\"WRONG SOURCE\"")]
    [InlineData("\"verdict\":\"wrong-source\"", "\"verdict\":\"WrongSource\"")]
    public void The_old_dialects_are_rejected(string good, string bad)
    {
        Assert.NotEmpty(JsonSchemaAssert.Errors("doctor", Doctor(Probe.Replace(good, bad, StringComparison.Ordinal))));
    }

    [Fact]
    public void A_document_without_schemaVersion_is_rejected()
    {
        JsonElement document = Doctor(Probe);
        string text = document.GetRawText().Replace("\"schemaVersion\":1,", "", StringComparison.Ordinal);

        Assert.NotEmpty(JsonSchemaAssert.Errors("doctor", JsonDocument.Parse(text).RootElement));
    }

    [Fact]
    public void Snake_case_bench_output_is_rejected()
    {
        JsonElement snake = JsonDocument.Parse("""{"schemaVersion":1,"target":"127.0.0.1:1","replies_per_second":1}""").RootElement;

        Assert.NotEmpty(JsonSchemaAssert.Errors("bench", snake));
    }

    [Fact]
    public void Every_schema_file_is_named_in_docs_output_md()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "output.md"));
        foreach (string file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "docs", "schemas"), "*.schema.json"))
        {
            string name = Path.GetFileName(file);
            Assert.True(name == "common.schema.json" || doc.Contains(name, StringComparison.Ordinal), $"{name} is not described in docs/output.md");
        }
    }

    private static JsonElement Doctor(string probe) => JsonDocument.Parse(
        $$"""{"schemaVersion":{{JsonOutput.SchemaVersion}},"namespace":"this network namespace","wrongSourceProven":true,"sockets":[],"listeners":[{"port":53,"protocol":"dns","verdict":"at-risk","explanation":"x","processes":[],"shield":null,"fix":"rebound shield attach --pid 1","probes":[{{probe}}]}],"notes":[]}""").RootElement;
}
