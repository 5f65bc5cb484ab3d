using System.Net;
using System.Net.Sockets;
using Huddle.Media.Dtls;
using Huddle.Media.Ice;
using Huddle.Media.Sdp;
using Huddle.Media.Srtp;
using Huddle.Media.Udp;

namespace Huddle.Media.Transport;

/// <summary>
/// The client end of a WebRTC transport, for bots and tests: its own UDP socket, a controlling ICE agent
/// towards one server candidate, DTLS (the client role unless the constructor says otherwise: a server
/// that answers an actpass offer with <c>a=setup:active</c>, as Janus does, needs us to be the DTLS
/// server), then SRTP. Received media is handed to
/// <see cref="RtpReceived"/> / <see cref="RtcpReceived"/> on the receive thread: its own, or a
/// <see cref="BatchReceiver"/> shared by many clients (load bots), which also gives each datagram the
/// kernel's arrival time (<see cref="ReceivedAt"/>).
/// </summary>
public sealed class WebRtcClient : IDtlsHandler, IDatagramHandler, IDisposable
{
    private readonly BatchReceiver? _receiver;
    private readonly Socket _socket;
    private readonly DtlsTransport _dtls;
    private readonly object _sendLock = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPEndPoint? _server;
    private SrtpContext? _srtpOut;
    private SrtpContext? _srtpIn;
    private readonly System.Collections.Concurrent.ConcurrentQueue<uint> _endedStreams = new();
    private Thread? _receiveThread;
    private IceClient? _ice;
    private Timer? _consentTimer;
    private volatile bool _disposed;

