using System.Collections.Concurrent;
using System.Security.Cryptography;
using Huddle.Media.Transport;
using Huddle.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Media;

/// <summary>Why an echo request was refused, as the HTTP API reports it.</summary>
internal sealed class EchoException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>The running media self-tests (/echo), bounded by <see cref="MediaOptions.MaxEchoSessions"/>.</summary>
internal sealed class EchoService : IDisposable
{
    private readonly ConcurrentDictionary<string, EchoSession> _sessions = new(StringComparer.Ordinal);
    private readonly MediaHost _host;
    private readonly MediaOptions _options;
    private readonly ILogger<EchoService> _logger;

    public EchoService(MediaHost host, IOptions<HuddleOptions> options, ILogger<EchoService> logger)
    {
        _host = host;
        _options = options.Value.Media;
        _logger = logger;
    }

    public int Count => _sessions.Count;

    /// <summary>Starts a test from a browser's offer; returns the session and our answer.</summary>
    public (EchoSession Session, string Answer) Create(string offer)
    {
        if (_sessions.Count >= _options.MaxEchoSessions)
            throw new EchoException(503, "busy", "The server is running as many media self-tests as it allows. Try again in a minute.");
        EchoOffer parsed = EchoOffer.Parse(offer);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var session = new EchoSession(this, id, _host);
        try
        {
            string answer = EchoAnswer.Build(parsed, session, _host.Candidates);
            if (!_sessions.TryAdd(id, session)) throw new InvalidOperationException("session id collision");
            session.RemoteUfrag = parsed.IceUfrag;
            session.RemoteFingerprint = parsed.Fingerprint.ToString();
            session.Transport.Start(parsed.IceUfrag, parsed.Fingerprint);
            _logger.LogInformation("Echo {Id} started ({Sections} media sections)", id, parsed.SectionCount);
            return (session, answer);
        }
        catch
        {
            _sessions.TryRemove(id, out _);
            session.Dispose();
            throw;
        }
    }

    /// <summary>A new offer on a running test (a track added): same transport, new answer.</summary>
    public string Renegotiate(string id, string offer)
    {
        if (!_sessions.TryGetValue(id, out EchoSession? session)) throw new EchoException(404, "unknown-session", "This self-test has ended. Run it again.");
        EchoOffer parsed = EchoOffer.Parse(offer);
        if (parsed.IceUfrag != session.RemoteUfrag || parsed.Fingerprint.ToString() != session.RemoteFingerprint)
            throw new EchoException(409, "ice-restart-unsupported", "The self-test does not support ICE restarts or a new certificate. Run it again.");
        return EchoAnswer.Build(parsed, session, _host.Candidates);
    }

    public bool Delete(string id)
    {
        if (!_sessions.TryRemove(id, out EchoSession? session)) return false;
        session.Dispose();
        return true;
    }

    internal void OnStateChanged(EchoSession session, WebRtcTransportState state, string? reason)
    {
        if (state is WebRtcTransportState.Failed or WebRtcTransportState.Closed)
        {
            _logger.LogInformation("Echo {Id} ended: {State} {Reason}", session.Id, state, reason);
            if (_sessions.TryRemove(session.Id, out _)) ThreadPool.QueueUserWorkItem(_ => session.Dispose());
        }
        else
        {
            _logger.LogDebug("Echo {Id} {State}", session.Id, state);
        }
    }

    public void Dispose()
    {
        foreach (string id in _sessions.Keys) Delete(id);
    }
}
