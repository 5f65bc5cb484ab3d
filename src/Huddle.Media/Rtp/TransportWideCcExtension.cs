using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>
/// transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2): a 16-bit sequence
/// number that the sender increments for every packet on the transport, whatever the SSRC, so that
/// the receiver's feedback can describe the whole transport.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | L=1   |transport-wide sequence number |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public static class TransportWideCcExtension
{
    public const int Length = 2;

    /// <summary>
    /// Reads the sequence number. Longer data is accepted: libwebrtc's transport-wide-cc-02 appends a
    /// feedback request after the same two bytes.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out ushort sequenceNumber) =>
        BinaryPrimitives.TryReadUInt16BigEndian(data, out sequenceNumber);

    public static bool TryWrite(Span<byte> destination, ushort sequenceNumber) =>
        BinaryPrimitives.TryWriteUInt16BigEndian(destination, sequenceNumber);
}
