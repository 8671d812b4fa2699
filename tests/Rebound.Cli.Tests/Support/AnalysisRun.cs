using System.Text.Json;
using Rebound.Cli.Analysis;
using Rebound.Cli.Tests.Output;

namespace Rebound.Cli.Tests.Support;

/// <summary>Runs <c>rebound analyze --json</c> in-process on a file and keeps the exit code, the parsed JSON and stderr.</summary>
internal sealed class AnalysisRun : IDisposable
{
    private AnalysisRun(int exitCode, JsonDocument json, string error)
    {
        ExitCode = exitCode;
        Json = json;
        Error = error;
    }

    public int ExitCode { get; }

    public JsonDocument Json { get; }

    public string Error { get; }

    public JsonElement Summary => Json.RootElement.GetProperty("summary");

    public JsonElement[] Findings => [.. Json.RootElement.GetProperty("findings").EnumerateArray()];

    public static AnalysisRun Of(string path, double windowSeconds = 2)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CaptureFileAnalysis.Run(new AnalyzeSettings(path, TimeSpan.FromSeconds(windowSeconds), Json: true), output, error);
        JsonSchemaAssert.Valid("analyze", output.ToString());
        return new AnalysisRun(exit, JsonDocument.Parse(output.ToString()), error.ToString());
    }

    public static AnalysisRun Of(byte[] file, double windowSeconds = 2)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rebound-test-{Guid.NewGuid():N}.cap");
        File.WriteAllBytes(path, file);
        try
        {
            return Of(path, windowSeconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose() => Json.Dispose();
}
