using Huddle.Media.Rtp;

namespace Huddle.Media.Tests;

public sealed class RtpHeaderExtensionTests
{
    private static List<(int Id, string Data)> Elements(RtpHeaderExtensions ext)
    {
        var list = new List<(int, string)>();
        foreach (var e in ext) list.Add((e.Id, Hex.Of(e.Data)));
        return list;
    }

    [Fact]
    public void One_byte_form_skips_padding_between_elements()
    {
        byte[] block = Hex.Bytes(
            "be de 00 03" +   // profile=0xBEDE length=3 words
            "10 aa" +         // id=1 L=0 data=aa
            "00" +            // a padding byte (RFC 8285 §4.1 allows them between elements)
            "21 bb cc" +      // id=2 L=1 data=bbcc
            "00" +            // padding
            "33 01 02 03 04"); // id=3 L=3 data=01020304
        Assert.True(RtpHeaderExtensions.TryParse(block, out var ext));
        Assert.Equal(RtpHeaderExtensions.OneByteProfile, ext.Profile);
        Assert.Equal(RtpExtensionForm.OneByte, ext.Form);
        Assert.Equal([(1, "aa"), (2, "bbcc"), (3, "01020304")], Elements(ext));
    }

    [Fact]
    public void One_byte_id_15_stops_processing()
    {
        byte[] block = Hex.Bytes(
            "be de 00 02" +   // profile=0xBEDE length=2 words
            "10 aa" +         // id=1 L=0 data=aa
            "f3" +            // id=15: stop here, the rest is ignored (RFC 8285 §4.2)
            "21 bb cc 00 00"); // would be id=2, never seen
        Assert.True(RtpHeaderExtensions.TryParse(block, out var ext));
        Assert.Equal([(1, "aa")], Elements(ext));
        Assert.False(ext.TryGet(2, out _));
    }

    [Fact]
    public void One_byte_id_0_with_a_length_is_skipped_as_padding()
    {
        // libwebrtc skips a byte with id 0 whatever its length nibble says.
        Assert.True(RtpHeaderExtensions.TryParse(Hex.Bytes("bede0001 03 10 aa 00"), out var ext));
        Assert.Equal([(1, "aa")], Elements(ext));
    }

    [Fact]
    public void Two_byte_form_accepts_any_appbits()
    {
        // 0x100X: the low four bits are application bits (RFC 8285 §4.3).
        Assert.True(RtpHeaderExtensions.TryParse(Hex.Bytes("100f0001 ff 01 7e 00"), out var ext));
        Assert.Equal(RtpExtensionForm.TwoByte, ext.Form);
        Assert.Equal([(255, "7e")], Elements(ext));
    }

    [Fact]
    public void Unknown_profiles_are_opaque()
    {
        Assert.True(RtpHeaderExtensions.TryParse(Hex.Bytes("abcd0001 10ff0000"), out var ext));
        Assert.Equal(RtpExtensionForm.Unknown, ext.Form);
        Assert.Empty(Elements(ext));
        Assert.Equal(4, ext.Data.Length);
    }

