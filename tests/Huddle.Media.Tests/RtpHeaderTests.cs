using System.Buffers.Binary;
using Huddle.Media.Rtp;

namespace Huddle.Media.Tests;

public sealed class RtpHeaderTests
{
    [Fact]
    public void Chrome_opus_packet_parses_field_by_field()
    {
        byte[] packet = RtpVectors.ChromeOpus;
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.Equal(2, h.Version);
        Assert.False(h.HasPadding);
        Assert.True(h.HasExtension);
        Assert.Equal(0, h.CsrcCount);
        Assert.False(h.Marker);
        Assert.Equal(111, h.PayloadType);
        Assert.Equal(6699, h.SequenceNumber);
        Assert.Equal(768128u, h.Timestamp);
        Assert.Equal(0x5e4f1a2cu, h.Ssrc);
        Assert.True(h.CsrcBytes.IsEmpty);
        Assert.Equal(RtpHeaderExtensions.OneByteProfile, h.ExtensionProfile);
        Assert.Equal(16, h.ExtensionBlock.Length);
        Assert.Equal(12, h.ExtensionData.Length);
        Assert.Equal(28, h.HeaderLength);
        Assert.Equal(28, h.PayloadOffset);
        Assert.Equal(12, h.PayloadLength);
        Assert.Equal(0, h.PaddingLength);
        Assert.Equal("780be4c136ecc58d8c494699", Hex.Of(h.Payload));

        var ext = h.Extensions;
        Assert.Equal(RtpExtensionForm.OneByte, ext.Form);
        Assert.True(ext.IsWellFormed);
        Assert.Equal(4, ext.Count);

        Assert.True(ext.TryGet(1, out var level));
        Assert.True(AudioLevelExtension.TryRead(level, out bool voice, out byte dbov));
        Assert.True(voice);
        Assert.Equal(127, dbov);

        Assert.True(ext.TryGet(2, out var ast));
        Assert.True(AbsSendTimeExtension.TryRead(ast, out uint sendTime));
        Assert.Equal(0x123456u, sendTime);

        Assert.True(ext.TryGet(3, out var twcc));
        Assert.True(TransportWideCcExtension.TryRead(twcc, out ushort twccSeq));
        Assert.Equal(5, twccSeq);

        Assert.True(ext.TryGet(4, out var mid));
        Assert.True(SdesItemExtension.AsciiEquals(mid, "0"));
        Assert.False(SdesItemExtension.AsciiEquals(mid, "1"));

        Assert.False(ext.TryGet(5, out _));
        AssertRoundTrips(packet);
    }

    [Fact]
    public void Chrome_vp8_packet_parses_marker_and_rid()
    {
        byte[] packet = RtpVectors.ChromeVp8;
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.True(h.Marker);
        Assert.Equal(96, h.PayloadType);
        Assert.Equal(12345, h.SequenceNumber);
        Assert.Equal(0x5d2c1a40u, h.Timestamp);
        Assert.Equal(0xa1b2c3d4u, h.Ssrc);
        Assert.Equal(11, h.PayloadLength);

        var ids = new List<int>();
        foreach (var e in h.Extensions) ids.Add(e.Id);
        Assert.Equal([2, 3, 4, 10], ids);

        Assert.True(h.Extensions.TryGet(3, out var twcc));
        Assert.True(TransportWideCcExtension.TryRead(twcc, out ushort seq));
        Assert.Equal(300, seq);
        Assert.True(h.Extensions.TryGet(4, out var mid));
        Assert.True(SdesItemExtension.AsciiEquals(mid, "1"));
        Assert.True(h.Extensions.TryGet(10, out var rid));
        Assert.True(SdesItemExtension.IsValid(rid));
        Assert.Equal("h", SdesItemExtension.GetString(rid));
        AssertRoundTrips(packet);
    }

