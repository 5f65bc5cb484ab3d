using Huddle.Media.Rtp;

namespace Huddle.Sfu;

/// <summary>
/// Reads just enough of a video RTP payload to tell whether the packet starts a key frame (where a
/// consumer can begin decoding, so where the SFU may start forwarding a stream or switch simulcast
/// layers) or at least starts a frame.
/// </summary>
/// <remarks>
/// The payload is untrusted: every method reads within bounds, never throws, and answers false when the
/// payload descriptor or aggregation structure is truncated or inconsistent. Nothing is allocated.
/// Stateless and thread-safe. Only the first packet of a key frame answers true; the packets after it
/// in the same frame do not carry what it takes to tell.
/// </remarks>
public static class KeyFrameDetector
{
    /// <summary>Maps an SDP encoding name (a=rtpmap, case-insensitive) to a codec this class reads.</summary>
    public static bool TryGetCodec(ReadOnlySpan<char> encodingName, out VideoCodec codec)
    {
        codec = default;
        if (encodingName.Equals("VP8", StringComparison.OrdinalIgnoreCase)) codec = VideoCodec.Vp8;
        else if (encodingName.Equals("VP9", StringComparison.OrdinalIgnoreCase)) codec = VideoCodec.Vp9;
        else if (encodingName.Equals("H264", StringComparison.OrdinalIgnoreCase)) codec = VideoCodec.H264;
        else if (encodingName.Equals("AV1", StringComparison.OrdinalIgnoreCase)) codec = VideoCodec.Av1;
        else return false;
        return true;
    }

    /// <summary>True when <paramref name="rtpPayload"/> (the RTP payload, padding removed) is the first packet of a key frame.</summary>
    public static bool IsKeyFrame(VideoCodec codec, ReadOnlySpan<byte> rtpPayload) => codec switch
    {
        VideoCodec.Vp8 => IsVp8KeyFrame(rtpPayload),
        VideoCodec.Vp9 => IsVp9KeyFrame(rtpPayload),
        VideoCodec.H264 => IsH264KeyFrame(rtpPayload),
        VideoCodec.Av1 => IsAv1KeyFrame(rtpPayload),
        _ => false,
    };

    /// <summary>
    /// True when <paramref name="rtpPayload"/> is the first packet of a frame (of the base spatial
    /// layer, for the codecs that have layers). Every key frame start is a frame start.
    /// </summary>
    public static bool IsFrameStart(VideoCodec codec, ReadOnlySpan<byte> rtpPayload) => codec switch
    {
        VideoCodec.Vp8 => IsVp8FrameStart(rtpPayload),
        VideoCodec.Vp9 => IsVp9FrameStart(rtpPayload),
        VideoCodec.H264 => IsH264FrameStart(rtpPayload),
        VideoCodec.Av1 => IsAv1FrameStart(rtpPayload),
        _ => false,
    };

    // ---- VP8 (RFC 7741; the descriptor and frame tag are read by Vp8Payload) ----

    private static bool IsVp8KeyFrame(ReadOnlySpan<byte> payload) =>
        Vp8Payload.TryReadDescriptor(payload, out int offset, out bool frameStart) && frameStart
        && Vp8Payload.IsKeyFrame(payload[offset..]);

    private static bool IsVp8FrameStart(ReadOnlySpan<byte> payload) =>
        Vp8Payload.TryReadDescriptor(payload, out int offset, out bool frameStart) && frameStart
        && payload.Length - offset >= Vp8Payload.FrameTagSize;

    // ---- VP9 (RFC 9628 §4.2) ----
    //
    //        0 1 2 3 4 5 6 7
    //       +-+-+-+-+-+-+-+-+
    //       |I|P|L|F|B|E|V|Z| (REQUIRED)
    //       +-+-+-+-+-+-+-+-+
    //  I:   |M| PICTURE ID  | (M=1: a second byte, 15 bits in all)
    //       +-+-+-+-+-+-+-+-+
    //  M:   | EXTENDED PID  |
    //       +-+-+-+-+-+-+-+-+
    //  L:   | TID |U| SID |D|
    //       +-+-+-+-+-+-+-+-+
    //       |   TL0PICIDX   | (non-flexible mode (F=0) only, when L=1)
    //       +-+-+-+-+-+-+-+-+                            -\
    //  P,F: | P_DIFF      |N| (flexible mode with P=1)    - up to 3 times, N=1: another follows
    //       +-+-+-+-+-+-+-+-+                            -/
    //  V:   | SS            | (scalability structure, §4.2.1)
    //       | ..            |
    //       +-+-+-+-+-+-+-+-+
    //
    // P: inter-picture predicted; B: start of a frame (of one spatial layer). A key frame is a frame
    // start with P=0 in spatial layer 0 (higher layers of a key picture still predict from below).