    public WebRtcClient(DtlsContext dtls, IPAddress? bind = null, BatchReceiver? receiver = null, DtlsRole role = DtlsRole.Client)
    {
        _receiver = receiver;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind ?? IPAddress.Loopback, 0));
        _dtls = new DtlsTransport(dtls, role, this);
        LocalIce = IceCredentials.Generate();
        LocalFingerprint = dtls.Certificate.Fingerprint;
    }

    public IceCredentials LocalIce { get; }

    public SdpFingerprint LocalFingerprint { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public SrtpProfile? SrtpProfile { get; private set; }

    public DtlsState DtlsState => _dtls.State;

    public DtlsRole DtlsRole => _dtls.Role;

    /// <summary>How often consent checks go out once connected (RFC 7675 §5.1: about every 5 s).</summary>
    public TimeSpan ConsentInterval { get; set; } = IceClient.ConsentInterval;

    public event SpanAction? RtpReceived;

    /// <summary>
    /// Loss to simulate (load tests, NACK tests): an incoming RTP packet of (SSRC, sequence number) for
    /// which this returns true is dropped before SRTP sees it, as if the network had lost it.
    /// </summary>
    public Func<uint, ushort, bool>? DropIncomingRtp { get; set; }

    public event SpanAction? RtcpReceived;

    /// <summary>
    /// While <see cref="RtpReceived"/> or <see cref="RtcpReceived"/> runs: when the datagram arrived, in
    /// 100-ns ticks since the Unix epoch (the kernel's time with a <see cref="BatchReceiver"/>, else when
    /// the receive call returned).
    /// </summary>
    public long ReceivedAt { get; private set; }

    public delegate void SpanAction(Span<byte> packet);

    /// <summary>
    /// Runs ICE against <paramref name="server"/>, then the DTLS handshake (as client: sends the ClientHello; as
    /// server: answers the peer's); completes when SRTP is keyed.
    /// </summary>
    public async Task ConnectAsync(IPEndPoint server, string remoteUfrag, string remotePassword, SdpFingerprint remoteFingerprint, CancellationToken cancellationToken = default)
    {
        _server = server;
        var ice = new IceClient(LocalIce, remoteUfrag, remotePassword);
        // As DTLS server, the peer's ClientHello may come right behind its answer to our check: keep it for the handshake.
        await ice.ConnectAsync(_socket, server, datagram =>
        {
            if (Demux.Classify(datagram.Span) == PacketKind.Dtls) _dtls.Receive(datagram.Span);
        }, cancellationToken);
        _ice = ice;
        _consentTimer = new Timer(_ => SendConsentCheck(), null, ConsentInterval, ConsentInterval);
        if (_receiver is not null)
        {
            _receiver.Add(_socket, this);
        }
        else
        {
            _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "huddle-webrtc-client" };
            _receiveThread.Start();
        }
        _dtls.Start(remoteFingerprint);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        using CancellationTokenRegistration registration = cancellationToken.Register(() => _connected.TrySetCanceled(cancellationToken));
        while (!_connected.Task.IsCompleted && await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (_dtls.NextTimeout is { } due && due <= TimeSpan.Zero) _dtls.HandleTimeout();
        }
        await _connected.Task;
    }

    /// <summary>Protects <c>buffer[..length]</c> in place (room for the tag needed) and sends it.</summary>
    public bool SendRtp(Span<byte> buffer, int length) => Send(buffer, length, rtcp: false);

    public bool SendRtcp(Span<byte> buffer, int length) => Send(buffer, length, rtcp: true);

    private bool Send(Span<byte> buffer, int length, bool rtcp)
    {
        if (_server is null) return false;
        int n;
        lock (_sendLock)
        {
            if (_srtpOut is null) return false;
            bool ok = rtcp ? _srtpOut.TryProtectRtcp(buffer, length, out n) : _srtpOut.TryProtectRtp(buffer, length, out n);
            if (!ok) return false;
        }
        try
        {
            _socket.SendTo(buffer[..n], SocketFlags.None, _server);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Sends raw bytes to the server, unprotected (tests use it to inject junk).</summary>
    public void SendRaw(ReadOnlySpan<byte> datagram)
    {
        if (_server is not null) _socket.SendTo(datagram, SocketFlags.None, _server);
    }

    void IDtlsHandler.SendDtls(ReadOnlySpan<byte> datagram) => SendRaw(datagram);

    private void SendConsentCheck()
    {
        if (_disposed || _ice is null) return;
        Span<byte> check = stackalloc byte[Stun.StunConstants.MaxMessageLength];
        int length;
        lock (_ice) length = _ice.WriteCheck(check);
        try
        {
            SendRaw(check[..length]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closing; the next tick will not come.
        }
    }

    void IDtlsHandler.OnDtlsStateChanged(DtlsState state, string? reason)
    {
        if (state == Dtls.DtlsState.Connected)
        {
            var profile = (SrtpProfile)_dtls.SrtpProfileId;
            byte[] material = _dtls.ExportSrtpKeyingMaterial(DtlsSrtpKeys.ExportLength(profile));
            (SrtpContext local, SrtpContext remote) = DtlsSrtpKeys.CreateContexts(profile, material, weAreDtlsClient: _dtls.Role == Dtls.DtlsRole.Client);
            lock (_sendLock) _srtpOut = local;
            _srtpIn = remote;
            SrtpProfile = profile;
            _connected.TrySetResult();
        }
        else if (state is Dtls.DtlsState.Failed or Dtls.DtlsState.Closed)
        {
            _connected.TrySetException(new InvalidOperationException($"DTLS {state}: {reason}"));
        }
    }

    private void ReceiveLoop()
    {
        byte[] buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_disposed)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            HandleDatagram(buffer.AsSpan(0, length), BatchReceiver.UnixTicks());
        }
    }

    void IDatagramHandler.OnDatagram(Span<byte> datagram, long receivedAt)
    {
        if (!_disposed) HandleDatagram(datagram, receivedAt);
    }

    /// <summary>
    /// The peer has stopped sending <paramref name="ssrc"/> for good (its m-section went inactive or
    /// changed hands): its SRTP state is dropped on the receive path before the next datagram is handled,
    /// and <see cref="ReceiveStreamEnded"/> is raised there.
    /// </summary>
    public void EndReceiveStream(uint ssrc) => _endedStreams.Enqueue(ssrc);

    /// <summary>On the receive path: a stream passed to <see cref="EndReceiveStream"/> is forgotten.</summary>
    public event Action<uint>? ReceiveStreamEnded;

    private void HandleDatagram(Span<byte> datagram, long receivedAt)
    {
        while (_endedStreams.TryDequeue(out uint ended))
        {
            _srtpIn?.RemoveRtpStream(ended);
            _srtpIn?.RemoveRtcpStream(ended);
            ReceiveStreamEnded?.Invoke(ended);
        }
        int length = datagram.Length;
        ReceivedAt = receivedAt;
        switch (Demux.Classify(datagram))
        {
            case PacketKind.Stun when _ice is { } ice:
                int answer;
                Span<byte> response = stackalloc byte[Stun.StunConstants.MaxMessageLength];
                lock (ice) answer = ice.HandleResponse(datagram) || _server is null ? 0 : ice.AnswerCheck(datagram, _server, response);
                if (answer > 0) SendRaw(response[..answer]);
                break;
            case PacketKind.Dtls:
                _dtls.Receive(datagram);
                break;
            case PacketKind.Rtp when DropIncomingRtp is { } drop
                && drop(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(datagram[2..])):
                break;
            case PacketKind.Rtp when _srtpIn is { } srtp && srtp.TryUnprotectRtp(datagram, length, out int plain):
                RtpReceived?.Invoke(datagram[..plain]);
                break;
            case PacketKind.Rtcp when _srtpIn is { } srtp && srtp.TryUnprotectRtcp(datagram, length, out int plain):
                RtcpReceived?.Invoke(datagram[..plain]);
                break;
        }
    }

    /// <summary>Stops without telling the server (no close_notify), like a crashed or unplugged peer.</summary>
    public void Abandon()
    {
        _disposed = true;
        _consentTimer?.Dispose();
        _receiver?.Remove(_socket);
        _socket.Dispose();
        _receiveThread?.Join(TimeSpan.FromSeconds(2));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _consentTimer?.Dispose();
        _dtls.Close();
        _receiver?.Remove(_socket);
        _socket.Dispose();
        _receiveThread?.Join(TimeSpan.FromSeconds(2));
        _dtls.Dispose();
        _srtpIn?.Dispose();
        lock (_sendLock) _srtpOut?.Dispose();
    }
}
