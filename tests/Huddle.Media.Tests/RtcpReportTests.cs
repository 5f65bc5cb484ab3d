using System.Text;
using Huddle.Media.Rtcp;

namespace Huddle.Media.Tests;

public sealed class RtcpReportTests
{
    private static void AssertBytes(byte[] expected, Span<byte> buffer, int written) =>
        Assert.Equal(Hex.Of(expected), Hex.Of(buffer[..written]));

    [Fact]
    public void Header_reads_and_writes_the_four_bytes()
    {
        Assert.True(RtcpHeader.TryParse(RtcpVectors.PictureLossIndication, out var h));
        Assert.Equal(2, h.Version);
        Assert.False(h.HasPadding);
        Assert.Equal(1, h.Count);
        Assert.Equal(RtcpPacketType.PayloadFeedback, h.PacketType);
        Assert.Equal(2, h.LengthInWords);
        Assert.Equal(12, h.PacketLength);
        var buffer = new byte[4];
        Assert.True(h.TryWrite(buffer, out int written));
        AssertBytes(RtcpVectors.PictureLossIndication[..4], buffer, written);
        Assert.False(h.TryWrite(new byte[3], out _));
        Assert.False(RtcpHeader.TryParse(Hex.Bytes("41ce0002"), out _)); // v=1
        Assert.False(RtcpHeader.TryParse(Hex.Bytes("81ce00"), out _));
    }

    [Fact]
    public void Sender_report_parses_field_by_field_and_writes_back()
    {
        byte[] packet = RtcpVectors.SenderReport;
        Assert.True(SenderReport.TryParse(packet, out var sr));
        Assert.Equal(52, sr.Length);
        Assert.Equal(0x5e4f1a2cu, sr.Ssrc);
        Assert.Equal(0xe95c4a3b_1eb851ecUL, sr.NtpTimestamp);
        Assert.Equal(768128u, sr.RtpTimestamp);
        Assert.Equal(300u, sr.PacketCount);
        Assert.Equal(47264u, sr.OctetCount);
        Assert.Equal(0x4a3b1eb8u, sr.SenderInfo.CompactNtp);
        Assert.Equal(1, sr.ReportCount);
        Assert.Equal(1, sr.Reports.Count);
        var block = sr.Reports[0];
        Assert.Equal(new ReceptionReport(0xa1b2c3d4, 5, 10, 0x00013039, 47, 0x4a3b1eb8, 0x00018000), block);
        Assert.True(sr.ProfileExtension.IsEmpty);
        Assert.Equal(RtcpPacketKind.SenderReport, sr.Packet.Kind);

        var copy = new byte[sr.Length];
        Assert.True(sr.TryWrite(copy, out int written));
        AssertBytes(packet, copy, written);

        var reports = new List<ReceptionReport>();
        foreach (var r in sr.Reports) reports.Add(r);
        var buffer = new byte[SenderReport.GetLength(reports.Count)];
        Assert.True(SenderReport.TryWrite(buffer, sr.Ssrc, sr.SenderInfo, reports.ToArray(), out written));
        AssertBytes(packet, buffer, written);
        Assert.False(SenderReport.TryWrite(new byte[buffer.Length - 1], sr.Ssrc, sr.SenderInfo, reports.ToArray(), out _));
    }

    [Fact]
    public void Sender_report_keeps_profile_extensions()
    {
        var info = new SenderInfo(1, 2, 3, 4);
        var buffer = new byte[SenderReport.GetLength(0, 8)];
        Assert.True(SenderReport.TryWrite(buffer, 9, info, [], Hex.Bytes("0102030405060708"), out int written));
        Assert.Equal(buffer.Length, written);
        Assert.True(SenderReport.TryParse(buffer, out var sr));
        Assert.Equal(info, sr.SenderInfo);
        Assert.Equal(0, sr.ReportCount);
        Assert.Equal("0102030405060708", Hex.Of(sr.ProfileExtension));
        Assert.False(SenderReport.TryWrite(new byte[100], 9, info, [], [1, 2, 3], out _)); // not whole words
        Assert.False(SenderReport.TryWrite(new byte[2000], 9, info, new ReceptionReport[32], out _));
    }

