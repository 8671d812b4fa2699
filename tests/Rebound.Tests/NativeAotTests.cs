using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.TestSupport;

namespace Rebound.Tests;

/// <summary>
/// The library's NativeAOT and trimming claim, checked for real: samples/AotEcho is published with PublishAot and
/// warnings as errors, and the native binary must answer a loopback client from the address it asked.
/// </summary>
public sealed class NativeAotTests
{
    [ToolFact("gcc")]
    public void Native_aot_echo_publishes_without_warnings_and_replies_from_the_asked_address()
    {
        string output = Directory.CreateTempSubdirectory("rebound-aot-").FullName;
        try
        {
            ProcessResult publish = ProcessRunner.Run(
                "dotnet",
                ["publish", System.IO.Path.Combine(RepositoryRoot.Path, "samples", "AotEcho"), "-c", "Release", "-o", System.IO.Path.Combine(output, "bin"),
                 "--artifacts-path", System.IO.Path.Combine(output, "artifacts"), "-warnaserror", "--nologo"],
                TimeSpan.FromMinutes(8));
            Assert.True(publish.Succeeded, publish.StandardOutput + publish.StandardError);

            int port = FreePort();
            using Process echo = Process.Start(new ProcessStartInfo(System.IO.Path.Combine(output, "bin", "AotEcho"), [$"0.0.0.0:{port}", "1"])
            {
                RedirectStandardError = true,
            })!;
            Assert.Contains("listening", echo.StandardError.ReadLine() ?? "", StringComparison.Ordinal);

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            client.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port));
            client.ReceiveTimeout = 3000;
            client.Send("aot"u8);
            byte[] buffer = new byte[16];
            int n = client.Receive(buffer);

            Assert.Equal("aot", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            Assert.True(echo.WaitForExit(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
