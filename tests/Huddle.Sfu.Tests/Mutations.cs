namespace Huddle.Sfu.Tests;

/// <summary>Seeded random damage to a valid input: bytes flipped, set, inserted, removed; cut short or lengthened.</summary>
internal static class Mutations
{
    public static IEnumerable<byte[]> Of(byte[] input, int count, int seed = 1)
    {
        var random = new Random(seed);
        for (int n = 0; n < count; n++)
        {
            var bytes = new List<byte>(input);
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
                switch (random.Next(6))
                {
                    case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    case 1 when bytes.Count > 0: bytes[at] = (byte)random.Next(256); break;
                    case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                    case 3 when bytes.Count > 0: bytes.RemoveAt(at); break;
                    case 4 when bytes.Count > 0: bytes.RemoveRange(at, bytes.Count - at); break;
                    default: bytes.AddRange(Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256))); break;
                }
            }
            yield return bytes.ToArray();
        }
    }
}
