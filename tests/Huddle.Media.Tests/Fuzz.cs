namespace Huddle.Media.Tests;

/// <summary>
/// Seeded mutation fuzzing for packet parsers: every prefix of a vector, and random edits of it
/// (bit flips, byte stores, length-field stores, inserts, deletes, truncations, duplications).
/// Parsers under test must answer true or false without throwing, and whatever they hand out must
/// lie inside the input.
/// </summary>
public static class Fuzz
{
    /// <summary>Mutations per vector in the packet tests (the brief asks for at least 2,000).</summary>
    public const int MutationCount = 2500;

    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x03, 0x0F, 0x10, 0x1F, 0x20, 0x7F, 0x80, 0x81, 0xBE, 0xDE, 0xC8, 0xCE, 0xFE, 0xFF];

    /// <summary>Every prefix of <paramref name="seed"/>, from empty to one byte short of whole.</summary>
    public static IEnumerable<byte[]> Truncations(byte[] seed)
    {
        for (int length = 0; length < seed.Length; length++)
        {
            yield return seed.AsSpan(0, length).ToArray();
        }
    }

    /// <summary><paramref name="count"/> mutated copies of <paramref name="seed"/>, reproducible from <paramref name="randomSeed"/>.</summary>
    public static IEnumerable<byte[]> Mutations(byte[] seed, int count, int randomSeed)
    {
        var random = new Random(randomSeed);
        for (int i = 0; i < count; i++)
        {
            var bytes = new List<byte>(seed);
            int edits = random.Next(1, 5);
            for (int e = 0; e < edits; e++) Mutate(bytes, random);
            yield return bytes.ToArray();
        }
    }

    private static void Mutate(List<byte> bytes, Random random)
    {
        int op = random.Next(9);
        if (bytes.Count == 0) op = 3; // only inserting makes sense
        int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (op)
        {
            case 0: // flip one bit
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // store a random byte
                bytes[at] = (byte)random.Next(256);
                break;
            case 2: // store a boundary value
                bytes[at] = Interesting[random.Next(Interesting.Length)];
                break;
            case 3: // insert a few random bytes
            {
                int n = random.Next(1, 9);
                int where = random.Next(bytes.Count + 1);
                for (int k = 0; k < n; k++) bytes.Insert(where, (byte)random.Next(256));
                break;
            }
            case 4: // delete a few bytes
            {
                int n = Math.Min(random.Next(1, 9), bytes.Count - at);
                bytes.RemoveRange(at, n);
                break;
            }
            case 5: // store a 16-bit big-endian length-like value; favour the length fields at offset 2
            {
                if (bytes.Count < 2) break;
                int where = random.Next(3) == 0 ? Math.Min(2, bytes.Count - 2) : random.Next(bytes.Count - 1);
                int value = random.Next(4) switch
                {
                    0 => random.Next(4),
                    1 => random.Next(64),
                    2 => 0xFFFF,
                    _ => random.Next(0x10000),
                };
                bytes[where] = (byte)(value >> 8);
                bytes[where + 1] = (byte)value;
                break;
            }
            case 6: // truncate
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 7: // duplicate a slice in place
            {
                int n = Math.Min(random.Next(1, 17), bytes.Count - at);
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, n));
                break;
            }
            default: // append random bytes
            {
                int n = random.Next(1, 9);
                for (int k = 0; k < n; k++) bytes.Add((byte)random.Next(256));
                break;
            }
        }
    }

    /// <summary>Runs <paramref name="target"/> on every truncation and on <see cref="MutationCount"/> mutations.</summary>
    /// <returns>How many inputs <paramref name="target"/> accepted, so that tests can check the fuzzing reaches the parsers.</returns>
    public static int Run(byte[] seed, Func<byte[], bool> target, int randomSeed, int count = MutationCount)
    {
        int accepted = 0;
        foreach (var input in Truncations(seed))
        {
            if (target(input)) accepted++;
        }
        foreach (var input in Mutations(seed, count, randomSeed))
        {
            if (target(input)) accepted++;
        }
        return accepted;
    }

    /// <summary>A random seed derived from a test name, stable across runs (string.GetHashCode is not).</summary>
    public static int SeedFor(string name)
    {
        uint hash = 2166136261; // FNV-1a
        foreach (char c in name) hash = (hash ^ c) * 16777619;
        return (int)hash;
    }

    /// <summary>Asserts that <paramref name="part"/> is empty or lies entirely inside <paramref name="buffer"/>.</summary>
    public static void AssertWithin(ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> part)
    {
        if (part.IsEmpty) return;
        Assert.True(buffer.Overlaps(part, out int offset), "span is outside the input");
        Assert.True(offset >= 0 && offset + part.Length <= buffer.Length, $"span [{offset}, {offset + part.Length}) is outside [0, {buffer.Length})");
    }
}

/// <summary>Test vectors are written as hex with spaces between fields; this strips the spaces.</summary>
public static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
