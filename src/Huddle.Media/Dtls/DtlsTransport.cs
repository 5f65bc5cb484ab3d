using System.Buffers.Binary;
using Huddle.Media.Interop;
using Huddle.Media.Sdp;

namespace Huddle.Media.Dtls;

public enum DtlsRole
{
    /// <summary>Sends ClientHello (SDP <c>a=setup:active</c>).</summary>
    Client,
    /// <summary>Waits for ClientHello (SDP <c>a=setup:passive</c>).</summary>
    Server,
}

public enum DtlsState
{
    New,
    Connecting,
    Connected,
    Failed,
    Closed,
}

/// <summary>What a <see cref="DtlsTransport"/> needs from its owner. Called with the transport's lock held.</summary>
public interface IDtlsHandler
{
    /// <summary>Send one datagram to the peer.</summary>
    void SendDtls(ReadOnlySpan<byte> datagram);

    /// <summary>The state changed; on <see cref="DtlsState.Connected"/> SRTP keys can be exported.</summary>
    void OnDtlsStateChanged(DtlsState state, string? reason);
}

/// <summary>
/// One DTLS 1.2 association over OpenSSL with memory BIOs, as mediasoup's DtlsTransport drives it: datagrams
/// go in through <see cref="Receive"/>, OpenSSL's output is cut at record boundaries into datagrams no larger
/// than <see cref="Mtu"/>, and the owner calls <see cref="HandleTimeout"/> when <see cref="NextTimeout"/>
/// is due so lost flights are sent again. After the handshake the peer certificate must match the
/// fingerprint from its SDP (RFC 8122 §5), else the association fails.
/// </summary>
/// <remarks>Thread-safe: every entry point takes the transport's lock (control path only; SRTP does not come here).</remarks>
public sealed unsafe class DtlsTransport : IDisposable
{
    /// <summary>RFC 5764 §4.2 exporter label.</summary>
    private static readonly byte[] ExporterLabel = "EXTRACTOR-dtls_srtp"u8.ToArray();
    private const int RecordHeaderLength = 13;
    private const int MaxHandshakeTimeouts = 12;

    private readonly object _lock = new();
    private readonly DtlsContext _context;
    private readonly IDtlsHandler _handler;
    private readonly SslHandle _ssl;
    private readonly nint _readBio;
    private readonly nint _writeBio;
    // Handshake records are read out of OpenSSL into a pooled buffer only while they are sent: a
    // transport holds no 16 KiB of its own for a handshake that happens once (two per participant).
    private const int OutputChunk = 16 * 1024;
    private SdpFingerprint? _remoteFingerprint;
    private int _timeouts;

    public DtlsTransport(DtlsContext context, DtlsRole role, IDtlsHandler handler, int mtu = 1200)
    {
        _context = context;
        _handler = handler;
        Role = role;
        Mtu = mtu;
        OpenSsl.ERR_clear_error();
        _ssl = OpenSsl.SSL_new(context.Handle);
        if (_ssl.IsInvalid) throw OpenSsl.ErrorQueueException("SSL_new");
        _readBio = OpenSsl.BIO_new(OpenSsl.BIO_s_mem());
        _writeBio = OpenSsl.BIO_new(OpenSsl.BIO_s_mem());
        if (_readBio == 0 || _writeBio == 0)
        {
            if (_readBio != 0) OpenSsl.BIO_free(_readBio);
            if (_writeBio != 0) OpenSsl.BIO_free(_writeBio);
            _ssl.Dispose();
            throw OpenSsl.ErrorQueueException("BIO_new");
        }
        // An empty memory BIO means "nothing yet", not end of file.
        OpenSsl.BIO_ctrl(_readBio, OpenSsl.BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0);
        OpenSsl.BIO_ctrl(_writeBio, OpenSsl.BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0);
        OpenSsl.SSL_set_bio(_ssl, _readBio, _writeBio);
        // A memory BIO cannot report the path MTU, so give it ours.
        OpenSsl.SSL_set_options(_ssl, OpenSsl.SSL_OP_NO_QUERY_MTU);
        OpenSsl.SSL_ctrl(_ssl, OpenSsl.SSL_CTRL_SET_MTU, mtu, 0);
        OpenSsl.SSL_ctrl(_ssl, OpenSsl.DTLS_CTRL_SET_LINK_MTU, mtu, 0);
        if (role == DtlsRole.Client) OpenSsl.SSL_set_connect_state(_ssl);
        else OpenSsl.SSL_set_accept_state(_ssl);
    }

