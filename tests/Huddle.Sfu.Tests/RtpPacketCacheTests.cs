using System.Buffers.Binary;
using Huddle.Sfu;

namespace Huddle.Sfu.Tests;

/// <summary>What a receiver that sent a NACK would see: the exact packet again, or nothing.</summary>
public sealed class RtpPacketCacheTests
{
    private const uint Ssrc = 0x1234_5678;

    /// <summary>An RTP packet whose payload encodes the sequence number and a generation, so a stale copy is told apart.</summary>
    private static byte[] Packet(ushort seq, int payloadLength = 100, byte generation = 0)
    {
        var p = new byte[12 + payloadLength];
        p[0] = 0x80;
        p[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), seq * 3000u);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), Ssrc);
        for (int i = 12; i < p.Length; i++) p[i] = (byte)(seq + i + generation * 7);
        return p;
    }

    private static byte[]? Get(RtpPacketCache cache, ushort seq)
    {
        var buffer = new byte[RtpPacketCache.SlotSize];
        return cache.TryGet(seq, buffer, out int length) ? buffer[..length] : null;
    }

    [Fact]
    public void Returns_exactly_the_stored_bytes()
    {
        var cache = new RtpPacketCache();
        var a = Packet(1000, 50);
        var b = Packet(1001, 1488); // 1500 bytes: fills a slot
        Assert.True(cache.Store(a));
        Assert.True(cache.Store(b));

        Assert.Equal(a, Get(cache, 1000));
        Assert.Equal(b, Get(cache, 1001));
        Assert.Null(Get(cache, 1002));
        Assert.Null(Get(cache, 999));
    }

    [Fact]
    public void Empty_cache_returns_nothing()
    {
        var cache = new RtpPacketCache();
        Assert.Null(Get(cache, 0));
        Assert.False(cache.TryGet(0, new byte[1500], out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void Keeps_the_last_capacity_packets_and_forgets_older_ones()
    {
        var cache = new RtpPacketCache(512);
        for (int i = 0; i < 2000; i++) Assert.True(cache.Store(Packet((ushort)i)));

        for (int i = 2000 - 512; i < 2000; i++) Assert.Equal(Packet((ushort)i), Get(cache, (ushort)i));
        for (int i = 0; i < 2000 - 512; i++) Assert.Null(Get(cache, (ushort)i));
    }

    [Fact]
    public void A_slot_whose_newer_packet_was_lost_does_not_return_the_stale_one()
    {
        var cache = new RtpPacketCache(512);
        for (int i = 0; i < 512; i++) cache.Store(Packet((ushort)(100 + i)));
        // 612 shares slot with 100; it is lost, the packets around it arrive.
        cache.Store(Packet(611));
        cache.Store(Packet(613));

        Assert.Null(Get(cache, 612));
        Assert.Null(Get(cache, 100)); // too old: out of the window although its bytes are still there
        Assert.Equal(Packet(613), Get(cache, 613));
    }

    [Fact]
    public void Wraps_around_65535()
    {
        var cache = new RtpPacketCache(64);
        for (int i = 65400; i < 65536 + 20; i++) Assert.True(cache.Store(Packet((ushort)i)));

        for (int i = 65536 + 20 - 64; i < 65536 + 20; i++) Assert.Equal(Packet((ushort)i), Get(cache, (ushort)i));
        Assert.Null(Get(cache, 65535 - 50));
        Assert.Null(Get(cache, 21));
    }

    [Fact]
    public void A_packet_from_a_previous_cycle_is_not_returned_for_the_same_number()
    {
        // Sequence number 7 of the previous cycle stays in its slot when the new 7 is lost: a NACK
        // for 7 must not get 65536 packets old media.
        var cache = new RtpPacketCache(16);
        cache.Store(Packet(7, generation: 1));
        for (int i = 8; i < 65536 + 7; i += 16) cache.Store(Packet((ushort)i)); // never touches slot 7
        cache.Store(Packet(8));

        Assert.Null(Get(cache, 7));
        Assert.Equal(Packet(8), Get(cache, 8));
    }

    [Fact]
    public void Reordered_and_repeated_packets_are_stored_in_place()
    {
        var cache = new RtpPacketCache(64);
        cache.Store(Packet(10));
        cache.Store(Packet(12));
        cache.Store(Packet(11)); // late
        cache.Store(Packet(12, generation: 2)); // repeat replaces

        Assert.Equal(Packet(10), Get(cache, 10));
        Assert.Equal(Packet(11), Get(cache, 11));
        Assert.Equal(Packet(12, generation: 2), Get(cache, 12));
    }

    [Fact]
    public void A_packet_older_than_the_window_does_not_evict_a_newer_one()
    {
        var cache = new RtpPacketCache(64);
        for (int i = 0; i < 200; i++) cache.Store(Packet((ushort)i));

        Assert.False(cache.Store(Packet(100))); // 100 shares its slot with 164
        Assert.Equal(Packet(164), Get(cache, 164));
        Assert.Null(Get(cache, 100));
    }

    [Fact]
    public void A_large_forward_jump_keeps_older_packets_only_when_they_are_still_exact()
    {
        var cache = new RtpPacketCache(64);
        for (int i = 0; i < 10; i++) cache.Store(Packet((ushort)i));
        cache.Store(Packet(5000));

        Assert.Equal(Packet(5000), Get(cache, 5000));
        Assert.Null(Get(cache, 4936)); // same slot as 5000, never stored
        Assert.Null(Get(cache, 5001));
    }

    [Fact]
    public void Bad_input_is_refused_without_throwing()
    {
        var cache = new RtpPacketCache();
        var good = Packet(1);

        Assert.False(cache.Store(default));
        Assert.False(cache.Store(good.AsSpan(0, 11))); // shorter than the fixed header
        var v1 = (byte[])good.Clone();
        v1[0] = 0x40; // version 1
        Assert.False(cache.Store(v1));
        var csrcs = (byte[])good.Clone();
        csrcs[0] = 0x8F; // 15 CSRCs announced, 100 bytes present: fine; in 20 bytes: truncated
        Assert.False(cache.Store(csrcs.AsSpan(0, 20)));
        var extension = Packet(2, 0);
        extension[0] = 0x90; // X set, but no extension header
        Assert.False(cache.Store(extension));
        var padding = Packet(3, 4);
        padding[0] = 0xA0;
        padding[^1] = 200; // padding longer than the packet
        Assert.False(cache.Store(padding));
        Assert.False(cache.Store(Packet(4, 1489))); // 1501 bytes: larger than a slot

        Assert.Null(Get(cache, 1));
        Assert.Null(Get(cache, 4));
    }

    [Fact]
    public void A_destination_too_short_gets_nothing()
    {
        var cache = new RtpPacketCache();
        cache.Store(Packet(1, 100));
        Assert.False(cache.TryGet(1, new byte[111], out int length));
        Assert.Equal(0, length);
        Assert.True(cache.TryGet(1, new byte[112], out length));
        Assert.Equal(112, length);
    }

    [Fact]
    public void Clear_forgets_everything()
    {
        var cache = new RtpPacketCache();
        cache.Store(Packet(1));
        cache.Clear();
        Assert.Null(Get(cache, 1));
        Assert.True(cache.Store(Packet(40000)));
        Assert.Equal(Packet(40000), Get(cache, 40000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(500)]
    [InlineData(16384)]
    public void Capacity_must_be_a_power_of_two_in_range(int capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtpPacketCache(capacity));
    }

    [Fact]
    public void Storing_and_fetching_do_not_allocate()
    {
        var cache = new RtpPacketCache();
        var packet = Packet(0, 1000);
        var buffer = new byte[1500];
        long sum = Run(cache, packet, buffer, 0); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run(cache, packet, buffer, 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);

        static long Run(RtpPacketCache cache, byte[] packet, byte[] buffer, int start)
        {
            long sum = 0;
            for (int i = start; i < start + 10_000; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
                cache.Store(packet);
                if (cache.TryGet((ushort)(i - 5), buffer, out int length)) sum += length;
            }
            return sum;
        }
    }
}
