using System.Buffers.Binary;
using Huddle.Media.Srtp;

namespace Huddle.Media.Tests;

public sealed class SrtpTests
{
    public static TheoryData<SrtpProfile> Profiles => new() { SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1_80 };

    private static (SrtpContext sender, SrtpContext receiver) Pair(SrtpProfile profile)
    {
        var key = new byte[SrtpProfiles.KeyLength(profile)];
        var salt = new byte[SrtpProfiles.SaltLength(profile)];
        new Random(1).NextBytes(key);
        new Random(2).NextBytes(salt);
        return (new SrtpContext(profile, key, salt), new SrtpContext(profile, key, salt));
    }

    /// <summary>
    /// v=2 X=1 CC=1, PT 96, a CSRC, a one-byte header extension (mid "0"), then payload bytes.
    /// </summary>
    internal static byte[] RtpPacket(ushort seq, uint ssrc = 0x11223344, int payload = 1200)
    {
        var packet = new byte[12 + 4 + 8 + payload];
        packet[0] = 0x91; // v=2, X=1, CC=1
        packet[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 3000u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), 0xCAFEBABE); // CSRC
        packet[16] = 0xBE; packet[17] = 0xDE; packet[18] = 0x00; packet[19] = 0x01; // one-byte extension, 1 word
        packet[20] = 0x10; packet[21] = (byte)'0'; // id 1 len 1 "0"
        for (int i = 24; i < packet.Length; i++) packet[i] = (byte)(i * 7 + seq);
        return packet;
    }

    private static byte[] Protect(SrtpContext context, byte[] plain, bool rtcp = false)
    {
        var buffer = new byte[plain.Length + 32];
        plain.CopyTo(buffer, 0);
        int length;
        Assert.True(rtcp ? context.TryProtectRtcp(buffer, plain.Length, out length) : context.TryProtectRtp(buffer, plain.Length, out length));
        return buffer[..length];
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_context_full_of_streams_takes_a_new_ssrc_only_in_place_of_an_idle_one(SrtpProfile profile)
    {
        // An SFU subscriber sees a new SSRC for everyone who comes to a long meeting: the state of
        // streams gone quiet must make way, and streams in use must not be pushed out.
        var (sender, receiver) = Pair(profile);
        for (uint ssrc = 1; ssrc <= SrtpContext.MaxStreams; ssrc++)
        {
            byte[] sent = Protect(sender, RtpPacket(1, ssrc, payload: 20));
            Assert.True(receiver.TryUnprotectRtp(sent, sent.Length, out _));
        }
        uint extra = SrtpContext.MaxStreams + 1;
        var buffer = new byte[RtpPacket(1, extra, payload: 20).Length + 32];
        RtpPacket(1, extra, payload: 20).CopyTo(buffer, 0);
        Assert.False(sender.TryProtectRtp(buffer, buffer.Length - 32, out _)); // all are recent: bounded, nothing evicted

        sender.IdleStreamEvictMs = 0;
        receiver.IdleStreamEvictMs = 0;
        byte[] fresh = Protect(sender, RtpPacket(1, extra, payload: 20));
        Assert.True(receiver.TryUnprotectRtp(fresh, fresh.Length, out _));
        // The newcomer's stream goes on (its replay window kept), and a forged packet is still refused.
        byte[] next = Protect(sender, RtpPacket(2, extra, payload: 20));
        Assert.True(receiver.TryUnprotectRtp(next, next.Length, out _));
        byte[] forged = Protect(sender, RtpPacket(3, extra + 1, payload: 20));
        forged[^1] ^= 1;
        Assert.False(receiver.TryUnprotectRtp(forged, forged.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Rtp_round_trips_with_csrc_and_extension_and_the_payload_is_encrypted(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        byte[] plain = RtpPacket(1000);
        byte[] wire = Protect(sender, plain);
        Assert.Equal(plain.Length + SrtpProfiles.RtpOverhead(profile), wire.Length);
        Assert.Equal(plain[..24], wire[..24]); // the header stays readable
        Assert.NotEqual(plain[24..], wire[24..plain.Length]);
        Assert.True(receiver.TryUnprotectRtp(wire, wire.Length, out int length));
        Assert.Equal(plain, wire[..length]);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Rtcp_round_trips(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        // RR from SSRC 1 with one report block, then a PLI.
        byte[] plain = Convert.FromHexString("81c90007" + "00000001" + "11223344" + "00000005" + "0000ffff" + "00000010" + "00000000" + "00000000"
            + "81ce0002" + "00000001" + "11223344");
        for (int i = 0; i < 3; i++)
        {
            byte[] wire = Protect(sender, plain, rtcp: true);
            Assert.Equal(plain.Length + SrtpProfiles.RtcpOverhead(profile), wire.Length);
            Assert.True(receiver.TryUnprotectRtcp(wire, wire.Length, out int length));
            Assert.Equal(plain, wire[..length]);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Any_changed_byte_makes_unprotect_fail(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        byte[] wire = Protect(sender, RtpPacket(5, payload: 100));
        for (int i = 0; i < wire.Length; i++)
        {
            var (_, receiver) = Pair(profile);
            byte[] copy = (byte[])wire.Clone();
            copy[i] ^= 0x20;
            Assert.False(receiver.TryUnprotectRtp(copy, copy.Length, out _), $"byte {i} changed, packet accepted");
        }
        byte[] rtcp = Protect(sender, Convert.FromHexString("81ce0002000000011122334400000000"[..24]), rtcp: true);
        for (int i = 0; i < rtcp.Length; i++)
        {
            var (_, receiver) = Pair(profile);
            byte[] copy = (byte[])rtcp.Clone();
            copy[i] ^= 0x01;
            Assert.False(receiver.TryUnprotectRtcp(copy, copy.Length, out _), $"RTCP byte {i} changed, packet accepted");
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_replayed_packet_is_dropped(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        byte[] wire = Protect(sender, RtpPacket(7));
        Assert.True(receiver.TryUnprotectRtp((byte[])wire.Clone(), wire.Length, out _));
        Assert.False(receiver.TryUnprotectRtp((byte[])wire.Clone(), wire.Length, out _));

        byte[] rtcp = Protect(sender, Convert.FromHexString("81ce00020000000111223344"), rtcp: true);
        Assert.True(receiver.TryUnprotectRtcp((byte[])rtcp.Clone(), rtcp.Length, out _));
        Assert.False(receiver.TryUnprotectRtcp((byte[])rtcp.Clone(), rtcp.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void The_rollover_counter_carries_across_sequence_wraparound(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        // 65530 … 65535, 0 … 10: the ROC goes to 1 on both sides; a receiver that kept ROC 0 would fail the tag.
        for (int n = 65530; n < 65536 + 10; n++)
        {
            byte[] plain = RtpPacket((ushort)n, payload: 50);
            byte[] wire = Protect(sender, plain);
            Assert.True(receiver.TryUnprotectRtp(wire, wire.Length, out int length), $"packet {n} rejected");
            Assert.Equal(plain, wire[..length]);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Reordered_packets_within_the_window_are_accepted_once(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        var wires = Enumerable.Range(100, 50).Select(n => Protect(sender, RtpPacket((ushort)n, payload: 20))).ToList();
        // Deliver in reverse order, then everything again.
        for (int i = wires.Count - 1; i >= 0; i--) Assert.True(receiver.TryUnprotectRtp((byte[])wires[i].Clone(), wires[i].Length, out _));
        foreach (byte[] wire in wires) Assert.False(receiver.TryUnprotectRtp((byte[])wire.Clone(), wire.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Packets_older_than_the_window_are_dropped(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        byte[] old = Protect(sender, RtpPacket(1, payload: 20));
        byte[] late = Protect(sender, RtpPacket(1 + ReplayWindow.Size + 5, payload: 20));
        Assert.True(receiver.TryUnprotectRtp(late, late.Length, out _));
        Assert.False(receiver.TryUnprotectRtp(old, old.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Dtls_keying_material_gives_matching_contexts_on_both_sides(SrtpProfile profile)
    {
        var material = new byte[DtlsSrtpKeys.ExportLength(profile)];
        new Random(3).NextBytes(material);
        var (clientLocal, clientRemote) = DtlsSrtpKeys.CreateContexts(profile, material, weAreDtlsClient: true);
        var (serverLocal, serverRemote) = DtlsSrtpKeys.CreateContexts(profile, material, weAreDtlsClient: false);

        byte[] fromClient = Protect(clientLocal, RtpPacket(1));
        Assert.True(serverRemote.TryUnprotectRtp(fromClient, fromClient.Length, out _));
        byte[] fromServer = Protect(serverLocal, RtpPacket(1));
        Assert.True(clientRemote.TryUnprotectRtp(fromServer, fromServer.Length, out _));
        // The two directions use different keys.
        byte[] again = Protect(clientLocal, RtpPacket(2));
        Assert.False(clientRemote.TryUnprotectRtp(again, again.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Protect_and_unprotect_allocate_nothing_per_packet(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        byte[] plain = RtpPacket(0);
        var buffer = new byte[plain.Length + 32];
        void RoundTrip(int i)
        {
            plain.CopyTo(buffer, 0);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)i);
            sender.TryProtectRtp(buffer, plain.Length, out int n);
            receiver.TryUnprotectRtp(buffer, n, out _);
        }
        for (int i = 0; i < 100; i++) RoundTrip(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < 10_100; i++) RoundTrip(i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Truncated_and_mutated_packets_are_refused_without_throwing(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        byte[] rtp = Protect(sender, RtpPacket(9, payload: 200));
        byte[] rtcp = Protect(sender, Convert.FromHexString("81ce00020000000111223344"), rtcp: true);
        var (_, receiver) = Pair(profile);
        foreach (byte[] wire in new[] { rtp, rtcp })
        {
            for (int cut = 0; cut < wire.Length; cut++)
            {
                byte[] copy = wire[..cut];
                Assert.False(receiver.TryUnprotectRtp(copy, copy.Length, out _));
                Assert.False(receiver.TryUnprotectRtcp(copy, copy.Length, out _));
            }
            foreach (byte[] mutant in Mutations.Of(wire, 2000, seed: 11))
            {
                Assert.False(receiver.TryUnprotectRtp(mutant, mutant.Length, out _));
                Assert.False(receiver.TryUnprotectRtcp(mutant, mutant.Length, out _));
            }
        }
        // Lengths that lie about the buffer.
        Assert.False(receiver.TryUnprotectRtp(rtp, rtp.Length + 1, out _));
        Assert.False(sender.TryProtectRtp(new byte[20], 30, out _));
        Assert.False(sender.TryProtectRtp(RtpPacket(1), RtpPacket(1).Length, out _)); // no room for the tag
    }
}