    private const byte Vp9PictureIdBit = 0x80;
    private const byte Vp9InterPictureBit = 0x40;
    private const byte Vp9LayerBit = 0x20;
    private const byte Vp9FlexibleBit = 0x10;
    private const byte Vp9StartBit = 0x08;
    private const byte Vp9ScalabilityBit = 0x02;
    private const byte Vp9LongPictureIdBit = 0x80;
    private const byte Vp9MoreReferencesBit = 0x01;
    private const int Vp9MaxReferences = 3;
    private const byte Vp9SsResolutionBit = 0x10;
    private const byte Vp9SsGroupBit = 0x08;
    private const int Vp9SsResolutionSize = 4;

    private static bool IsVp9KeyFrame(ReadOnlySpan<byte> payload) =>
        TryReadVp9Descriptor(payload, out int spatialLayer)
        && (payload[0] & (Vp9StartBit | Vp9InterPictureBit)) == Vp9StartBit
        && spatialLayer == 0;

    private static bool IsVp9FrameStart(ReadOnlySpan<byte> payload) =>
        TryReadVp9Descriptor(payload, out int spatialLayer) && (payload[0] & Vp9StartBit) != 0 && spatialLayer == 0;

    /// <summary>Walks the whole descriptor; false when it does not fit or leaves no VP9 data.</summary>
    private static bool TryReadVp9Descriptor(ReadOnlySpan<byte> payload, out int spatialLayer)
    {
        spatialLayer = 0;
        if (payload.IsEmpty) return false;
        byte first = payload[0];
        bool flexible = (first & Vp9FlexibleBit) != 0;
        int i = 1;
        if ((first & Vp9PictureIdBit) != 0)
        {
            if (i >= payload.Length) return false;
            i += (payload[i] & Vp9LongPictureIdBit) != 0 ? 2 : 1;
        }
        if ((first & Vp9LayerBit) != 0)
        {
            if (i >= payload.Length) return false;
            spatialLayer = (payload[i] >> 1) & 0x07;
            i += flexible ? 1 : 2; // TL0PICIDX follows in non-flexible mode
        }
        if (flexible && (first & Vp9InterPictureBit) != 0)
        {
            for (int n = 0; ; n++)
            {
                if (n == Vp9MaxReferences || i >= payload.Length) return false;
                bool more = (payload[i++] & Vp9MoreReferencesBit) != 0;
                if (!more) break;
            }
        }
        if ((first & Vp9ScalabilityBit) != 0 && !TrySkipVp9ScalabilityStructure(payload, ref i)) return false;
        return i < payload.Length;
    }

    // §4.2.1:
    //       +-+-+-+-+-+-+-+-+
    //  V:   | N_S |Y|G|-|-|-|
    //       +-+-+-+-+-+-+-+-+              -\
    //  Y:   |     WIDTH     | (2 bytes)     - N_S + 1 times
    //       |     HEIGHT    | (2 bytes)     .
    //       +-+-+-+-+-+-+-+-+              -/
    //  G:   |      N_G      |
    //       +-+-+-+-+-+-+-+-+                           -\
    //  N_G: |  T  |U| R |-|-|                            - N_G times
    //       +-+-+-+-+-+-+-+-+              -\            .
    //       |    P_DIFF     |               - R times    .
    //       +-+-+-+-+-+-+-+-+              -/           -/
    private static bool TrySkipVp9ScalabilityStructure(ReadOnlySpan<byte> payload, ref int i)
    {
        if (i >= payload.Length) return false;
        byte ss = payload[i++];
        int spatialLayers = (ss >> 5) + 1;
        if ((ss & Vp9SsResolutionBit) != 0) i += spatialLayers * Vp9SsResolutionSize;
        if ((ss & Vp9SsGroupBit) != 0)
        {
            if (i >= payload.Length) return false;
            int groups = payload[i++];
            for (int g = 0; g < groups; g++)
            {
                if (i >= payload.Length) return false;
                int references = (payload[i] >> 2) & 0x03;
                i += 1 + references;
            }
        }
        return i <= payload.Length;
    }