    [Fact]
    public void Reception_report_sign_extends_and_clamps_cumulative_loss()
    {
        var buffer = new byte[ReceptionReport.Size];
        var report = new ReceptionReport(1, 2, -1, 3, 4, 5, 6);
        Assert.True(report.TryWrite(buffer, out _));
        Assert.Equal("0000000102ffffff", Hex.Of(buffer.AsSpan(0, 8)));
        Assert.True(ReceptionReport.TryParse(buffer, out var back));
        Assert.Equal(report, back);

        Assert.True((report with { CumulativeLost = 10_000_000 }).TryWrite(buffer, out _));
        Assert.True(ReceptionReport.TryParse(buffer, out back));
        Assert.Equal(ReceptionReport.MaxCumulativeLost, back.CumulativeLost);
        Assert.True((report with { CumulativeLost = -10_000_000 }).TryWrite(buffer, out _));
        Assert.True(ReceptionReport.TryParse(buffer, out back));
        Assert.Equal(ReceptionReport.MinCumulativeLost, back.CumulativeLost);
        Assert.False(ReceptionReport.TryParse(buffer.AsSpan(0, 23), out _));
        Assert.False(report.TryWrite(new byte[23], out _));
    }

    [Fact]
    public void Chrome_compound_RR_SDES_REMB_enumerates_and_rebuilds_byte_for_byte()
    {
        byte[] datagram = RtcpVectors.ChromeCompound;
        Assert.True(RtcpCompoundPacket.TryParse(datagram, out var compound));
        Assert.Equal(3, compound.Count);
        var kinds = new List<RtcpPacketKind>();
        var lengths = new List<int>();
        foreach (var p in compound)
        {
            kinds.Add(p.Kind);
            lengths.Add(p.Length);
        }
        Assert.Equal([RtcpPacketKind.ReceiverReport, RtcpPacketKind.SourceDescription, RtcpPacketKind.ReceiverEstimatedMaxBitrate], kinds);
        Assert.Equal([32, 28, 24], lengths);

        // RR
        Assert.True(ReceiverReport.TryParse(datagram, out var rr));
        Assert.Equal(1u, rr.Ssrc);
        Assert.Equal(1, rr.ReportCount);
        var block = rr.Reports[0];
        Assert.Equal(0x5e4f1a2cu, block.Ssrc);
        Assert.Equal(0, block.FractionLost);
        Assert.Equal(-1, block.CumulativeLost);
        Assert.Equal(6699u, block.ExtendedHighestSequenceNumber);
        Assert.Equal(12u, block.Jitter);
        Assert.Equal(0x4a3b1eb8u, block.LastSenderReport);
        Assert.Equal(0x4000u, block.DelaySinceLastSenderReport);

        // SDES
        Assert.True(SourceDescription.TryParse(datagram.AsSpan(32), out var sdes));
        Assert.Equal(1, sdes.ChunkCount);
        Assert.True(sdes.TryGetCname(out uint cnameSsrc, out var cname));
        Assert.Equal(1u, cnameSsrc);
        Assert.Equal("4TOk42mSjXCkVIa6", Encoding.ASCII.GetString(cname));

        // REMB
        Assert.True(ReceiverEstimatedMaxBitrate.TryParse(datagram.AsSpan(60), out var remb));
        Assert.Equal(1u, remb.SenderSsrc);
        Assert.Equal(0u, remb.MediaSsrc);
        Assert.Equal(2, remb.Exponent);
        Assert.Equal(250000ul, remb.Mantissa);
        Assert.Equal(1_000_000ul, remb.Bitrate);
        Assert.Equal(1, remb.SsrcCount);
        Assert.Equal(0x5e4f1a2cu, remb.GetSsrc(0));
        Assert.True(remb.Trailer.IsEmpty);

        // Rebuild the datagram with the typed writers.
        var buffer = new byte[200];
        var writer = new RtcpCompoundWriter(buffer);
        Assert.True(ReceiverReport.TryWrite(writer.Remaining, rr.Ssrc, [block], out int n) && writer.Advance(n));
        Assert.True(SourceDescription.TryWriteCname(writer.Remaining, cnameSsrc, cname, out n) && writer.Advance(n));
        Assert.Equal(SourceDescription.GetCnameLength(cname.Length), n);
        Assert.True(ReceiverEstimatedMaxBitrate.TryWrite(writer.Remaining, 1, remb.Bitrate, [0x5e4f1a2c], out n) && writer.Advance(n));
        Assert.Equal(Hex.Of(datagram), Hex.Of(writer.Written));

        // And by copying the parsed packets.
        var copies = new byte[datagram.Length];
        var copier = new RtcpCompoundWriter(copies);
        foreach (var p in compound) Assert.True(copier.TryAppend(p));
        Assert.Equal(datagram.Length, copier.Length);
        Assert.Equal(datagram, copies);
        Assert.False(copier.TryAppend(RtcpVectors.PictureLossIndication)); // full
        Assert.True(compound.TryWrite(copies, out int written));
        Assert.Equal(datagram.Length, written);
    }