    [Fact]
    public void Two_byte_extension_packet_parses_zero_length_and_large_ids()
    {
        byte[] packet = RtpVectors.TwoByteExtension;
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.Equal(0x1000, h.ExtensionProfile);
        var ext = h.Extensions;
        Assert.Equal(RtpExtensionForm.TwoByte, ext.Form);

        var seen = new List<(int, string)>();
        foreach (var e in ext) seen.Add((e.Id, Hex.Of(e.Data)));
        Assert.Equal([(1, ""), (4, "31"), (32, "deadbeef")], seen);
        Assert.Equal("01020304", Hex.Of(h.Payload));
        AssertRoundTrips(packet);
    }

    [Fact]
    public void Csrcs_and_padding_are_read_and_padding_is_removed_from_the_payload()
    {
        byte[] packet = RtpVectors.CsrcsAndPadding;
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.True(h.HasPadding);
        Assert.False(h.HasExtension);
        Assert.Equal(2, h.CsrcCount);
        Assert.Equal(1u, h.GetCsrc(0));
        Assert.Equal(2u, h.GetCsrc(1));
        Assert.Equal(8, h.PayloadType);
        Assert.Equal(100, h.SequenceNumber);
        Assert.Equal(8000u, h.Timestamp);
        Assert.Equal(42u, h.Ssrc);
        Assert.Equal(0, h.ExtensionProfile);
        Assert.True(h.ExtensionBlock.IsEmpty);
        Assert.Equal(0, h.Extensions.Count);
        Assert.Equal(20, h.HeaderLength);
        Assert.Equal(4, h.PayloadLength);
        Assert.Equal(4, h.PaddingLength);
        Assert.Equal("d5d5d5d5", Hex.Of(h.Payload));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            RtpHeader.TryParse(RtpVectors.CsrcsAndPadding, out var again);
            return again.GetCsrc(2);
        });
        AssertRoundTrips(packet);
    }

    [Fact]
    public void Padding_only_probe_has_an_empty_payload()
    {
        byte[] packet = RtpVectors.PaddingOnlyProbe;
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.Equal(97, h.PayloadType);
        Assert.Equal(0, h.PayloadLength);
        Assert.Equal(16, h.PaddingLength);
        Assert.True(h.Extensions.TryGet(3, out var twcc));
        Assert.True(TransportWideCcExtension.TryRead(twcc, out ushort seq));
        Assert.Equal(301, seq);
        AssertRoundTrips(packet);
    }

    /// <summary>
    /// View copy, writer with the raw extension block, and writer with re-encoded elements must all
    /// give back the input byte for byte.
    /// </summary>
    private static void AssertRoundTrips(byte[] packet)
    {
        Assert.True(RtpHeader.TryParse(packet, out var h));
        var copy = new byte[h.Length];
        Assert.True(h.TryWrite(copy, out int copied));
        Assert.Equal(packet.Length, copied);
        Assert.Equal(packet, copy);
        Assert.False(h.TryWrite(new byte[h.Length - 1], out _));

        var fields = new RtpHeaderFields
        {
            Marker = h.Marker,
            PayloadType = h.PayloadType,
            SequenceNumber = h.SequenceNumber,
            Timestamp = h.Timestamp,
            Ssrc = h.Ssrc,
        };
        var csrcs = new uint[h.CsrcCount];
        for (int i = 0; i < csrcs.Length; i++) csrcs[i] = h.GetCsrc(i);

        int length = RtpPacketWriter.GetLength(csrcs.Length, h.ExtensionBlock.Length, h.PayloadLength, h.PaddingLength);
        Assert.Equal(packet.Length, length);
        var raw = new byte[length];
        Assert.True(RtpPacketWriter.TryWrite(raw, fields, csrcs, h.ExtensionBlock, h.Payload, h.PaddingLength, out int written));
        Assert.Equal(length, written);
        Assert.Equal(Hex.Of(packet), Hex.Of(raw));
        Assert.False(RtpPacketWriter.TryWrite(new byte[length - 1], fields, csrcs, h.ExtensionBlock, h.Payload, h.PaddingLength, out _));

        var entries = new List<RtpHeaderExtensionEntry>();
        foreach (var e in h.Extensions) entries.Add(new RtpHeaderExtensionEntry(e.Id, e.Data.ToArray()));
        var rebuilt = new byte[length];
        Assert.True(RtpPacketWriter.TryWrite(rebuilt, fields, csrcs, entries.ToArray(), h.Payload, h.PaddingLength, out written));
        Assert.Equal(length, written);
        Assert.Equal(Hex.Of(packet), Hex.Of(rebuilt));
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("806f00010000000100000a")] // 11 bytes: one short of the fixed header
    [InlineData("406f0001000000010000000a")] // v=1
    [InlineData("c06f0001000000010000000a")] // v=3
    [InlineData("006f0001000000010000000a")] // v=0
    [InlineData("816f0001000000010000000a")] // cc=1 but no CSRC
    [InlineData("8f6f0001000000010000000a00000001")] // cc=15 but one CSRC
    [InlineData("906f0001000000010000000a")] // x=1 but no extension header
    [InlineData("906f0001000000010000000abe")] // x=1, half an extension header
    [InlineData("906f0001000000010000000abede0001")] // extension length 1 word, no body
    [InlineData("906f0001000000010000000abedeffff10ff0000")] // extension length 65535 words
    [InlineData("a06f0001000000010000000a")] // p=1 but nothing to pad
    [InlineData("a06f0001000000010000000a00")] // padding count 0
    [InlineData("a06f0001000000010000000a0003")] // padding count 3, only 2 bytes after the header
    [InlineData("b06f0001000000010000000abede000010ff0000")] // p=1 x=1, count 0 after the extension
    public void Rejects_malformed_headers(string hex)
    {
        Assert.False(RtpHeader.TryParse(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Padding_may_fill_everything_after_the_header()
    {
        Assert.True(RtpHeader.TryParse(Hex.Bytes("a06f0001000000010000000a 0002"), out var h));
        Assert.Equal(0, h.PayloadLength);
        Assert.Equal(2, h.PaddingLength);
        Assert.True(h.Payload.IsEmpty);
    }

    [Fact]
    public void Padding_count_may_not_reach_into_the_header()
    {
        // p=1, 12-byte header, one payload byte and a count of 3: two bytes would lie in the header.
        Assert.False(RtpHeader.TryParse(Hex.Bytes("a06f0001000000010000000a ff 03"), out _));
        Assert.True(RtpHeader.TryParse(Hex.Bytes("a06f0001000000010000000a ff 01"), out var h));
        Assert.Equal(1, h.PayloadLength);
    }

    [Fact]
    public void Setters_rewrite_in_place_and_keep_the_other_fields()
    {
        byte[] packet = (byte[])RtpVectors.ChromeVp8.Clone();
        Assert.True(RtpHeader.SetSsrc(packet, 0xcafebabe));
        Assert.True(RtpHeader.SetSequenceNumber(packet, 65535));
        Assert.True(RtpHeader.SetTimestamp(packet, 0x01020304));
        Assert.True(RtpHeader.SetPayloadType(packet, 100));
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.Equal(0xcafebabeu, h.Ssrc);
        Assert.Equal(65535, h.SequenceNumber);
        Assert.Equal(0x01020304u, h.Timestamp);
        Assert.Equal(100, h.PayloadType);
        Assert.True(h.Marker); // SetPayloadType keeps the marker
        Assert.Equal(RtpVectors.ChromeVp8.AsSpan(12).ToArray(), packet.AsSpan(12).ToArray());

        Assert.True(RtpHeader.SetMarker(packet, false));
        Assert.True(RtpHeader.TryParse(packet, out h));
        Assert.False(h.Marker);
        Assert.Equal(100, h.PayloadType);
        Assert.True(RtpHeader.SetMarker(packet, true));
        Assert.Equal(0xe4, packet[1]);

        Assert.False(RtpHeader.SetPayloadType(packet, 128));
        Assert.Equal(0xe4, packet[1]);
        var tiny = new byte[11];
        Assert.False(RtpHeader.SetSsrc(tiny, 1));
        Assert.False(RtpHeader.SetSequenceNumber(tiny, 1));
        Assert.False(RtpHeader.SetTimestamp(tiny, 1));
        Assert.False(RtpHeader.SetPayloadType(tiny, 1));
        Assert.False(RtpHeader.SetMarker(tiny, true));
        Assert.All(tiny, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Extension_elements_can_be_restamped_in_place()
    {
        byte[] packet = (byte[])RtpVectors.ChromeOpus.Clone();
        Assert.True(RtpHeader.TryGetExtensionElement(packet, 3, out var twcc));
        Assert.True(TransportWideCcExtension.TryWrite(twcc, 4242));
        Assert.True(RtpHeader.TryGetExtensionElement(packet, 2, out var ast));
        Assert.True(AbsSendTimeExtension.TryWrite(ast, 0xabcdef));
        Assert.False(RtpHeader.TryGetExtensionElement(packet, 9, out _));
        Assert.False(RtpHeader.TryGetExtensionElement(packet.AsSpan(0, 11), 3, out _));

        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.True(h.Extensions.TryGet(3, out var seq));
        Assert.Equal(4242, BinaryPrimitives.ReadUInt16BigEndian(seq));
        Assert.True(h.Extensions.TryGet(2, out var time));
        Assert.True(AbsSendTimeExtension.TryRead(time, out uint t));
        Assert.Equal(0xabcdefu, t);
        Assert.True(h.Extensions.TryGet(4, out var mid));
        Assert.True(SdesItemExtension.AsciiEquals(mid, "0"));
    }

    [Fact]
    public void Writer_builds_a_packet_that_parses_back()
    {
        var fields = new RtpHeaderFields { Marker = true, PayloadType = 96, SequenceNumber = 65535, Timestamp = 90000, Ssrc = 7 };
        uint[] csrcs = [10, 20, 30];
        RtpHeaderExtensionEntry[] entries =
        [
            new(4, "mid1"u8.ToArray()),
            new(10, "q"u8.ToArray()),
            new(3, new byte[] { 0x12, 0x34 }),
        ];
        byte[] payload = [1, 2, 3, 4, 5];
        int length = RtpPacketWriter.GetLength(csrcs.Length, RtpHeaderExtensionWriter.GetLength(entries), payload.Length, 3);
        var buffer = new byte[length + 10];
        Assert.True(RtpPacketWriter.TryWrite(buffer, fields, csrcs, entries, payload, 3, out int written));
        Assert.Equal(length, written);

        Assert.True(RtpHeader.TryParse(buffer.AsSpan(0, written), out var h));
        Assert.True(h.Marker);
        Assert.Equal(96, h.PayloadType);
        Assert.Equal(65535, h.SequenceNumber);
        Assert.Equal(90000u, h.Timestamp);
        Assert.Equal(7u, h.Ssrc);
        Assert.Equal(3, h.CsrcCount);
        Assert.Equal(30u, h.GetCsrc(2));
        Assert.Equal(RtpExtensionForm.OneByte, h.Extensions.Form);
        Assert.True(h.Extensions.TryGet(4, out var mid));
        Assert.True(SdesItemExtension.AsciiEquals(mid, "mid1"));
        Assert.True(h.Extensions.TryGet(10, out var rid));
        Assert.True(SdesItemExtension.AsciiEquals(rid, "q"));
        Assert.Equal(payload, h.Payload.ToArray());
        Assert.Equal(3, h.PaddingLength);

        // No extension, no CSRC, no padding.
        var plain = new byte[RtpPacketWriter.GetLength(0, 0, payload.Length, 0)];
        Assert.True(RtpPacketWriter.TryWrite(plain, fields, [], payload, 0, out written));
        Assert.Equal("80e0ffff00015f9000000007" + "0102030405", Hex.Of(plain.AsSpan(0, written)));
    }

    [Fact]
    public void Writer_rejects_what_cannot_be_encoded()
    {
        var buffer = new byte[2000];
        var fields = new RtpHeaderFields { PayloadType = 128 };
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], [1], 0, out _));
        fields.PayloadType = 0;
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, new uint[16], [1], 0, out _));
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], [1], 256, out _));
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], [1], -1, out _));
        // An extension block whose length field disagrees with its size.
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], Hex.Bytes("bede0002 10ff0000"), [1], 0, out _));
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], Hex.Bytes("bede"), [1], 0, out _));
        Assert.True(RtpPacketWriter.TryWrite(buffer, fields, [], Hex.Bytes("bede0001 10ff0000"), [1], 0, out int written));
        Assert.Equal(12 + 8 + 1, written);
        // Two-byte ids are at most 255; one-byte data is at least one byte, so id 0 forces... nothing: it is never valid.
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], new RtpHeaderExtensionEntry[] { new(0, new byte[] { 1 }) }, [1], 0, out _));
        Assert.False(RtpPacketWriter.TryWrite(buffer, fields, [], new RtpHeaderExtensionEntry[] { new(256, new byte[] { 1 }) }, [1], 0, out _));
    }

    [Theory]
    [MemberData(nameof(RtpVectors.All), MemberType = typeof(RtpVectors))]
    public void Fuzzed_packets_parse_or_fail_without_throwing(string name)
    {
        byte[] seed = RtpVectors.Get(name);
        int accepted = Fuzz.Run(seed, Exercise, randomSeed: Fuzz.SeedFor(name));
        Assert.True(accepted > 0);
    }

    /// <summary>Parses, then touches every field and span; everything handed out must lie inside the input.</summary>
    internal static bool Exercise(byte[] input)
    {
        // Setters and the in-place lookup must not throw on garbage either.
        var scratch = (byte[])input.Clone();
        RtpHeader.SetMarker(scratch, true);
        RtpHeader.SetPayloadType(scratch, 1);
        if (RtpHeader.TryGetExtensionElement(scratch, 3, out var element))
            Fuzz.AssertWithin(scratch, element);

        if (!RtpHeader.TryParse(input, out var h)) return false;
        Assert.Equal(2, h.Version);
        _ = (h.HasPadding, h.Marker, h.PayloadType, h.SequenceNumber, h.Timestamp, h.Ssrc, h.ExtensionProfile);
        for (int i = 0; i < h.CsrcCount; i++) _ = h.GetCsrc(i);
        Fuzz.AssertWithin(input, h.CsrcBytes);
        Fuzz.AssertWithin(input, h.ExtensionBlock);
        Fuzz.AssertWithin(input, h.ExtensionData);
        Fuzz.AssertWithin(input, h.Payload);
        Assert.Equal(input.Length, h.HeaderLength + h.PayloadLength + h.PaddingLength);
        Assert.True(h.PayloadLength >= 0 && h.PaddingLength >= 0);

        int count = 0;
        foreach (var e in h.Extensions)
        {
            Fuzz.AssertWithin(input, e.Data);
            Assert.InRange(e.Id, 1, 255);
            count++;
            AudioLevelExtension.TryRead(e.Data, out _, out _);
            AbsSendTimeExtension.TryRead(e.Data, out _);
            TransportWideCcExtension.TryRead(e.Data, out _);
            SdesItemExtension.IsValid(e.Data);
        }
        Assert.True(count <= input.Length);

        var copy = new byte[h.Length];
        Assert.True(h.TryWrite(copy, out _));
        Assert.Equal(input, copy);
        if (h.ExtensionBlock.Length > 0)
        {
            bool strict = RtpHeaderExtensions.TryParse(h.ExtensionBlock, out var ext);
            Assert.Equal(h.Extensions.IsWellFormed, strict);
            if (strict) Fuzz.AssertWithin(input, ext.Data);
        }
        return true;
    }
}
