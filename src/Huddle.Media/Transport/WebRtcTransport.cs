using System.Net;
using System.Net.Sockets;
using Huddle.Media.Dtls;
using Huddle.Media.Ice;
using Huddle.Media.Sdp;
using Huddle.Media.Srtp;
using Huddle.Media.Stun;
using Huddle.Media.Udp;

namespace Huddle.Media.Transport;

public enum WebRtcTransportState
{
    /// <summary>Created; waiting for the peer's ICE checks.</summary>
    New,
    /// <summary>ICE checks arrive; DTLS is handshaking.</summary>
    Connecting,
    /// <summary>DTLS is up and SRTP keyed: media flows.</summary>
    Connected,
    /// <summary>DTLS failed, or the peer's consent ran out.</summary>
    Failed,
    Closed,
}

/// <summary>What a <see cref="WebRtcTransport"/> tells its owner. RTP and RTCP calls come on the socket's receive thread.</summary>
public interface IWebRtcTransportListener
{
    void OnStateChanged(WebRtcTransport transport, WebRtcTransportState state, string? reason);

    /// <summary>A decrypted RTP packet. The span is only valid during the call; it may be modified in place.</summary>
    void OnRtp(WebRtcTransport transport, Span<byte> packet);

    /// <summary>A decrypted RTCP compound packet, valid only during the call.</summary>
    void OnRtcp(WebRtcTransport transport, Span<byte> packet);
}

/// <summary>
/// One peer's secure media path on a shared <see cref="UdpMediaSocket"/>: ICE-lite checks, a DTLS association
/// that keys SRTP (RFC 5764), and SRTP/SRTCP protection of everything after. BUNDLE and rtcp-mux are assumed
/// (one 5-tuple for all media), as every browser does.
/// </summary>
public sealed class WebRtcTransport : IUdpEndpoint, IDtlsHandler, IDisposable
{
    /// <summary>ICE and DTLS must finish within this after <see cref="Start"/>.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Room a caller leaves after a packet for the SRTP/SRTCP trailer (GCM tag + SRTCP index).</summary>
    public const int SrtpOverhead = 16 + 4;

    private readonly UdpMediaSocket _socket;
    private readonly IWebRtcTransportListener _listener;
    private readonly IceLiteAgent _ice;
    private readonly DtlsTransport _dtls;
    // RTCP is sent from any thread (keyframe requests from the control path, reports from timers); RTP only
    // from the socket's receive thread, which owns the RTP half of the outbound context without a lock.
    private readonly object _rtcpLock = new();
    private readonly byte[] _responseBuffer = new byte[StunConstants.MaxMessageLength];
    private volatile SrtpContext? _srtpIn;
    private volatile SrtpContext? _srtpOut;
    private long _startedTicks;
    private int _state;

    public WebRtcTransport(UdpMediaSocket socket, DtlsContext dtls, DtlsRole role, IWebRtcTransportListener listener)
    {
        _socket = socket;
        _listener = listener;
        _ice = new IceLiteAgent(IceCredentials.Generate());
        _dtls = new DtlsTransport(dtls, role, this);
        LocalFingerprint = dtls.Certificate.Fingerprint;
        _socket.Register(this);
    }

    public IceCredentials LocalIce => _ice.Local;

    public string LocalUfrag => _ice.Local.Ufrag;

    public SdpFingerprint LocalFingerprint { get; }

    public DtlsRole DtlsRole => _dtls.Role;

    /// <summary>The host candidate to put in SDP (the socket's; the owner may announce another address).</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    public WebRtcTransportState State => (WebRtcTransportState)Volatile.Read(ref _state);

    /// <summary>The negotiated SRTP profile, once connected.</summary>
    public SrtpProfile? SrtpProfile { get; private set; }

    /// <summary>Where media goes: the nominated ICE pair.</summary>
    public IPEndPoint? RemoteEndPoint => _ice.SelectedAddress is { } address ? IceLiteAgent.ToEndPoint(address) : null;

    public TransportCounters Counters { get; } = new();

    /// <summary>RFC 7675: the peer is gone this long after its last consent check (30 s).</summary>
    public TimeSpan ConsentTimeout
    {
        get => _ice.ConsentTimeout;
        set => _ice.ConsentTimeout = value;
    }