    [Fact]
    public void Compound_writer_accepts_only_whole_packets()
    {
        var buffer = new byte[64];
        var writer = new RtcpCompoundWriter(buffer);
        Assert.False(writer.TryAppend(RtcpVectors.PictureLossIndication.AsSpan(0, 11)));
        Assert.False(writer.TryAppend([]));
        Assert.False(writer.Advance(0));
        Assert.False(writer.Advance(4)); // nothing valid written there
        Assert.False(writer.Advance(65));
        Assert.Equal(0, writer.Length);
        Assert.True(writer.TryAppend(RtcpVectors.PictureLossIndication));
        Assert.True(writer.TryAppend(RtcpVectors.Goodbye));
        Assert.Equal(20, writer.Length);

        var out2 = new byte[64];
        Assert.True(RtcpCompoundWriter.TryWrite(out2, new ReadOnlyMemory<byte>[] { RtcpVectors.PictureLossIndication, RtcpVectors.Goodbye }, out int written));
        Assert.Equal(Hex.Of(writer.Written), Hex.Of(out2.AsSpan(0, written)));
        Assert.False(RtcpCompoundWriter.TryWrite(new byte[19], new ReadOnlyMemory<byte>[] { RtcpVectors.PictureLossIndication, RtcpVectors.Goodbye }, out _));
    }

    [Fact]
    public void Compound_enumeration_stops_at_a_bad_length()
    {
        // A PLI, then a packet whose length claims 100 words.
        byte[] datagram = [.. RtcpVectors.PictureLossIndication, .. Hex.Bytes("81ce0064 00000001")];
        Assert.False(RtcpCompoundPacket.TryParse(datagram, out _));
        var compound = new RtcpCompoundPacket(datagram);
        var e = compound.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal(RtcpPacketKind.PictureLossIndication, e.Current.Kind);
        Assert.False(e.MoveNext());
        Assert.True(e.IsMalformed);
        Assert.False(e.MoveNext());

        Assert.False(RtcpCompoundPacket.TryParse([], out _));
        Assert.False(RtcpCompoundPacket.TryParse(Hex.Bytes("81ce0002 00000001 a1b2c3d4 00"), out _)); // stray byte
        Assert.False(RtcpCompoundPacket.TryParse(Hex.Bytes("01ce0002 00000001 a1b2c3d4"), out _));    // v=0
    }