    // ---- H.264 (RFC 6184) ----
    //
    // §5.3 NAL unit header, the first byte of every payload:
    //       +---------------+
    //       |0|1|2|3|4|5|6|7|
    //       +-+-+-+-+-+-+-+-+
    //       |F|NRI|  Type   |
    //       +---------------+
    // Types 1-23 are a single NAL unit (§5.6); 24 is STAP-A (§5.7.1): after the header, units each
    // preceded by a 16-bit size; 28 is FU-A (§5.8): a second byte |S|E|R|Type| carries the fragmented
    // unit's type, S marking its first fragment. An IDR slice (5) or a sequence parameter set (7)
    // starts a key frame: browsers send SPS and PPS right before each IDR.

    private const byte H264ForbiddenBit = 0x80;
    private const byte H264TypeMask = 0x1F;
    private const int H264NonIdrSlice = 1;
    private const int H264IdrSlice = 5;
    private const int H264Sei = 6;
    private const int H264Sps = 7;
    private const int H264Pps = 8;
    private const int H264AccessUnitDelimiter = 9;
    private const int H264StapA = 24;
    private const int H264FuA = 28;
    private const byte H264FuStartBit = 0x80;
    private const byte H264FuEndBit = 0x40;
    private const int H264StapSizeLength = 2;
    private const int H264FuHeaderSize = 2;

