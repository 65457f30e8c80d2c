using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Inference.Tests;

/// <summary>A logger provider that keeps every entry in <paramref name="entries"/>, to check what the service logs.</summary>
internal sealed class LogSink(ConcurrentQueue<LogEntry> entries) : ILoggerProvider
{

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry) => entries.Enqueue(entry);

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);