    /// <summary>Applies the peer's ICE ufrag and DTLS fingerprint from its SDP and starts the handshake.</summary>
    public void Start(string remoteUfrag, SdpFingerprint remoteFingerprint)
    {
        _ice.SetRemoteUfrag(remoteUfrag);
        _startedTicks = Environment.TickCount64;
        _socket.StartTicks(this);
        _dtls.Start(remoteFingerprint);
    }

    /// <summary>
    /// Protects the RTP packet in <c>buffer[..length]</c> in place and sends it. The buffer needs
    /// <see cref="SrtpOverhead"/> spare bytes. False when not connected or the packet is malformed.
    /// Only on the socket's receive thread (forwarding, retransmissions): RTP takes no lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from another thread.</exception>
    public bool SendRtp(Span<byte> buffer, int length)
    {
        if (!_socket.OnReceiveThread) throw new InvalidOperationException("RTP is sent from the media socket's receive thread only");
        SocketAddress? to = _ice.SelectedAddress;
        // Dispose retires the context through the socket: it stays valid until this datagram is handled.
        SrtpContext? srtp = _srtpOut;
        if (to is null || srtp is null || State != WebRtcTransportState.Connected)
        {
            Interlocked.Increment(ref _socket.Counters.DroppedNotSendable);
            return false;
        }
        if (!srtp.TryProtectRtp(buffer, length, out int protectedLength))
        {
            Counters.SendDropped++;
            Interlocked.Increment(ref _socket.Counters.DroppedNotSendable);
            return false;
        }
        Counters.RtpSent++;
        bool sent = _socket.Send(buffer[..protectedLength], to);
        if (sent) _socket.RecordForwarded();
        return sent;
    }

    /// <summary>Like <see cref="SendRtp"/> for an RTCP compound packet, from any thread.</summary>
    public bool SendRtcp(Span<byte> buffer, int length)
    {
        SocketAddress? to = _ice.SelectedAddress;
        if (to is null || State != WebRtcTransportState.Connected) return false;
        int protectedLength;
        lock (_rtcpLock)
        {
            if (_srtpOut is null || !_srtpOut.TryProtectRtcp(buffer, length, out protectedLength))
            {
                Counters.SendDropped++;
                return false;
            }
        }
        Counters.RtcpSent++;
        return _socket.Send(buffer[..protectedLength], to);
    }

    /// <summary>
    /// The stream we sent as <paramref name="ssrc"/> has ended for good (its consumer is gone and nothing
    /// will be sent with it again): its SRTP state is dropped, so people coming and going through a long
    /// meeting leave nothing behind in the contexts of those who stay (as mediasoup's RemoveStream).
    /// </summary>
    public void EndSendStream(uint ssrc)
    {
        lock (_rtcpLock) _srtpOut?.RemoveRtcpStream(ssrc);
        // The RTP half belongs to the receive thread.
        _socket.Post(() => _srtpOut?.RemoveRtpStream(ssrc));
    }

    /// <summary>SSRCs with outbound SRTP state, RTP and RTCP (tests and diagnostics; approximate while media flows).</summary>
    public (int Rtp, int Rtcp) SendStreamCount => _srtpOut?.StreamCount ?? (0, 0);

    void IUdpEndpoint.OnStun(in StunMessage message, SocketAddress from)
    {
        IceCheckOutcome outcome = _ice.HandleRequest(message, from, _responseBuffer, out int length);
        if (outcome == IceCheckOutcome.Dropped)
        {
            Counters.StunDropped++;
            return;
        }
        _socket.Route(from, this);
        _socket.Send(_responseBuffer.AsSpan(0, length), from);
        if (State == WebRtcTransportState.New) SetState(WebRtcTransportState.Connecting, null);
    }

    void IUdpEndpoint.OnDatagram(PacketKind kind, Span<byte> datagram, SocketAddress from)
    {
        switch (kind)
        {
            case PacketKind.Dtls:
                _dtls.Receive(datagram);
                break;
            case PacketKind.Rtp:
            {
                SrtpContext? srtp = _srtpIn;
                if (srtp is null || !srtp.TryUnprotectRtp(datagram, datagram.Length, out int plain))
                {
                    Counters.RtpDropped++;
                    Interlocked.Increment(ref _socket.Counters.DroppedSrtp);
                    return;
                }
                Counters.RtpReceived++;
                _listener.OnRtp(this, datagram[..plain]);
                break;
            }
            case PacketKind.Rtcp:
            {
                SrtpContext? srtp = _srtpIn;
                if (srtp is null || !srtp.TryUnprotectRtcp(datagram, datagram.Length, out int plain))
                {
                    Counters.RtcpDropped++;
                    Interlocked.Increment(ref _socket.Counters.DroppedSrtp);
                    return;
                }
                Counters.RtcpReceived++;
                _listener.OnRtcp(this, datagram[..plain]);
                break;
            }
        }
    }

