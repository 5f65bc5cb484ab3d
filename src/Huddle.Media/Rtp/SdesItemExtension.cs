namespace Huddle.Media.Rtp;

/// <summary>
/// The SDES-item header extensions: sdes:mid (RFC 8843 §15.2), rtp-stream-id and
/// repaired-rtp-stream-id (RFC 8852 §3). Their data is the item text itself, ASCII with no length
/// byte and no terminator, handed out as the span inside the packet.
/// </summary>
public static class SdesItemExtension
{
    /// <summary>
    /// RFC 8852 §3.1 limits rid to 255 bytes of RFC 8851 rid-syntax; the one-byte form fits at most 16.
    /// </summary>
    public const int MaxLength = 255;

    /// <summary>
    /// True for a plausible identifier: 1..255 bytes of visible ASCII. Both mid (an RFC 5888 token)
    /// and rid (alphanumerics, '-' and '_') fall in that set, and it keeps control bytes out of logs.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > MaxLength) return false;
        foreach (byte b in value)
        {
            if (b < 0x21 || b > 0x7E) return false;
        }
        return true;
    }

    /// <summary>Compares the extension's bytes with <paramref name="expected"/> (ordinal, case-sensitive), without decoding.</summary>
    public static bool AsciiEquals(ReadOnlySpan<byte> value, ReadOnlySpan<char> expected)
    {
        if (value.Length != expected.Length) return false;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != expected[i]) return false;
        }
        return true;
    }

    /// <summary>Writes <paramref name="value"/> as ASCII. False for non-ASCII characters, an empty or overlong value, or too little room.</summary>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<char> value, out int written)
    {
        written = 0;
        if (value.IsEmpty || value.Length > MaxLength || value.Length > destination.Length) return false;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] > 0x7F) return false;
            destination[i] = (byte)value[i];
        }
        written = value.Length;
        return true;
    }

    /// <summary>Decodes the value to a string (allocates; for signaling and logs, not the packet path).</summary>
    public static string GetString(ReadOnlySpan<byte> value) => System.Text.Encoding.ASCII.GetString(value);
}