    [Theory]
    [InlineData("a0c90001 00000000")] // p=1, padding count 0
    [InlineData("a0c90001 00000005")] // p=1, padding count 5 > body 4
    [InlineData("80c90001 000000")]   // length past the data
    public void Raw_packets_reject_bad_padding_and_length(string hex)
    {
        Assert.False(RtcpPacket.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Unknown_packets_stay_raw_and_write_back_byte_exactly()
    {
        byte[] datagram = RtcpVectors.Unknowns;
        Assert.True(RtcpCompoundPacket.TryParse(datagram, out var compound));
        var seen = new List<(RtcpPacketType, int, RtcpPacketKind, int)>();
        var rebuilt = new byte[datagram.Length];
        var writer = new RtcpCompoundWriter(rebuilt);
        foreach (var p in compound)
        {
            seen.Add((p.PacketType, p.Count, p.Kind, p.Body.Length));
            // Write each one from its parts as well: type, count, body (no padding: the RR with padding is rebuilt separately).
            if (!p.HasPadding)
            {
                Assert.True(RtcpPacket.TryWrite(writer.Remaining, p.PacketType, p.Count, p.Body, out int n));
                Assert.True(writer.Advance(n));
            }
            else
            {
                Assert.Equal(4, p.PaddingLength);
                Assert.True(p.TryWrite(writer.Remaining, out int n));
                Assert.True(writer.Advance(n));
            }
        }
        Assert.Equal(
        [
            (RtcpPacketType.ApplicationDefined, 0, RtcpPacketKind.Unknown, 12),
            (RtcpPacketType.TransportFeedback, 3, RtcpPacketKind.Unknown, 16),
            (RtcpPacketType.PayloadFeedback, 15, RtcpPacketKind.Unknown, 12),
            (RtcpPacketType.ExtendedReport, 0, RtcpPacketKind.Unknown, 8),
            (RtcpPacketType.ReceiverReport, 0, RtcpPacketKind.ReceiverReport, 4),
        ], seen);
        Assert.Equal(Hex.Of(datagram), Hex.Of(writer.Written));

        // The padded RR reads as an RR with its padding removed.
        Assert.True(ReceiverReport.TryParse(datagram.AsSpan(64), out var rr));
        Assert.Equal(1u, rr.Ssrc);
        Assert.Equal(0, rr.ReportCount);
        Assert.True(rr.ProfileExtension.IsEmpty);
        Assert.Equal(12, rr.Length);

        Assert.False(RtcpPacket.TryWrite(new byte[64], RtcpPacketType.ApplicationDefined, 32, [], out _));
        Assert.False(RtcpPacket.TryWrite(new byte[64], RtcpPacketType.ApplicationDefined, 0, [1, 2], out _));
        Assert.False(RtcpPacket.TryWrite(new byte[7], RtcpPacketType.ApplicationDefined, 0, [1, 2, 3, 4], out _));
    }

    [Fact]
    public void Source_description_reads_every_chunk_and_item()
    {
        byte[] packet = RtcpVectors.SourceDescription;
        Assert.True(SourceDescription.TryParse(packet, out var sdes));
        Assert.Equal(2, sdes.ChunkCount);
        var items = new List<(uint, SdesItemType, string)>();
        foreach (var chunk in sdes)
        {
            foreach (var item in chunk) items.Add((chunk.Ssrc, item.Type, Encoding.ASCII.GetString(item.Text)));
        }
        Assert.Equal(
        [
            (0x5e4f1a2cu, SdesItemType.Cname, "user@host"),
            (0x5e4f1a2cu, SdesItemType.Tool, "huddle"),
            (0xa1b2c3d4u, SdesItemType.Cname, "x"),
        ], items);

        var e = sdes.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.True(e.Current.TryGetItem(SdesItemType.Tool, out var tool));
        Assert.Equal("huddle", Encoding.ASCII.GetString(tool));
        Assert.False(e.Current.TryGetItem(SdesItemType.Email, out _));
        Assert.Equal(19, e.Current.ItemBytes.Length);

        var buffer = new byte[64];
        var writer = new SourceDescriptionWriter(buffer);
        Assert.True(writer.TryAddChunk(0x5e4f1a2c));
        Assert.True(writer.TryAddItem(SdesItemType.Cname, "user@host"u8));
        Assert.True(writer.TryAddItem(SdesItemType.Tool, "huddle"u8));
        Assert.True(writer.TryAddChunk(0xa1b2c3d4));
        Assert.True(writer.TryAddItem(SdesItemType.Cname, "x"u8));
        Assert.True(writer.TryFinish(out int written));
        AssertBytes(packet, buffer, written);

        var copy = new byte[packet.Length];
        Assert.True(sdes.TryWrite(copy, out written));
        AssertBytes(packet, copy, written);
    }

    [Fact]
    public void Source_description_writer_rejects_misuse()
    {
        var buffer = new byte[64];
        var w = new SourceDescriptionWriter(buffer);
        Assert.False(w.TryAddItem(SdesItemType.Cname, "a"u8)); // no chunk yet
        w = new SourceDescriptionWriter(buffer);
        Assert.True(w.TryAddChunk(1));
        Assert.False(w.TryAddItem(SdesItemType.End, "a"u8));
        w = new SourceDescriptionWriter(buffer);
        Assert.True(w.TryAddChunk(1));
        Assert.False(w.TryAddItem(SdesItemType.Note, new byte[256]));
        w = new SourceDescriptionWriter(new byte[400]);
        for (int i = 0; i < 31; i++) Assert.True(w.TryAddChunk((uint)i));
        Assert.False(w.TryAddChunk(31));
        w = new SourceDescriptionWriter(new byte[12]);
        Assert.True(w.TryAddChunk(1));
        Assert.True(w.TryAddItem(SdesItemType.Cname, "ab"u8));
        Assert.False(w.TryFinish(out _)); // 4 + 4 + 4 + terminator does not fit in 12
        Assert.False(new SourceDescriptionWriter(new byte[3]).TryFinish(out _));

        // An empty SDES (SC=0) is legal.
        w = new SourceDescriptionWriter(buffer);
        Assert.True(w.TryFinish(out int written));
        Assert.Equal("80ca0000", Hex.Of(buffer.AsSpan(0, written)));
        Assert.True(SourceDescription.TryParse(buffer.AsSpan(0, written), out var empty));
        Assert.Equal(0, empty.ChunkCount);
        Assert.False(empty.TryGetCname(out _, out _));
    }

    [Theory]
    [InlineData("81ca0001 00000001")]          // chunk without a terminator
    [InlineData("81ca0002 00000001 010a6162")] // CNAME length 10, 2 bytes present
    [InlineData("82ca0002 00000001 01006100")] // SC=2, one chunk
    [InlineData("81ca0000")]                   // SC=1, no room for the SSRC
    public void Source_description_rejects_bad_chunks(string hex)
    {
        Assert.False(SourceDescription.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Goodbye_with_reason_parses_and_writes_back()
    {
        byte[] packet = RtcpVectors.GoodbyeWithReason;
        Assert.True(Goodbye.TryParse(packet, out var bye));
        Assert.Equal(2, bye.SsrcCount);
        Assert.Equal(0x5e4f1a2cu, bye.GetSsrc(0));
        Assert.Equal(0xa1b2c3d4u, bye.GetSsrc(1));
        Assert.True(bye.HasReason);
        Assert.Equal("camera off", Encoding.UTF8.GetString(bye.Reason));
        Assert.Equal(RtcpPacketKind.Goodbye, bye.Packet.Kind);

        var buffer = new byte[Goodbye.GetLength(2, 10)];
        Assert.True(Goodbye.TryWrite(buffer, [0x5e4f1a2c, 0xa1b2c3d4], "camera off"u8, out int written));
        AssertBytes(packet, buffer, written);
        var copy = new byte[packet.Length];
        Assert.True(bye.TryWrite(copy, out written));
        AssertBytes(packet, copy, written);
    }

    [Fact]
    public void Goodbye_without_reason_parses_and_writes_back()
    {
        byte[] packet = RtcpVectors.Goodbye;
        Assert.True(Goodbye.TryParse(packet, out var bye));
        Assert.Equal(1, bye.SsrcCount);
        Assert.Equal(0x5e4f1a2cu, bye.GetSsrc(0));
        Assert.False(bye.HasReason);
        Assert.True(bye.Reason.IsEmpty);
        var buffer = new byte[8];
        Assert.True(Goodbye.TryWrite(buffer, [0x5e4f1a2c], [], out int written));
        AssertBytes(packet, buffer, written);

        Assert.False(Goodbye.TryWrite(new byte[200], new uint[32], [], out _));
        Assert.False(Goodbye.TryWrite(new byte[400], [1], new byte[256], out _));
        Assert.False(Goodbye.TryWrite(new byte[7], [1], [], out _));
        Assert.False(Goodbye.TryParse(Hex.Bytes("82cb0001 00000001"), out _));           // SC=2, one SSRC
        Assert.False(Goodbye.TryParse(Hex.Bytes("81cb0002 00000001 05616200"), out _));  // reason length 5, 3 bytes
        Assert.False(Goodbye.TryParse(RtcpVectors.PictureLossIndication, out _));        // not a BYE
    }

    [Fact]
    public void Receiver_report_builder_round_trips_many_blocks()
    {
        var reports = Enumerable.Range(0, 31)
            .Select(i => new ReceptionReport((uint)i, (byte)i, -i * 1000, (uint)(i << 16), (uint)i * 7, (uint)i * 11, (uint)i * 13))
            .ToArray();
        var buffer = new byte[ReceiverReport.GetLength(reports.Length)];
        Assert.True(ReceiverReport.TryWrite(buffer, 42, reports, out int written));
        Assert.Equal(buffer.Length, written);
        Assert.True(ReceiverReport.TryParse(buffer, out var rr));
        Assert.Equal(42u, rr.Ssrc);
        Assert.Equal(31, rr.ReportCount);
        var back = new List<ReceptionReport>();
        foreach (var r in rr.Reports) back.Add(r);
        Assert.Equal(reports, back);
        Assert.False(ReceiverReport.TryWrite(new byte[2000], 42, new ReceptionReport[32], out _));
        Assert.False(ReceiverReport.TryParse(RtcpVectors.SenderReport, out _));
        Assert.False(ReceiverReport.TryParse(Hex.Bytes("81c90001 00000001"), out _)); // RC=1 with no block
    }
}