    void IUdpEndpoint.OnTick(long nowTicks)
    {
        WebRtcTransportState state = State;
        if (state is WebRtcTransportState.Failed or WebRtcTransportState.Closed) return;
        if (_dtls.NextTimeout is { } due && due <= TimeSpan.Zero) _dtls.HandleTimeout();
        if (_ice.ConsentExpired(nowTicks))
        {
            Fail($"ICE consent expired (no checks from the peer for {ConsentTimeout.TotalSeconds:0.#} s)");
            return;
        }
        if (state != WebRtcTransportState.Connected && _startedTicks != 0 && nowTicks - _startedTicks > (long)ConnectTimeout.TotalMilliseconds)
            Fail("ICE/DTLS did not connect in time");
    }

    void IDtlsHandler.SendDtls(ReadOnlySpan<byte> datagram)
    {
        if (_ice.SelectedAddress is { } to) _socket.Send(datagram, to);
    }

    void IDtlsHandler.OnDtlsStateChanged(DtlsState state, string? reason)
    {
        switch (state)
        {
            case DtlsState.Connected:
                try
                {
                    var profile = (SrtpProfile)_dtls.SrtpProfileId;
                    byte[] material = _dtls.ExportSrtpKeyingMaterial(DtlsSrtpKeys.ExportLength(profile));
                    (SrtpContext local, SrtpContext remote) = DtlsSrtpKeys.CreateContexts(profile, material, _dtls.Role == Dtls.DtlsRole.Client);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(material);
                    _srtpIn = remote;
                    lock (_rtcpLock) _srtpOut = local;
                    SrtpProfile = profile;
                    SetState(WebRtcTransportState.Connected, null);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or Huddle.Media.Interop.OpenSslException)
                {
                    Fail($"SRTP keying failed: {e.Message}");
                }
                break;
            case DtlsState.Failed:
                Fail($"DTLS failed: {reason}");
                break;
            case DtlsState.Closed:
                if (State != WebRtcTransportState.Closed) SetState(WebRtcTransportState.Closed, reason);
                break;
        }
    }

    /// <summary>Sends close_notify, stops routing and releases the keys.</summary>
    public void Close()
    {
        if (State == WebRtcTransportState.Closed) return;
        _dtls.Close();
        _socket.Unregister(this);
        SetState(WebRtcTransportState.Closed, "closed");
    }

    public void Dispose()
    {
        Close();
        _dtls.Dispose();
        SrtpContext? outbound, inbound = _srtpIn;
        _srtpIn = null;
        lock (_rtcpLock)
        {
            outbound = _srtpOut;
            _srtpOut = null;
        }
        // The receive thread may be protecting or unprotecting with them right now.
        if (outbound is not null || inbound is not null)
        {
            _socket.Retire(() =>
            {
                outbound?.Dispose();
                inbound?.Dispose();
            });
        }
    }

    private void Fail(string reason)
    {
        _socket.Unregister(this);
        SetState(WebRtcTransportState.Failed, reason);
    }

    private void SetState(WebRtcTransportState state, string? reason)
    {
        int previous = Interlocked.Exchange(ref _state, (int)state);
        if (previous == (int)state) return;
        // Terminal states stay terminal.
        if (previous is (int)WebRtcTransportState.Failed or (int)WebRtcTransportState.Closed)
        {
            Volatile.Write(ref _state, previous);
            return;
        }
        _listener.OnStateChanged(this, state, reason);
    }
}

/// <summary>Per-transport packet counts (written by the receive thread, read by anyone).</summary>
public sealed class TransportCounters
{
    public long RtpReceived;
    public long RtpDropped;
    public long RtcpReceived;
    public long RtcpDropped;
    public long RtpSent;
    public long RtcpSent;
    public long SendDropped;
    public long StunDropped;
}