    public DtlsRole Role { get; }

    public int Mtu { get; }

    public DtlsState State { get; private set; }

    /// <summary>Why the association failed or closed, for logs.</summary>
    public string? Reason { get; private set; }

    /// <summary>The negotiated SRTP profile id (RFC 5764 §4.1.2), once connected.</summary>
    public ushort SrtpProfileId { get; private set; }

    /// <summary>
    /// Begins the handshake with the peer's certificate fingerprint from its SDP. A client sends its
    /// ClientHello now; a server waits for one.
    /// </summary>
    public void Start(SdpFingerprint remoteFingerprint)
    {
        lock (_lock)
        {
            if (State != DtlsState.New) return;
            _remoteFingerprint = remoteFingerprint;
            SetState(DtlsState.Connecting, null);
            // A client sends its ClientHello; a server answers one that arrived before the SDP, or waits.
            Handshake();
        }
    }

    /// <summary>Feeds one datagram from the peer (first byte 20..63).</summary>
    public void Receive(ReadOnlySpan<byte> datagram)
    {
        lock (_lock)
        {
            if (State is DtlsState.Failed or DtlsState.Closed || _ssl.IsClosed || datagram.IsEmpty) return;
            if (State == DtlsState.New)
            {
                // A ClientHello can beat the SDP that tells us the fingerprint; it is answered once Start is called.
                if (Role == DtlsRole.Client) return;
            }
            OpenSsl.ERR_clear_error();
            fixed (byte* p = datagram) OpenSsl.BIO_write(_readBio, p, datagram.Length);
            if (State == DtlsState.New) return;
            if (State == DtlsState.Connecting) Handshake();
            else ReadApplicationData();
        }
    }

