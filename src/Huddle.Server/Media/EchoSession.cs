using Huddle.Media.Transport;

namespace Huddle.Server.Media;

/// <summary>
/// One media self-test: a WebRTC transport whose incoming media and feedback go straight back to the same
/// browser, with SSRCs mirrored (<see cref="SsrcMirror"/>).
/// </summary>
internal sealed class EchoSession : IWebRtcTransportListener, IDisposable
{
    private readonly EchoService _service;
    private readonly SsrcMirror _mirror = new();
    // The receive loop is the only caller of OnRtp/OnRtcp, so one scratch buffer serves both.
    private readonly byte[] _buffer = new byte[2048];

    public EchoSession(EchoService service, string id, MediaHost host)
    {
        _service = service;
        Id = id;
        Transport = new WebRtcTransport(host.Socket, host.Dtls, Huddle.Media.Dtls.DtlsRole.Server, this);
    }

    public string Id { get; }

    public WebRtcTransport Transport { get; }

    /// <summary>The remote ICE ufrag and fingerprint of the first offer; renegotiation must keep them.</summary>
    public string? RemoteUfrag { get; set; }

    public string? RemoteFingerprint { get; set; }

    private long _answerVersion;

    /// <summary>The o= version of the next answer: it grows with every renegotiation (RFC 8866 §5.2).</summary>
    public ulong NextAnswerVersion() => (ulong)Interlocked.Increment(ref _answerVersion) + 1;

    /// <summary>Our SSRC for a browser's SSRC, as the answer announces it.</summary>
    public uint OurSsrc(uint browserSsrc) => _mirror.Pair(browserSsrc);

    public void OnStateChanged(WebRtcTransport transport, WebRtcTransportState state, string? reason)
    {
        _service.OnStateChanged(this, state, reason);
    }

    public void OnRtp(WebRtcTransport transport, Span<byte> packet)
    {
        if (packet.Length + WebRtcTransport.SrtpOverhead > _buffer.Length) return;
        packet.CopyTo(_buffer);
        Span<byte> copy = _buffer.AsSpan(0, packet.Length);
        _mirror.MirrorRtp(copy);
        transport.SendRtp(_buffer, packet.Length);
    }

    public void OnRtcp(WebRtcTransport transport, Span<byte> packet)
    {
        if (packet.Length + WebRtcTransport.SrtpOverhead > _buffer.Length) return;
        packet.CopyTo(_buffer);
        _mirror.MirrorRtcp(_buffer.AsSpan(0, packet.Length));
        transport.SendRtcp(_buffer, packet.Length);
    }

    public void Dispose() => Transport.Dispose();
}