    [Theory]
    [InlineData("bede0001 13 aa bb cc")] // id=1 L=3 wants 4 data bytes, 3 left
    [InlineData("bede0001 00 00 00 1f")] // id=1 L=15 at the last byte
    [InlineData("10000001 01 05 aa bb")] // two-byte id=1 L=5, 2 left
    [InlineData("10000001 00 00 00 01")] // two-byte header cut after the id
    [InlineData("bede0002 10 aa")]       // length says 8 bytes, 2 present
    [InlineData("bede00")]               // no room for the header
    public void Malformed_blocks_are_rejected(string hex)
    {
        Assert.False(RtpHeaderExtensions.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Malformed_extension_keeps_the_packet_but_stops_the_walk()
    {
        byte[] packet = Hex.Bytes(
            "90 6f 00 01 00 00 00 01 00 00 00 0a" + // v=2 x=1 pt=111 seq=1 ts=1 ssrc=10
            "be de 00 01" +                          // one word of elements
            "10 aa 1f 00" +                          // id=1 L=0 data=aa, then id=1 L=15 overrunning
            "ee");                                   // payload
        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.False(h.Extensions.IsWellFormed);
        Assert.Equal([(1, "aa")], Elements(h.Extensions));
        Assert.Equal("ee", Hex.Of(h.Payload));
    }

    [Fact]
    public void Writer_chooses_one_byte_form_when_everything_fits()
    {
        RtpHeaderExtensionEntry[] entries = [new(1, new byte[] { 0xaa }), new(14, new byte[16])];
        Assert.Equal(RtpExtensionForm.OneByte, RtpHeaderExtensionWriter.ChooseForm(entries));
        var buffer = new byte[64];
        Assert.True(RtpHeaderExtensionWriter.TryWrite(buffer, entries, out int written));
        Assert.Equal(RtpHeaderExtensionWriter.GetLength(entries), written);
        Assert.Equal(
            "bede0005" +                                  // profile=0xBEDE, 5 words
            "10aa" +                                      // id=1 L=0
            "ef" + "00000000000000000000000000000000" +   // id=14 L=15 (16 bytes)
            "00",                                         // padding to 24 bytes
            Hex.Of(buffer.AsSpan(0, written)));
    }

    [Theory]
    [InlineData(15, 1)]  // id above 14
    [InlineData(1, 17)]  // data too long for a four-bit length
    [InlineData(1, 0)]   // no data: the one-byte form cannot say zero
    public void Writer_falls_back_to_two_byte_form(int id, int length)
    {
        RtpHeaderExtensionEntry[] entries = [new(2, new byte[] { 0xbb }), new(id, new byte[length])];
        Assert.Equal(RtpExtensionForm.TwoByte, RtpHeaderExtensionWriter.ChooseForm(entries));
        var buffer = new byte[64];
        Assert.True(RtpHeaderExtensionWriter.TryWrite(buffer, entries, out int written));
        Assert.Equal(RtpHeaderExtensionWriter.GetLength(entries), written);
        Assert.True(RtpHeaderExtensions.TryParse(buffer.AsSpan(0, written), out var ext));
        Assert.Equal(RtpExtensionForm.TwoByte, ext.Form);
        Assert.Equal(0x1000, ext.Profile);
        Assert.Equal([(2, "bb"), (id, new string('0', 2 * length))], Elements(ext));
    }

    [Fact]
    public void Incremental_writer_enforces_its_form()
    {
        var buffer = new byte[32];
        var one = new RtpHeaderExtensionWriter(buffer, RtpExtensionForm.OneByte);
        Assert.True(one.TryAdd(3, [0x00, 0x07]));
        Assert.False(one.TryAdd(15, [0x01]));
        Assert.False(one.TryFinish(out _)); // a failed add spends the writer

        var two = new RtpHeaderExtensionWriter(buffer, RtpExtensionForm.TwoByte);
        Assert.True(two.TryAdd(200, []));
        Assert.True(two.TryAdd(3, [0x00, 0x07]));
        Assert.False(two.TryAdd(0, [0x01])); // id 0 is padding, never an element
        Assert.False(two.TryFinish(out _));

        two = new RtpHeaderExtensionWriter(buffer, RtpExtensionForm.TwoByte);
        Assert.True(two.TryAdd(200, []));
        Assert.True(two.TryFinish(out int written));
        Assert.Equal("10000001c8000000", Hex.Of(buffer.AsSpan(0, written)));
        Assert.False(two.TryAdd(1, [1])); // finished

        Assert.False(new RtpHeaderExtensionWriter(buffer.AsSpan(0, 3), RtpExtensionForm.OneByte).TryFinish(out _));
        Assert.False(new RtpHeaderExtensionWriter(buffer, RtpExtensionForm.Unknown).TryAdd(1, [1]));
        var small = new RtpHeaderExtensionWriter(buffer.AsSpan(0, 6), RtpExtensionForm.OneByte);
        Assert.False(small.TryAdd(1, [1, 2]));
        var padded = new RtpHeaderExtensionWriter(buffer.AsSpan(0, 6), RtpExtensionForm.OneByte);
        Assert.True(padded.TryAdd(1, [1]));
        Assert.False(padded.TryFinish(out _)); // padding to 8 does not fit in 6
    }

    [Fact]
    public void Abs_send_time_is_6_18_fixed_point_seconds()
    {
        Assert.Equal(1u << 18, AbsSendTimeExtension.FromMicroseconds(1_000_000));
        Assert.Equal(1u << 17, AbsSendTimeExtension.FromMicroseconds(500_000));
        Assert.Equal(0u, AbsSendTimeExtension.FromMicroseconds(64_000_000)); // wraps every 64 s
        Assert.Equal(AbsSendTimeExtension.FromMicroseconds(63_000_000), AbsSendTimeExtension.FromMicroseconds(-1_000_000));
        Assert.Equal(1_000_000, AbsSendTimeExtension.ToMicroseconds(1u << 18));
        Assert.Equal(63_999_996, AbsSendTimeExtension.ToMicroseconds(0xFFFFFF));
        // NTP 32.32: 1.5 s is 0x00000001_80000000 -> 0x060000.
        Assert.Equal(0x060000u, AbsSendTimeExtension.FromNtp(0x0000_0001_8000_0000UL));
        Assert.Equal(0xFFFFFFu, AbsSendTimeExtension.FromNtp(ulong.MaxValue));
        _ = AbsSendTimeExtension.FromMicroseconds(long.MinValue);
        _ = AbsSendTimeExtension.FromMicroseconds(long.MaxValue);

        var buffer = new byte[3];
        Assert.True(AbsSendTimeExtension.TryWrite(buffer, 0x12345678)); // only 24 bits kept
        Assert.Equal("345678", Hex.Of(buffer));
        Assert.True(AbsSendTimeExtension.TryRead(buffer, out uint v));
        Assert.Equal(0x345678u, v);
        Assert.False(AbsSendTimeExtension.TryRead(buffer.AsSpan(0, 2), out _));
        Assert.False(AbsSendTimeExtension.TryWrite(buffer.AsSpan(0, 2), 1));
    }

    [Fact]
    public void Transport_wide_cc_and_audio_level_round_trip()
    {
        var two = new byte[2];
        Assert.True(TransportWideCcExtension.TryWrite(two, 0xfffe));
        Assert.Equal("fffe", Hex.Of(two));
        Assert.True(TransportWideCcExtension.TryRead(two, out ushort seq));
        Assert.Equal(0xfffe, seq);
        Assert.False(TransportWideCcExtension.TryRead(two.AsSpan(0, 1), out _));
        Assert.False(TransportWideCcExtension.TryWrite(two.AsSpan(0, 1), 1));

        var one = new byte[1];
        Assert.True(AudioLevelExtension.TryWrite(one, voiceActivity: false, level: 30));
        Assert.Equal("1e", Hex.Of(one));
        Assert.True(AudioLevelExtension.TryRead(one, out bool voice, out byte level));
        Assert.False(voice);
        Assert.Equal(30, level);
        Assert.True(AudioLevelExtension.TryWrite(one, voiceActivity: true, level: AudioLevelExtension.Silence));
        Assert.Equal("ff", Hex.Of(one));
        Assert.False(AudioLevelExtension.TryWrite(one, true, 128));
        Assert.False(AudioLevelExtension.TryRead([], out _, out _));
    }

    [Fact]
    public void Sdes_items_compare_and_write_as_ascii()
    {
        var buffer = new byte[8];
        Assert.True(SdesItemExtension.TryWrite(buffer, "hi-1_", out int written));
        Assert.Equal(5, written);
        Assert.True(SdesItemExtension.AsciiEquals(buffer.AsSpan(0, written), "hi-1_"));
        Assert.False(SdesItemExtension.AsciiEquals(buffer.AsSpan(0, written), "HI-1_"));
        Assert.False(SdesItemExtension.AsciiEquals(buffer.AsSpan(0, written), "hi-1"));
        Assert.True(SdesItemExtension.IsValid(buffer.AsSpan(0, written)));
        Assert.False(SdesItemExtension.IsValid([]));
        Assert.False(SdesItemExtension.IsValid([0x20]));
        Assert.False(SdesItemExtension.IsValid(Enumerable.Repeat((byte)'a', 256).ToArray()));
        Assert.False(SdesItemExtension.TryWrite(buffer, "é", out _));
        Assert.False(SdesItemExtension.TryWrite(buffer, "", out _));
        Assert.False(SdesItemExtension.TryWrite(buffer, "123456789", out _));
    }

    [Fact]
    public void Uris_are_the_negotiated_names()
    {
        Assert.Equal("urn:ietf:params:rtp-hdrext:sdes:mid", RtpExtensionUris.SdesMid);
        Assert.Equal("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", RtpExtensionUris.SdesRtpStreamId);
        Assert.Equal("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", RtpExtensionUris.SdesRepairedRtpStreamId);
        Assert.Equal("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", RtpExtensionUris.AbsSendTime);
        Assert.Equal("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", RtpExtensionUris.TransportWideCc);
        Assert.Equal("urn:ietf:params:rtp-hdrext:ssrc-audio-level", RtpExtensionUris.SsrcAudioLevel);
    }

    public static IEnumerable<object[]> Blocks() =>
    [
        ["bede0003 10aa 00 21bbcc 00 3301020304"],
        ["bede0002 10aa f3 21bbcc0000"],
        ["10000003 0100 040131 2004deadbeef 00"],
    ];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Fuzzed_blocks_parse_or_fail_without_throwing(string hex)
    {
        byte[] seed = Hex.Bytes(hex);
        int accepted = Fuzz.Run(seed, input =>
        {
            if (!RtpHeaderExtensions.TryParse(input, out var ext)) return false;
            Fuzz.AssertWithin(input, ext.Data);
            foreach (var e in ext) Fuzz.AssertWithin(input, e.Data);
            ext.TryGet(1, out var found);
            Fuzz.AssertWithin(input, found);
            return true;
        }, Fuzz.SeedFor(hex));
        Assert.True(accepted > 0);
    }
}
