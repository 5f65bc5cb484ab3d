using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>
/// The VP8 RTP payload format (RFC 7741): where the VP8 data begins behind the payload descriptor,
/// whether a packet starts a frame, and what a key frame's first bytes say. Read by the SFU (key frame
/// detection) and by bots (sending and reassembling frames).
/// </summary>
/// <remarks>
/// §4.2 payload descriptor:
/// <code>
///        0 1 2 3 4 5 6 7
///       +-+-+-+-+-+-+-+-+
///       |X|R|N|S|R| PID | (REQUIRED)
///       +-+-+-+-+-+-+-+-+
///  X:   |I|L|T|K| RSV   | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///  I:   |M| PictureID   | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///       |   PictureID   | (second byte when M=1: a 15-bit PictureID)
///       +-+-+-+-+-+-+-+-+
///  L:   |   TL0PICIDX   | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///  T/K: |TID|Y| KEYIDX  | (OPTIONAL: present when T or K is set)
///       +-+-+-+-+-+-+-+-+
/// </code>
/// §4.3 payload header, at the start of the first partition (S=1, PID=0), i.e. the VP8 frame tag
/// (RFC 6386 §9.1):
/// <code>
///       +-+-+-+-+-+-+-+-+
///       |Size0|H| VER |P|   P: inverse key frame flag
///       |     Size1     |
///       |     Size2     |
///       +-+-+-+-+-+-+-+-+
/// </code>
/// A key frame then has the start code 9D 01 2A and two 16-bit little-endian dimensions (14 bits of
/// size, 2 of scaling). Everything here reads within bounds, never throws and allocates nothing.
/// </remarks>
public static class Vp8Payload
{
    private const byte ExtendedBit = 0x80;
    private const byte StartBit = 0x10;
    private const byte PartitionMask = 0x07;
    private const byte PictureIdBit = 0x80;
    private const byte Tl0PicIdxBit = 0x40;
    private const byte TidBit = 0x20;
    private const byte KeyIdxBit = 0x10;
    private const byte LongPictureIdBit = 0x80;
    private const byte InterFrameBit = 0x01;
    private const int DimensionMask = 0x3FFF;

    /// <summary>Bytes of the frame tag (§4.3) every frame starts with.</summary>
    public const int FrameTagSize = 3;

    /// <summary>Bytes a key frame's header takes: frame tag, start code, width, height.</summary>
    public const int KeyFrameHeaderSize = FrameTagSize + 3 + 4;

    /// <summary>Bytes of the shortest descriptor, the one <see cref="WriteDescriptor"/> writes.</summary>
    public const int MinimalDescriptorSize = 1;

    /// <summary>
    /// Finds where the VP8 data begins in an RTP payload; <paramref name="frameStart"/> is S=1 with PID 0.
    /// False when the descriptor is truncated or leaves no VP8 data.
    /// </summary>
    public static bool TryReadDescriptor(ReadOnlySpan<byte> payload, out int offset, out bool frameStart)
    {
        offset = 0;
        frameStart = false;
        if (payload.IsEmpty) return false;
        byte first = payload[0];
        int i = 1;
        if ((first & ExtendedBit) != 0)
        {
            if (payload.Length < 2) return false;
            byte extensions = payload[1];
            i = 2;
            if ((extensions & PictureIdBit) != 0)
            {
                if (i >= payload.Length) return false;
                i += (payload[i] & LongPictureIdBit) != 0 ? 2 : 1;
            }
            if ((extensions & Tl0PicIdxBit) != 0) i++;
            if ((extensions & (TidBit | KeyIdxBit)) != 0) i++;
        }
        if (i >= payload.Length) return false;
        offset = i;
        frameStart = (first & StartBit) != 0 && (first & PartitionMask) == 0;
        return true;
    }

    /// <summary>Writes the one-byte descriptor (no extensions, PID 0), with S set on a frame's first packet.</summary>
    public static void WriteDescriptor(Span<byte> destination, bool frameStart) => destination[0] = frameStart ? StartBit : (byte)0;

    /// <summary>Whether VP8 data (a frame's first bytes) is a key frame: P=0 and the start code.</summary>
    public static bool IsKeyFrame(ReadOnlySpan<byte> frame) =>
        frame.Length >= KeyFrameHeaderSize && (frame[0] & InterFrameBit) == 0
        && frame[3] == 0x9D && frame[4] == 0x01 && frame[5] == 0x2A;

    /// <summary>A key frame's picture size; false for anything else or a zero dimension.</summary>
    public static bool TryReadKeyFrameSize(ReadOnlySpan<byte> frame, out int width, out int height)
    {
        width = height = 0;
        if (!IsKeyFrame(frame)) return false;
        width = BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]) & DimensionMask;
        height = BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]) & DimensionMask;
        return width > 0 && height > 0;
    }
}
