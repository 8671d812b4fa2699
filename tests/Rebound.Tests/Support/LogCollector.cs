using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rebound.Tests.Support;

/// <summary>A logger provider that keeps every formatted message, for asserting what a host logged.</summary>
internal sealed class LogCollector : ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Messages.Enqueue(formatter(state, exception));

    public void Dispose()
    {
    }
}