    private static bool IsH264KeyFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || (payload[0] & H264ForbiddenBit) != 0) return false;
        int type = payload[0] & H264TypeMask;
        switch (type)
        {
            case H264StapA:
                return TryReadStapA(payload, out bool key, out _) && key;
            case H264FuA:
                return TryReadFuA(payload, out int fragmentType, out bool start) && start && IsH264KeyUnit(fragmentType);
            default:
                return type is >= 1 and <= 23 && payload.Length >= 2 && IsH264KeyUnit(type);
        }
    }

    private static bool IsH264FrameStart(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || (payload[0] & H264ForbiddenBit) != 0) return false;
        int type = payload[0] & H264TypeMask;
        switch (type)
        {
            case H264StapA:
                return TryReadStapA(payload, out _, out bool first) && first;
            case H264FuA:
                // The fragment data begins with the slice header, as an unfragmented unit's does after its header.
                return TryReadFuA(payload, out int fragmentType, out bool start) && start
                    && StartsAccessUnit(fragmentType, payload.Slice(H264FuHeaderSize));
            default:
                return type is >= 1 and <= 23 && payload.Length >= 2 && StartsAccessUnit(type, payload.Slice(1));
        }
    }

    private static bool IsH264KeyUnit(int type) => type is H264IdrSlice or H264Sps;

    /// <summary>
    /// Whether a unit of <paramref name="type"/>, whose bytes after the NAL header are <paramref name="body"/>,
    /// comes first in an access unit: a delimiter, SEI or parameter set (H.264 §7.4.1.2.3 puts them ahead
    /// of the slices), or a slice whose first_mb_in_slice is 0. That field is the first ue(v) of the slice
    /// header, and ue(v) is 0 exactly when its first bit is 1 (H.264 §9.1).
    /// </summary>
    private static bool StartsAccessUnit(int type, ReadOnlySpan<byte> body) => type switch
    {
        H264AccessUnitDelimiter or H264Sei or H264Sps or H264Pps => true,
        H264NonIdrSlice or H264IdrSlice => !body.IsEmpty && (body[0] & 0x80) != 0,
        _ => false,
    };

    /// <summary>
    /// Walks a STAP-A: every unit must be non-empty and fit, ending exactly at the end of the payload.
    /// <paramref name="key"/> says whether any unit is IDR or SPS; <paramref name="startsAccessUnit"/>
    /// judges the first unit.
    /// </summary>
    private static bool TryReadStapA(ReadOnlySpan<byte> payload, out bool key, out bool startsAccessUnit)
    {
        key = false;
        startsAccessUnit = false;
        int i = 1;
        int units = 0;
        while (i < payload.Length)
        {
            if (payload.Length - i < H264StapSizeLength) return false;
            int size = payload[i] << 8 | payload[i + 1];
            i += H264StapSizeLength;
            if (size == 0 || size > payload.Length - i) return false;
            var unit = payload.Slice(i, size);
            if ((unit[0] & H264ForbiddenBit) != 0) return false;
            int type = unit[0] & H264TypeMask;
            if (IsH264KeyUnit(type)) key = true;
            if (units == 0) startsAccessUnit = StartsAccessUnit(type, unit.Slice(1));
            units++;
            i += size;
        }
        return units > 0;
    }

    /// <summary>Reads an FU-A's header: the fragmented unit's type and S bit. False when S and E are both set (§5.8) or no data follows.</summary>
    private static bool TryReadFuA(ReadOnlySpan<byte> payload, out int fragmentType, out bool start)
    {
        fragmentType = 0;
        start = false;
        if (payload.Length <= H264FuHeaderSize) return false;
        byte header = payload[1];
        if ((header & (H264FuStartBit | H264FuEndBit)) == (H264FuStartBit | H264FuEndBit)) return false;
        fragmentType = header & H264TypeMask;
        start = (header & H264FuStartBit) != 0;
        return true;
    }

    // ---- AV1 (AV1 RTP payload format §4.4, §4.5) ----
    //
    // Aggregation header, then OBU elements:
    //        0 1 2 3 4 5 6 7
    //       +-+-+-+-+-+-+-+-+
    //       |Z|Y| W |N|-|-|-|
    //       +-+-+-+-+-+-+-+-+
    // Z: the first element continues an OBU from the previous packet; Y: the last one goes on in the
    // next; W: the number of elements (0: any, each preceded by a leb128 length; otherwise all but the
    // last carry a length); N: the first packet of a coded video sequence, which starts with a key
    // frame (N=1 implies Z=0). An OBU header (AV1 §5.3.2) is |F|type(4)|X|S|R|, with X announcing an
    // extension byte |temporal_id(3)|spatial_id(2)|reserved(3)|.

    private const byte Av1ContinuationBit = 0x80;
    private const byte Av1NewSequenceBit = 0x08;
    private const int Av1ElementCountShift = 4;
    private const byte Av1ElementCountMask = 0x03;
    private const byte Av1ObuForbiddenBit = 0x80;
    private const byte Av1ObuExtensionBit = 0x04;
    private const int Av1ObuSequenceHeader = 1;
    private const int Av1ObuTemporalDelimiter = 2;
    private const int Av1ObuFrameHeader = 3;
    private const int Av1ObuFrame = 6;
    private const int Leb128MaxBytes = 8; // AV1 §4.10.5

    private static bool IsAv1KeyFrame(ReadOnlySpan<byte> payload) =>
        TryReadAv1Elements(payload, out var firstElement)
        && (payload[0] & (Av1NewSequenceBit | Av1ContinuationBit)) == Av1NewSequenceBit
        && (firstElement[0] & Av1ObuForbiddenBit) == 0;

    /// <summary>
    /// A key frame, or a packet that begins with a whole OBU opening a frame of spatial layer 0: a
    /// sequence header, temporal delimiter, frame header or frame. Metadata OBUs packed ahead of the
    /// frame in packets of their own are not recognised: from one packet they look like any other.
    /// </summary>
    private static bool IsAv1FrameStart(ReadOnlySpan<byte> payload)
    {
        if (!TryReadAv1Elements(payload, out var first) || (payload[0] & Av1ContinuationBit) != 0) return false;
        byte obu = first[0];
        if ((obu & Av1ObuForbiddenBit) != 0) return false;
        if ((payload[0] & Av1NewSequenceBit) != 0) return true;
        int type = (obu >> 3) & 0x0F;
        if (type is not (Av1ObuSequenceHeader or Av1ObuTemporalDelimiter or Av1ObuFrameHeader or Av1ObuFrame)) return false;
        if ((obu & Av1ObuExtensionBit) == 0) return true;
        return first.Length >= 2 && ((first[1] >> 3) & 0x03) == 0;
    }

    /// <summary>
    /// Walks the OBU elements: each length must fit, none may be empty, and a non-zero W must match
    /// the count. <paramref name="firstElement"/> is the first element's bytes.
    /// </summary>
    private static bool TryReadAv1Elements(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> firstElement)
    {
        firstElement = default;
        if (payload.Length < 2) return false;
        int declared = (payload[0] >> Av1ElementCountShift) & Av1ElementCountMask;
        int i = 1;
        int count = 0;
        while (i < payload.Length)
        {
            count++;
            int length;
            if (declared != 0 && count == declared)
            {
                length = payload.Length - i; // the last element has no length field
            }
            else if (!TryReadLeb128(payload, ref i, out length))
            {
                return false;
            }
            if (length == 0 || length > payload.Length - i) return false;
            if (count == 1) firstElement = payload.Slice(i, length);
            i += length;
        }
        return count > 0 && (declared == 0 || count == declared);
    }

    private static bool TryReadLeb128(ReadOnlySpan<byte> data, ref int i, out int value)
    {
        value = 0;
        long result = 0;
        for (int n = 0; n < Leb128MaxBytes; n++)
        {
            if (i >= data.Length) return false;
            byte b = data[i++];
            result |= (long)(b & 0x7F) << (7 * n);
            if ((b & 0x80) == 0)
            {
                if (result > int.MaxValue) return false;
                value = (int)result;
                return true;
            }
        }
        return false;
    }
}
