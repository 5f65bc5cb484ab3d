using Microsoft.Extensions.Logging;

namespace Huddle.Browser.Tests.Rig;

/// <summary>
/// Writes the test server's log to a file under the artifacts folder, so a failed browser test can
/// be read next to its screenshots (why was a socket closed, which transport failed).
/// </summary>
public sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly object _gate = new();
    private readonly StreamWriter _writer = new(File.Open(path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            try
            {
                _writer.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private sealed class Logger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            owner.Write(line);
        }
    }
}
