using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Huddle.Media.Srtp;

/// <summary>
/// SRTP and SRTCP for one direction of a session (RFC 3711, RFC 7714): one master key and salt, any number
/// of SSRCs, each with its rollover counter and replay window. Packets are protected and unprotected in
/// place; nothing is allocated per packet once an SSRC has been seen.
/// </summary>
/// <remarks>
/// Not thread-safe, but its RTP and RTCP halves share no state: one thread at a time may protect or
/// unprotect RTP while another does RTCP (a transport forwards RTP on its receive thread and sends
/// keyframe requests from the control path).
/// </remarks>
public sealed class SrtpContext : IDisposable
{
    /// <summary>Distinct SSRCs one context tracks; more are refused (an authenticated peer cannot grow memory without bound).</summary>
    public const int MaxStreams = 512;

    private const int RtpHeaderLength = 12;
    private const int RtcpHeaderLength = 8;
    private const int HmacTagLength = 10;
    private const int GcmTagLength = 16;
    private const uint SrtcpEncryptedFlag = 0x80000000;

    private readonly bool _gcm;
    private readonly byte[] _rtpSalt;
    private readonly byte[] _rtcpSalt;
    private readonly byte[] _rtpAuthKey = new byte[20];
    private readonly byte[] _rtcpAuthKey = new byte[20];
    private readonly byte[] _rtpKey = new byte[16];
    private readonly byte[] _rtcpKey = new byte[16];
    private SrtpCipher? _rtpSeal, _rtpOpen, _rtcpSeal, _rtcpOpen;
    // Reused HMAC states: the one-shot HMACSHA1.HashData sets up a native MAC context per call, which
    // costs about as much as hashing a 1,200-byte packet.
    private IncrementalHash? _rtpHmac, _rtcpHmac;
    private readonly Dictionary<uint, RtpStream> _rtp = new();
    private readonly Dictionary<uint, RtcpStream> _rtcp = new();

    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (!SrtpProfiles.IsSupported((ushort)profile)) throw new ArgumentException($"unsupported SRTP profile {profile}", nameof(profile));
        if (masterKey.Length != SrtpProfiles.KeyLength(profile)) throw new ArgumentException("wrong master key length", nameof(masterKey));
        if (masterSalt.Length != SrtpProfiles.SaltLength(profile)) throw new ArgumentException("wrong master salt length", nameof(masterSalt));
        Profile = profile;
        _gcm = profile == SrtpProfile.AeadAes128Gcm;
        _rtpSalt = new byte[masterSalt.Length];
        _rtcpSalt = new byte[masterSalt.Length];
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, _rtpKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, _rtpSalt);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption, _rtcpKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpSalt, _rtcpSalt);
        if (!_gcm)
        {
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, _rtpAuthKey);
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpAuthentication, _rtcpAuthKey);
        }
    }

    /// <summary>
    /// A context from session keys rather than a master key (RFC 7714 §16 gives its vectors so); the same key
    /// and salt serve RTP and RTCP.
    /// </summary>
    internal static SrtpContext FromSessionKeys(SrtpProfile profile, ReadOnlySpan<byte> key, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> authKey)
    {
        var context = new SrtpContext(profile, new byte[SrtpProfiles.KeyLength(profile)], new byte[SrtpProfiles.SaltLength(profile)]);
        key.CopyTo(context._rtpKey);
        key.CopyTo(context._rtcpKey);
        salt.CopyTo(context._rtpSalt);
        salt.CopyTo(context._rtcpSalt);
        authKey.CopyTo(context._rtpAuthKey);
        authKey.CopyTo(context._rtcpAuthKey);
        return context;
    }

    /// <summary>Sets the SRTCP index the next protected packet of <paramref name="ssrc"/> carries (tests reproduce vectors).</summary>
    internal void SetNextSrtcpIndex(uint ssrc, uint index) => RtcpStreamFor(ssrc, create: true)!.NextIndex = index & 0x7FFFFFFF;

    internal static void CounterIv(Span<byte> iv, ReadOnlySpan<byte> salt, uint ssrc, ulong index) => CtrIv(iv, salt, ssrc, index);

    public SrtpProfile Profile { get; }

    private int TagLength => _gcm ? GcmTagLength : HmacTagLength;

    // Cipher contexts are made on first use: a context usually only protects or only unprotects.
    private SrtpCipher RtpSeal => _rtpSeal ??= _gcm ? SrtpCipher.Gcm(_rtpKey, decrypt: false) : SrtpCipher.Ctr(_rtpKey);
    private SrtpCipher RtpOpen => _rtpOpen ??= _gcm ? SrtpCipher.Gcm(_rtpKey, decrypt: true) : RtpSeal;
    private SrtpCipher RtcpSeal => _rtcpSeal ??= _gcm ? SrtpCipher.Gcm(_rtcpKey, decrypt: false) : SrtpCipher.Ctr(_rtcpKey);
    private SrtpCipher RtcpOpen => _rtcpOpen ??= _gcm ? SrtpCipher.Gcm(_rtcpKey, decrypt: true) : RtcpSeal;
    private IncrementalHash RtpHmac => _rtpHmac ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, _rtpAuthKey);
    private IncrementalHash RtcpHmac => _rtcpHmac ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, _rtcpAuthKey);

    private static void Mac(IncrementalHash hmac, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        hmac.AppendData(data);
        hmac.TryGetHashAndReset(mac, out _);
    }

    /// <summary>
    /// Encrypts and authenticates the RTP packet in <c>packet[..length]</c>. <paramref name="packet"/> must
    /// have room for the tag after it.
    /// </summary>
    public bool TryProtectRtp(Span<byte> packet, int length, out int protectedLength)
    {
        protectedLength = 0;
        if ((uint)length > (uint)packet.Length || length + TagLength > packet.Length) return false;
        if (!TryHeaderLength(packet[..length], out int headerLength)) return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        RtpStream? stream = RtpStreamFor(ssrc, create: true);
        if (stream is null || !stream.Estimate(seq, out uint roc)) return false;
        stream.Update(roc, seq);
        stream.LastUsedMs = Environment.TickCount64;

        if (_gcm)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmRtpIv(iv, ssrc, roc, seq);
            if (!RtpSeal.Seal(iv, packet[..headerLength], default, packet[headerLength..length], packet.Slice(length, GcmTagLength))) return false;
            protectedLength = length + GcmTagLength;
            return true;
        }

        Span<byte> ctr = stackalloc byte[16];
        CtrIv(ctr, _rtpSalt, ssrc, ((ulong)roc << 16) | seq);
        if (!RtpSeal.Ctr(ctr, packet[headerLength..length])) return false;
        // RFC 3711 §4.2: the tag covers the packet and the ROC; the ROC sits where the tag goes.
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], roc);
        Span<byte> mac = stackalloc byte[20];
        Mac(RtpHmac, packet[..(length + 4)], mac);
        mac[..HmacTagLength].CopyTo(packet[length..]);
        protectedLength = length + HmacTagLength;
        return true;
    }

    /// <summary>
    /// Authenticates and decrypts the SRTP packet in <c>packet[..length]</c> in place. False (and nothing
    /// recorded) for a bad tag, a replay, or a malformed packet.
    /// </summary>
    public bool TryUnprotectRtp(Span<byte> packet, int length, out int plainLength)
    {
        plainLength = 0;
        int tagLength = TagLength;
        if ((uint)length > (uint)packet.Length || length < RtpHeaderLength + tagLength) return false;
        int bodyEnd = length - tagLength;
        if (!TryHeaderLength(packet[..bodyEnd], out int headerLength)) return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        // A new SSRC's state is kept only once a packet of it authenticates (below).
        RtpStream stream = RtpStreamFor(ssrc, create: false) ?? new RtpStream();
        if (!stream.Estimate(seq, out uint roc)) return false;
        ulong index = ((ulong)roc << 16) | seq;
        if (!stream.Window.Check(index)) return false;

        if (_gcm)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmRtpIv(iv, ssrc, roc, seq);
            if (!RtpOpen.Open(iv, packet[..headerLength], default, packet[headerLength..bodyEnd], packet.Slice(bodyEnd, GcmTagLength))) return false;
        }
        else
        {
            Span<byte> tag = stackalloc byte[HmacTagLength];
            packet.Slice(bodyEnd, HmacTagLength).CopyTo(tag);
            BinaryPrimitives.WriteUInt32BigEndian(packet[bodyEnd..], roc);
            Span<byte> mac = stackalloc byte[20];
            Mac(RtpHmac, packet[..(bodyEnd + 4)], mac);
            tag.CopyTo(packet[bodyEnd..]);
            if (!CryptographicOperations.FixedTimeEquals(mac[..HmacTagLength], tag)) return false;
            Span<byte> ctr = stackalloc byte[16];
            CtrIv(ctr, _rtpSalt, ssrc, index);
            if (!RtpOpen.Ctr(ctr, packet[headerLength..bodyEnd])) return false;
        }
        if (!_rtp.ContainsKey(ssrc))
        {
            if (!MakeRoom(_rtp)) return false;
            _rtp[ssrc] = stream;
        }
        stream.Window.Accept(index);
        stream.Update(roc, seq);
        stream.LastUsedMs = Environment.TickCount64;
        plainLength = bodyEnd;
        return true;
    }

    /// <summary>Encrypts and authenticates an RTCP compound packet; room is needed for tag and index.</summary>
    public bool TryProtectRtcp(Span<byte> packet, int length, out int protectedLength)
    {
        protectedLength = 0;
        if ((uint)length > (uint)packet.Length || length < RtcpHeaderLength || length + TagLength + 4 > packet.Length) return false;
        if (packet[0] >> 6 != 2) return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        RtcpStream? stream = RtcpStreamFor(ssrc, create: true);
        if (stream is null) return false;
        stream.LastUsedMs = Environment.TickCount64;
        uint index = stream.NextIndex;
        stream.NextIndex = (stream.NextIndex + 1) & 0x7FFFFFFF;
        uint word = SrtcpEncryptedFlag | index;

        if (_gcm)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmRtcpIv(iv, ssrc, index);
            Span<byte> eIndex = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(eIndex, word);
            // RFC 7714 §9.2: tag after the ciphertext, then E+index; both header and E+index are AAD.
            if (!RtcpSeal.Seal(iv, packet[..RtcpHeaderLength], eIndex, packet[RtcpHeaderLength..length], packet.Slice(length, GcmTagLength))) return false;
            eIndex.CopyTo(packet[(length + GcmTagLength)..]);
            protectedLength = length + GcmTagLength + 4;
            return true;
        }

        Span<byte> ctr = stackalloc byte[16];
        CtrIv(ctr, _rtcpSalt, ssrc, index);
        if (!RtcpSeal.Ctr(ctr, packet[RtcpHeaderLength..length])) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], word);
        Span<byte> mac = stackalloc byte[20];
        Mac(RtcpHmac, packet[..(length + 4)], mac);
        mac[..HmacTagLength].CopyTo(packet[(length + 4)..]);
        protectedLength = length + 4 + HmacTagLength;
        return true;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; false for a bad tag, replay or malformed input.</summary>
    public bool TryUnprotectRtcp(Span<byte> packet, int length, out int plainLength)
    {
        plainLength = 0;
        int tagLength = TagLength;
        if ((uint)length > (uint)packet.Length || length < RtcpHeaderLength + 4 + tagLength) return false;
        if (packet[0] >> 6 != 2) return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        RtcpStream stream = RtcpStreamFor(ssrc, create: false) ?? new RtcpStream();

        if (_gcm)
        {
            int indexAt = length - 4;
            int tagAt = indexAt - GcmTagLength;
            uint word = BinaryPrimitives.ReadUInt32BigEndian(packet[indexAt..]);
            // Unencrypted SRTCP is never sent by browsers; refuse it rather than authenticate it differently.
            if ((word & SrtcpEncryptedFlag) == 0) return false;
            uint index = word & 0x7FFFFFFF;
            if (!stream.Window.Check(index)) return false;
            Span<byte> iv = stackalloc byte[12];
            GcmRtcpIv(iv, ssrc, index);
            if (!RtcpOpen.Open(iv, packet[..RtcpHeaderLength], packet.Slice(indexAt, 4), packet[RtcpHeaderLength..tagAt], packet.Slice(tagAt, GcmTagLength))) return false;
            if (!_rtcp.ContainsKey(ssrc))
            {
                if (!MakeRoom(_rtcp)) return false;
                _rtcp[ssrc] = stream;
            }
            stream.Window.Accept(index);
            stream.LastUsedMs = Environment.TickCount64;
            plainLength = tagAt;
            return true;
        }
        else
        {
            int tagAt = length - HmacTagLength;
            int indexAt = tagAt - 4;
            uint word = BinaryPrimitives.ReadUInt32BigEndian(packet[indexAt..]);
            uint index = word & 0x7FFFFFFF;
            if (!stream.Window.Check(index)) return false;
            Span<byte> mac = stackalloc byte[20];
            Mac(RtcpHmac, packet[..tagAt], mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..HmacTagLength], packet.Slice(tagAt, HmacTagLength))) return false;
            if ((word & SrtcpEncryptedFlag) != 0)
            {
                Span<byte> ctr = stackalloc byte[16];
                CtrIv(ctr, _rtcpSalt, ssrc, index);
                if (!RtcpOpen.Ctr(ctr, packet[RtcpHeaderLength..indexAt])) return false;
            }
            if (!_rtcp.ContainsKey(ssrc))
            {
                if (!MakeRoom(_rtcp)) return false;
                _rtcp[ssrc] = stream;
            }
            stream.Window.Accept(index);
            stream.LastUsedMs = Environment.TickCount64;
            plainLength = indexAt;
            return true;
        }
    }

    /// <summary>
    /// Forgets the RTP state (rollover counter) of <paramref name="ssrc"/>: a stream that has ended for good.
    /// The caller must never protect with that SSRC again under this key, or the keystream would repeat.
    /// </summary>
    public bool RemoveRtpStream(uint ssrc) => _rtp.Remove(ssrc);

    /// <summary>Forgets the SRTCP state of <paramref name="ssrc"/>, as <see cref="RemoveRtpStream"/>.</summary>
    public bool RemoveRtcpStream(uint ssrc) => _rtcp.Remove(ssrc);

    /// <summary>SSRCs with RTP and with RTCP state (tests and diagnostics).</summary>
    public (int Rtp, int Rtcp) StreamCount => (_rtp.Count, _rtcp.Count);

    public void Dispose()
    {
        _rtpSeal?.Dispose();
        if (_rtpOpen != _rtpSeal) _rtpOpen?.Dispose();
        _rtcpSeal?.Dispose();
        if (_rtcpOpen != _rtcpSeal) _rtcpOpen?.Dispose();
        _rtpHmac?.Dispose();
        _rtcpHmac?.Dispose();
        CryptographicOperations.ZeroMemory(_rtpKey);
        CryptographicOperations.ZeroMemory(_rtcpKey);
        CryptographicOperations.ZeroMemory(_rtpAuthKey);
        CryptographicOperations.ZeroMemory(_rtcpAuthKey);
    }

    /// <summary>RFC 3550 §5.1 header length with CSRCs and the extension; false if it does not fit.</summary>
    private static bool TryHeaderLength(ReadOnlySpan<byte> packet, out int headerLength)
    {
        headerLength = 0;
        if (packet.Length < RtpHeaderLength || packet[0] >> 6 != 2) return false;
        int length = RtpHeaderLength + 4 * (packet[0] & 0x0F);
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < length + 4) return false;
            length += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]);
        }
        if (length > packet.Length) return false;
        headerLength = length;
        return true;
    }

    /// <summary>RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).</summary>
    private static void CtrIv(Span<byte> iv, ReadOnlySpan<byte> salt, uint ssrc, ulong index)
    {
        iv.Clear();
        salt.CopyTo(iv);
        iv[4] ^= (byte)(ssrc >> 24);
        iv[5] ^= (byte)(ssrc >> 16);
        iv[6] ^= (byte)(ssrc >> 8);
        iv[7] ^= (byte)ssrc;
        for (int i = 0; i < 6; i++) iv[13 - i] ^= (byte)(index >> (8 * i));
    }

    /// <summary>RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt.</summary>
    private void GcmRtpIv(Span<byte> iv, uint ssrc, uint roc, ushort seq)
    {
        iv[0] = 0;
        iv[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(iv[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(iv[6..], roc);
        BinaryPrimitives.WriteUInt16BigEndian(iv[10..], seq);
        for (int i = 0; i < 12; i++) iv[i] ^= _rtpSalt[i];
    }

    /// <summary>RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.</summary>
    private void GcmRtcpIv(Span<byte> iv, uint ssrc, uint index)
    {
        iv[0] = 0;
        iv[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(iv[2..], ssrc);
        iv[6] = 0;
        iv[7] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(iv[8..], index & 0x7FFFFFFF);
        for (int i = 0; i < 12; i++) iv[i] ^= _rtcpSalt[i];
    }

    /// <summary>
    /// Streams idle this long give their place to a new SSRC when the context holds <see cref="MaxStreams"/>:
    /// in a long meeting an SFU subscriber sees a new SSRC for every person who comes, and the state of
    /// those who left must not fill the context. Active streams are never evicted, so a flood of new
    /// SSRCs cannot push out live ones.
    /// </summary>
    internal long IdleStreamEvictMs { get; set; } = 10_000;

    private bool MakeRoom<T>(Dictionary<uint, T> streams) where T : StreamState
    {
        if (streams.Count < MaxStreams) return true;
        uint oldest = 0;
        long oldestUse = long.MaxValue;
        foreach (KeyValuePair<uint, T> pair in streams)
        {
            if (pair.Value.LastUsedMs < oldestUse)
            {
                oldestUse = pair.Value.LastUsedMs;
                oldest = pair.Key;
            }
        }
        if (Environment.TickCount64 - oldestUse < IdleStreamEvictMs) return false;
        streams.Remove(oldest);
        return true;
    }

    /// <summary>When a stream was last used (protected or authenticated), for eviction.</summary>
    private abstract class StreamState
    {
        public long LastUsedMs = Environment.TickCount64;
    }

    private RtpStream? RtpStreamFor(uint ssrc, bool create)
    {
        if (_rtp.TryGetValue(ssrc, out RtpStream? stream)) return stream;
        if (!create || !MakeRoom(_rtp)) return null;
        stream = new RtpStream();
        _rtp[ssrc] = stream;
        return stream;
    }

    private RtcpStream? RtcpStreamFor(uint ssrc, bool create)
    {
        if (_rtcp.TryGetValue(ssrc, out RtcpStream? stream)) return stream;
        if (!create || !MakeRoom(_rtcp)) return null;
        stream = new RtcpStream();
        _rtcp[ssrc] = stream;
        return stream;
    }

    /// <summary>Per-SSRC RTP state: rollover counter, highest sequence number, replay window.</summary>
    private sealed class RtpStream : StreamState
    {
        private bool _started;
        private uint _roc;
        private ushort _highest;
        private ReplayWindow? _window;

        public ReplayWindow Window => _window ??= new ReplayWindow();

        /// <summary>RFC 3711 Appendix A: the ROC that puts <paramref name="seq"/> closest to the highest seen.</summary>
        public bool Estimate(ushort seq, out uint roc)
        {
            roc = _roc;
            if (!_started) return true;
            if (_highest < 32768)
            {
                if (seq - _highest > 32768)
                {
                    // From before a wrap we never saw (or from before the stream began).
                    if (_roc == 0) return false;
                    roc = _roc - 1;
                }
            }
            else if (_highest - 32768 > seq)
            {
                roc = _roc + 1;
            }
            return true;
        }

        public void Update(uint roc, ushort seq)
        {
            if (!_started)
            {
                _started = true;
                _roc = roc;
                _highest = seq;
            }
            else if (roc > _roc)
            {
                _roc = roc;
                _highest = seq;
            }
            else if (roc == _roc && seq > _highest)
            {
                _highest = seq;
            }
        }
    }

    /// <summary>Per-SSRC SRTCP state: the next index we send, the replay window of what we received.</summary>
    private sealed class RtcpStream : StreamState
    {
        private ReplayWindow? _window;

        public uint NextIndex;

        public ReplayWindow Window => _window ??= new ReplayWindow();
    }
}
