using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Huddle.Server.Media;

/// <summary>
/// Turns a browser's packets into packets it can receive as if they came from someone else: every SSRC the
/// browser sends with is paired with one of ours, and each packet has every SSRC field swapped to its pair.
/// RTP, sender and receiver reports, NACK, PLI, FIR, REMB and transport-wide CC feedback then all describe
/// the mirrored streams consistently, so the browser's own statistics, retransmissions and bandwidth
/// estimation work across the echo.
/// </summary>
/// <remarks>Used by one thread (the socket's receive loop) at a time.</remarks>
internal sealed class SsrcMirror
{
    /// <summary>Pairs kept at most; a browser sends a handful of streams (audio, video, RTX, simulcast).</summary>
    public const int MaxPairs = 64;

    private readonly Dictionary<uint, uint> _pairs = new();

    /// <summary>Our SSRC paired with a browser's <paramref name="ssrc"/>, made on first sight.</summary>
    public uint Pair(uint ssrc)
    {
        if (_pairs.TryGetValue(ssrc, out uint paired)) return paired;
        if (_pairs.Count >= MaxPairs * 2) return ssrc;
        uint ours;
        do ours = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
        while (ours == 0 || _pairs.ContainsKey(ours));
        _pairs[ssrc] = ours;
        _pairs[ours] = ssrc;
        return ours;
    }

    private uint Swap(uint ssrc) => _pairs.TryGetValue(ssrc, out uint other) ? other : ssrc;

    private void SwapAt(Span<byte> packet, int offset)
    {
        if (offset + 4 > packet.Length) return;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[offset..]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[offset..], Swap(ssrc));
    }

    /// <summary>RFC 3550 §5.1: the SSRC is at byte 8. A new sender SSRC gets a pair.</summary>
    public bool MirrorRtp(Span<byte> packet)
    {
        if (packet.Length < 12) return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        uint ours = Pair(ssrc);
        if (ours == ssrc) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ours);
        return true;
    }

    /// <summary>Swaps the SSRCs of every packet in an RTCP compound packet; unknown types pass unchanged.</summary>
    public void MirrorRtcp(Span<byte> compound)
    {
        int offset = 0;
        while (compound.Length - offset >= 8)
        {
            Span<byte> p = compound[offset..];
            if (p[0] >> 6 != 2) return;
            int count = p[0] & 0x1F;
            byte type = p[1];
            int length = (BinaryPrimitives.ReadUInt16BigEndian(p[2..]) + 1) * 4;
            if (length > p.Length) return;
            p = p[..length];
            switch (type)
            {
                case 200: // SR: sender SSRC, 20 bytes of sender info, then report blocks (RFC 3550 §6.4.1).
                    SwapAt(p, 4);
                    for (int i = 0, at = 28; i < count && at + 24 <= length; i++, at += 24) SwapAt(p, at);
                    break;
                case 201: // RR: sender SSRC, then report blocks (§6.4.2).
                    SwapAt(p, 4);
                    for (int i = 0, at = 8; i < count && at + 24 <= length; i++, at += 24) SwapAt(p, at);
                    break;
                case 202: // SDES: chunks of SSRC + items ending with a zero byte, padded to 32 bits (§6.5).
                    MirrorSdes(p, count);
                    break;
                case 203: // BYE: a list of SSRCs (§6.6).
                    for (int i = 0, at = 4; i < count && at + 4 <= length; i++, at += 4) SwapAt(p, at);
                    break;
                case 205: // RTPFB (NACK, transport-wide CC): sender and media source (RFC 4585 §6.1).
                    SwapAt(p, 4);
                    SwapAt(p, 8);
                    break;
                case 206: // PSFB: PLI, FIR (RFC 5104 §4.3.1), REMB.
                    SwapAt(p, 4);
                    SwapAt(p, 8);
                    if (count == 4)
                    {
                        for (int at = 12; at + 8 <= length; at += 8) SwapAt(p, at);
                    }
                    else if (count == 15 && length >= 20 && p[12..16].SequenceEqual("REMB"u8))
                    {
                        int n = p[16];
                        for (int i = 0, at = 20; i < n && at + 4 <= length; i++, at += 4) SwapAt(p, at);
                    }
                    break;
            }
            offset += length;
        }
    }

    private void MirrorSdes(Span<byte> p, int chunks)
    {
        int at = 4;
        for (int c = 0; c < chunks && at + 4 <= p.Length; c++)
        {
            SwapAt(p, at);
            at += 4;
            while (at < p.Length && p[at] != 0)
            {
                if (at + 1 >= p.Length) return;
                at += 2 + p[at + 1];
            }
            // The end item, then padding to the next 32-bit boundary.
            at = (at + 4) & ~3;
        }
    }
}
