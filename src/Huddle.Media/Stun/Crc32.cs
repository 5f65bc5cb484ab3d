namespace Huddle.Media.Stun;

/// <summary>CRC-32 as in ISO 3309 / ITU-T V.42 (polynomial 0xEDB88320, reflected), which FINGERPRINT uses.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Continue(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running register (start with 0xFFFFFFFF, end by inverting).</summary>
    public static uint Continue(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        foreach (byte b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