    /// <summary>When OpenSSL wants <see cref="HandleTimeout"/> called, or null when no timer runs.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            lock (_lock)
            {
                if (State != DtlsState.Connecting || _ssl.IsClosed) return null;
                OpenSsl.TimeVal tv;
                if (OpenSsl.SSL_ctrl(_ssl, OpenSsl.DTLS_CTRL_GET_TIMEOUT, 0, (nint)(&tv)) != 1) return null;
                return TimeSpan.FromSeconds(tv.Seconds) + TimeSpan.FromMicroseconds(tv.Microseconds);
            }
        }
    }

    /// <summary>Retransmits the last flight if its timer expired (RFC 6347 §4.2.4).</summary>
    public void HandleTimeout()
    {
        lock (_lock)
        {
            if (State != DtlsState.Connecting || _ssl.IsClosed) return;
            OpenSsl.ERR_clear_error();
            if (OpenSsl.SSL_ctrl(_ssl, OpenSsl.DTLS_CTRL_HANDLE_TIMEOUT, 0, 0) < 0 || ++_timeouts > MaxHandshakeTimeouts)
            {
                Fail("handshake timed out");
                return;
            }
            Flush();
        }
    }

    /// <summary>
    /// RFC 5764 §4.2: the keying material for SRTP, client key | server key | client salt | server salt.
    /// </summary>
    public byte[] ExportSrtpKeyingMaterial(int length)
    {
        lock (_lock)
        {
            if (State != DtlsState.Connected) throw new InvalidOperationException("DTLS is not connected");
            var material = new byte[length];
            OpenSsl.ERR_clear_error();
            fixed (byte* output = material)
            fixed (byte* label = ExporterLabel)
            {
                if (OpenSsl.SSL_export_keying_material(_ssl, output, (nuint)length, label, (nuint)ExporterLabel.Length, null, 0, 0) != 1)
                    throw OpenSsl.ErrorQueueException("SSL_export_keying_material");
            }
            return material;
        }
    }

    /// <summary>Sends close_notify (RFC 5246 §7.2.1) when connected and ends the association.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (State is DtlsState.Closed or DtlsState.Failed || _ssl.IsClosed) return;
            if (State == DtlsState.Connected)
            {
                OpenSsl.ERR_clear_error();
                OpenSsl.SSL_shutdown(_ssl);
                OpenSsl.ERR_clear_error();
                Flush();
            }
            SetState(DtlsState.Closed, "closed locally");
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (State is not (DtlsState.Closed or DtlsState.Failed)) State = DtlsState.Closed;
            _ssl.Dispose();
        }
    }

    private void Handshake()
    {
        int ret = OpenSsl.SSL_do_handshake(_ssl);
        if (ret == 1)
        {
            Flush();
            Connected();
            return;
        }
        int error = OpenSsl.SSL_get_error(_ssl, ret);
        if (error is OpenSsl.SSL_ERROR_WANT_READ or OpenSsl.SSL_ERROR_WANT_WRITE)
        {
            Flush();
            return;
        }
        // Send any alert OpenSSL produced before giving up.
        Exception exception = OpenSsl.ErrorQueueException("DTLS handshake");
        Flush();
        Fail(exception.Message);
    }

    private void Connected()
    {
        using X509Handle peer = OpenSsl.SSL_get1_peer_certificate(_ssl);
        if (peer.IsInvalid)
        {
            Fail("peer sent no certificate");
            return;
        }
        byte[] der;
        int length = OpenSsl.i2d_X509(peer, null);
        if (length <= 0 || length > 64 * 1024)
        {
            Fail("peer certificate could not be encoded");
            return;
        }
        der = new byte[length];
        fixed (byte* start = der)
        {
            byte* p = start;
            OpenSsl.i2d_X509(peer, &p);
        }
        if (_remoteFingerprint is null || !_remoteFingerprint.Matches(der))
        {
            Fail("peer certificate does not match the fingerprint in its SDP");
            return;
        }
        OpenSsl.SrtpProtectionProfile* profile = OpenSsl.SSL_get_selected_srtp_profile(_ssl);
        if (profile == null)
        {
            Fail("no SRTP profile negotiated (use_srtp)");
            return;
        }
        SrtpProfileId = (ushort)profile->Id;
        SetState(DtlsState.Connected, null);
    }

    private void ReadApplicationData()
    {
        // WebRTC media carries nothing over DTLS after the handshake; read to see close_notify and
        // to let OpenSSL answer a retransmitted final flight.
        Span<byte> sink = stackalloc byte[2048];
        while (true)
        {
            int read;
            fixed (byte* p = sink) read = OpenSsl.SSL_read(_ssl, p, sink.Length);
            if (read > 0) continue;
            int error = OpenSsl.SSL_get_error(_ssl, read);
            Flush();
            if (error == OpenSsl.SSL_ERROR_ZERO_RETURN)
            {
                OpenSsl.ERR_clear_error();
                SetState(DtlsState.Closed, "peer sent close_notify");
            }
            else if (error is not (OpenSsl.SSL_ERROR_WANT_READ or OpenSsl.SSL_ERROR_WANT_WRITE))
            {
                // A bad record after the handshake is dropped; DTLS does not tear down for it (RFC 6347 §4.1.2.7).
                OpenSsl.ERR_clear_error();
            }
            return;
        }
    }

    /// <summary>Sends what OpenSSL wrote, cut into datagrams at record boundaries.</summary>
    private void Flush()
    {
        if (OpenSsl.BIO_ctrl_pending(_writeBio) <= 0) return;
        byte[] output = System.Buffers.ArrayPool<byte>.Shared.Rent(OutputChunk);
        try
        {
            while (OpenSsl.BIO_ctrl_pending(_writeBio) > 0)
            {
                int read;
                fixed (byte* p = output) read = OpenSsl.BIO_read(_writeBio, p, OutputChunk);
                if (read <= 0) return;
                ReadOnlySpan<byte> pending = output.AsSpan(0, read);
                int start = 0, offset = 0;
                while (offset + RecordHeaderLength <= pending.Length)
                {
                    int recordLength = RecordHeaderLength + BinaryPrimitives.ReadUInt16BigEndian(pending[(offset + 11)..]);
                    if (offset + recordLength > pending.Length) break;
                    if (offset > start && offset + recordLength - start > Mtu)
                    {
                        _handler.SendDtls(pending[start..offset]);
                        start = offset;
                    }
                    offset += recordLength;
                }
                if (pending.Length > start) _handler.SendDtls(pending[start..]);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(output);
        }
    }

    private void Fail(string reason)
    {
        OpenSsl.ERR_clear_error();
        SetState(DtlsState.Failed, reason);
    }

    private void SetState(DtlsState state, string? reason)
    {
        if (State == state) return;
        State = state;
        Reason = reason;
        _handler.OnDtlsStateChanged(state, reason);
    }
}
