using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>
/// REMB (PSFB PT=206, FMT=15, identifier "REMB"): the receiver's estimate of the total bitrate the
/// listed SSRCs may use together.
/// </summary>
/// <remarks>
/// draft-alvestrand-rmcat-remb-03 §2.2:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P| FMT=15  |   PT=206      |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source (always 0)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Unique identifier 'R' 'E' 'M' 'B'                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Num SSRC     | BR Exp    |  BR Mantissa                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   SSRC feedback                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ...                                                          |
/// </code>
/// Bitrate in bits per second = mantissa × 2^exp.
/// </remarks>
public readonly ref struct ReceiverEstimatedMaxBitrate
{
    public static ReadOnlySpan<byte> Identifier => "REMB"u8;
    public const int MaxExponent = 63;
    public const uint MaxMantissa = 0x3_FFFF;
    public const int MaxSsrcCount = 255;

    // Offsets in the FCI.
    private const int IdentifierOffset = 0;
    private const int SsrcCountOffset = 4;
    private const int BitrateOffset = 5;
    private const int SsrcsOffset = 8;
    private const int ExponentShift = 2;
    private const byte MantissaHighMask = 0x03;
    private const int SsrcSize = 4;

    private readonly RtcpPacket _packet;

    private ReceiverEstimatedMaxBitrate(RtcpPacket packet) => _packet = packet;

    /// <summary>
    /// Reads the REMB at the start of <paramref name="data"/>. False when the identifier is not
    /// "REMB", when the SSRC list does not fit, or when mantissa × 2^exp overflows 64 bits (as
    /// libwebrtc rejects it).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ReceiverEstimatedMaxBitrate remb)
    {
        remb = default;
        if (!RtcpFeedback.TryParse(data, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.ApplicationLayer, out var packet)) return false;
        var fci = RtcpFeedback.Fci(packet);
        if (fci.Length < SsrcsOffset || !fci.Slice(IdentifierOffset, Identifier.Length).SequenceEqual(Identifier)) return false;
        if (fci.Length - SsrcsOffset < fci[SsrcCountOffset] * SsrcSize) return false;
        var parsed = new ReceiverEstimatedMaxBitrate(packet);
        if (parsed.Mantissa != 0 && (parsed.Mantissa << parsed.Exponent) >> parsed.Exponent != parsed.Mantissa) return false;
        remb = parsed;
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint SenderSsrc => RtcpFeedback.SenderSsrc(_packet);
    public uint MediaSsrc => RtcpFeedback.MediaSsrc(_packet);
    public int Exponent => RtcpFeedback.Fci(_packet)[BitrateOffset] >> ExponentShift;

    public ulong Mantissa
    {
        get
        {
            var fci = RtcpFeedback.Fci(_packet);
            return (ulong)((fci[BitrateOffset] & MantissaHighMask) << 16 | fci[BitrateOffset + 1] << 8 | fci[BitrateOffset + 2]);
        }
    }

    /// <summary>The estimate in bits per second.</summary>
    public ulong Bitrate => Mantissa << Exponent;
    public int SsrcCount => RtcpFeedback.Fci(_packet)[SsrcCountOffset];

    public uint GetSsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(RtcpFeedback.Fci(_packet).Slice(SsrcsOffset + index * SsrcSize));
    }

    /// <summary>Whatever follows the SSRC list; normally empty.</summary>
    public ReadOnlySpan<byte> Trailer => RtcpFeedback.Fci(_packet).Slice(SsrcsOffset + SsrcCount * SsrcSize);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int ssrcCount) => RtcpFeedback.HeaderLength + SsrcsOffset + ssrcCount * SsrcSize;

    /// <summary>
    /// Splits a bitrate into the smallest exponent whose mantissa fits 18 bits; the low bits are
    /// dropped, so the encoded value never exceeds the estimate (libwebrtc does the same).
    /// </summary>
    public static (int Exponent, uint Mantissa) Encode(ulong bitrate)
    {
        int exponent = 0;
        while ((bitrate >> exponent) > MaxMantissa) exponent++;
        return (exponent, (uint)(bitrate >> exponent));
    }

    /// <summary>Writes a REMB for <paramref name="bitrate"/> bits per second.</summary>
    public static bool TryWrite(Span<byte> destination, uint senderSsrc, ulong bitrate, ReadOnlySpan<uint> ssrcs, out int written)
    {
        var (exponent, mantissa) = Encode(bitrate);
        return TryWrite(destination, senderSsrc, exponent, mantissa, ssrcs, out written);
    }

    /// <summary>Writes a REMB with the exponent and mantissa given as they are. False when they do not fit 6 and 18 bits, with more than 255 SSRCs, or too little room.</summary>
    public static bool TryWrite(Span<byte> destination, uint senderSsrc, int exponent, uint mantissa, ReadOnlySpan<uint> ssrcs, out int written)
    {
        written = 0;
        if ((uint)exponent > MaxExponent || mantissa > MaxMantissa || ssrcs.Length > MaxSsrcCount) return false;
        int length = GetLength(ssrcs.Length);
        if (!RtcpFeedback.TryWriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.ApplicationLayer, length,
                senderSsrc, 0, out var fci))
            return false;
        Identifier.CopyTo(fci.Slice(IdentifierOffset));
        fci[SsrcCountOffset] = (byte)ssrcs.Length;
        fci[BitrateOffset] = (byte)(exponent << ExponentShift | (int)(mantissa >> 16));
        fci[BitrateOffset + 1] = (byte)(mantissa >> 8);
        fci[BitrateOffset + 2] = (byte)mantissa;
        for (int i = 0; i < ssrcs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(fci.Slice(SsrcsOffset + i * SsrcSize), ssrcs[i]);
        }
        written = length;
        return true;
    }
}
