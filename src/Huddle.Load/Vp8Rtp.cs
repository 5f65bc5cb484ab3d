namespace Huddle.Load;

/// <summary>
/// The VP8 payload descriptor (RFC 7741 §4.2) as a bot writes and reads it:
/// <code>
///   0 1 2 3 4 5 6 7
///  +-+-+-+-+-+-+-+-+
///  |X|R|N|S|R| PID | (REQUIRED)   S: first packet of a partition; PID: partition index
///  +-+-+-+-+-+-+-+-+
///  |I|L|T|K| RSV   | (present when X)
///  +-+-+-+-+-+-+-+-+
///  |M| PictureID   | (when I; M=1: one more byte)
///  |   TL0PICIDX   | (when L)
///  |TID|Y| KEYIDX  | (when T or K)
/// </code>
/// A bot writes the one-byte form (S set on a frame's first packet), which is all a receiver needs.
/// </summary>
public static class Vp8Rtp
{
    private const byte ExtendedBit = 0x80;
    private const byte StartBit = 0x10;
    private const byte PartitionMask = 0x07;
    private const byte PictureIdBit = 0x80;
    private const byte Tl0PicIdxBit = 0x40;
    private const byte TidBit = 0x20;
    private const byte KeyIdxBit = 0x10;
    private const byte LongPictureIdBit = 0x80;

    /// <summary>Bytes the descriptor a bot writes takes.</summary>
    public const int DescriptorSize = 1;

    public static void WriteDescriptor(Span<byte> destination, bool frameStart) => destination[0] = frameStart ? StartBit : (byte)0;

    /// <summary>Where the VP8 data begins in <paramref name="payload"/>, and whether it starts a frame (S=1, PID 0).</summary>
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
}

/// <summary>
/// Puts VP8 frames back together from RTP payloads (RFC 7741 §4.5): a frame is the packets from one with
/// S=1 to the one with the marker bit, all with the same timestamp and consecutive sequence numbers.
/// A frame with a packet missing is dropped, and so is every frame after it until the next key frame
/// (they would refer to a picture the receiver never had).
/// </summary>
public sealed class Vp8FrameAssembler
{
    private readonly MemoryStream _frame = new();
    private bool _inFrame;
    private ushort _expectedSeq;
    private bool _haveSeq;
    private uint _timestamp;
    private bool _broken = true;

    /// <summary>Frames lost to a gap (dropped, or cut short).</summary>
    public int Dropped { get; private set; }

    /// <summary>
    /// Takes one packet's payload; returns a whole frame when this packet completes one that can be decoded
    /// (its RTP timestamp in <paramref name="frameTimestamp"/>), otherwise null.
    /// </summary>
    public byte[]? Push(ushort seq, uint timestamp, bool marker, ReadOnlySpan<byte> payload, out uint frameTimestamp)
    {
        frameTimestamp = timestamp;
        bool gap = _haveSeq && seq != _expectedSeq;
        _haveSeq = true;
        _expectedSeq = (ushort)(seq + 1);
        if (gap) Break(); // a packet went missing
        // Padding-only packets (bandwidth probes) carry no descriptor; they only move the sequence on.
        if (!Vp8Rtp.TryReadDescriptor(payload, out int offset, out bool start)) return null;
        if (start && _inFrame) Break(); // the previous frame never got its last packet
        if (start)
        {
            _frame.SetLength(0);
            _inFrame = true;
            _timestamp = timestamp;
        }
        else if (!_inFrame || timestamp != _timestamp)
        {
            if (_inFrame) Break();
            return null;
        }
        _frame.Write(payload[offset..]);
        if (!marker) return null;

        _inFrame = false;
        byte[] frame = _frame.ToArray();
        if (Vp8Clip.TryReadKeyFrameSize(frame, out _, out _)) _broken = false;
        if (_broken)
        {
            Dropped++;
            return null;
        }
        return frame;
    }

    private void Break()
    {
        if (_inFrame) Dropped++;
        _inFrame = false;
        _broken = true;
    }
}
