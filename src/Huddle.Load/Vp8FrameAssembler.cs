using Huddle.Media.Rtp;

namespace Huddle.Load;

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
        if (!Vp8Payload.TryReadDescriptor(payload, out int offset, out bool start)) return null;
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
        if (Vp8Payload.IsKeyFrame(frame)) _broken = false;
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
