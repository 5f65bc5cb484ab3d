namespace Huddle.Sfu;

/// <summary>
/// Extends 16-bit RTP sequence numbers to 64-bit ones so that comparisons survive the wrap from
/// 65535 to 0 (RFC 3550 §A.1 keeps a cycle count for the same reason).
/// </summary>
internal static class RtpSequence
{
    /// <summary>
    /// The extended sequence number with the low 16 bits <paramref name="seq"/> that lies closest to
    /// <paramref name="reference"/>: up to 32767 ahead or 32768 behind it. RFC 1982 serial number
    /// arithmetic leaves a number exactly half the space away undefined; here it counts as older.
    /// </summary>
    public static long Unwrap(long reference, ushort seq) => reference + (short)(ushort)(seq - (ushort)reference);
}
