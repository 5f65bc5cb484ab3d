namespace Huddle.Media.Rtp;

/// <summary>
/// ssrc-audio-level (RFC 6464 §3): one byte carrying a voice-activity flag and the audio level in
/// -dBov, 0 (loudest) to 127 (silence). An SFU uses it to pick active speakers without decoding audio.
/// </summary>
/// <remarks>
/// <code>
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | len=0 |V| level       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public static class AudioLevelExtension
{
    public const int Length = 1;
    public const byte VoiceActivityBit = 0x80;
    public const byte LevelMask = 0x7F;
    /// <summary>127 -dBov: digital silence.</summary>
    public const byte Silence = 127;

    /// <summary>
    /// Reads the first byte. RFC 6464 §3 allows the element to be padded, so longer data is accepted.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out bool voiceActivity, out byte level)
    {
        if (data.IsEmpty)
        {
            voiceActivity = false;
            level = 0;
            return false;
        }
        voiceActivity = (data[0] & VoiceActivityBit) != 0;
        level = (byte)(data[0] & LevelMask);
        return true;
    }

    /// <summary>False when <paramref name="level"/> is above 127 or there is no room.</summary>
    public static bool TryWrite(Span<byte> destination, bool voiceActivity, byte level)
    {
        if (destination.IsEmpty || level > LevelMask) return false;
        destination[0] = (byte)((voiceActivity ? VoiceActivityBit : 0) | level);
        return true;
    }
}
