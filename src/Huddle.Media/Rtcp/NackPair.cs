using System.Numerics;

namespace Huddle.Media.Rtcp;

/// <summary>
/// One Generic NACK FCI entry: a lost packet id and a bitmask of the 16 packets after it that were
/// lost too (bit i set: PID + i + 1 lost).
/// </summary>
/// <remarks>
/// RFC 4585 §6.2.1:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            PID                |             BLP               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly record struct NackPair(ushort PacketId, ushort LostPacketBitmask)
{
    public const int Size = 4;
    /// <summary>One pair covers PID and the 16 sequence numbers after it.</summary>
    public const int MaxLostPerPair = 17;

    public int LostCount => 1 + BitOperations.PopCount(LostPacketBitmask);

    /// <summary>Writes the lost sequence numbers (PID first, then ascending) and returns how many; <paramref name="destination"/> needs 17.</summary>
    public int CopyLostTo(Span<ushort> destination)
    {
        int n = 0;
        destination[n++] = PacketId;
        for (int bit = 0; bit < 16; bit++)
        {
            if ((LostPacketBitmask & (1 << bit)) != 0) destination[n++] = (ushort)(PacketId + bit + 1);
        }
        return n;
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>The lost sequence numbers of this pair, without allocation.</summary>
    public struct Enumerator
    {
        private readonly NackPair _pair;
        private int _bit; // -1: PID itself; 0..15: BLP bits

        internal Enumerator(NackPair pair)
        {
            _pair = pair;
            _bit = -2;
            Current = 0;
        }

        public ushort Current { get; private set; }

        public bool MoveNext()
        {
            while (++_bit < 16)
            {
                if (_bit == -1 || (_pair.LostPacketBitmask & (1 << _bit)) != 0)
                {
                    Current = (ushort)(_pair.PacketId + _bit + 1);
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// Packs lost sequence numbers into pairs. Numbers that follow a pair's PID by 1..16 (modulo
    /// 2^16, so lists that wrap are fine) join it; any other starts a new pair; repeats of a PID are
    /// dropped. Sorted input gives the fewest pairs; any order gives a correct set. At most
    /// <c>lost.Length</c> pairs are needed. False when <paramref name="destination"/> is too short.
    /// </summary>
    public static bool TryBuild(ReadOnlySpan<ushort> lost, Span<NackPair> destination, out int count)
    {
        count = 0;
        foreach (ushort seq in lost)
        {
            if (count > 0)
            {
                var last = destination[count - 1];
                int distance = (ushort)(seq - last.PacketId);
                if (distance == 0) continue;
                if (distance <= 16)
                {
                    destination[count - 1] = last with { LostPacketBitmask = (ushort)(last.LostPacketBitmask | (1 << (distance - 1))) };
                    continue;
                }
            }
            if (count == destination.Length) return false;
            destination[count++] = new NackPair(seq, 0);
        }
        return true;
    }

    /// <summary>Like <see cref="TryBuild"/>, returning a new array (allocates; for control paths).</summary>
    public static NackPair[] Build(ReadOnlySpan<ushort> lost)
    {
        var pairs = new NackPair[lost.Length];
        TryBuild(lost, pairs, out int count);
        return pairs[..count];
    }
}
