using Huddle.Media.Rtcp;

namespace Huddle.Media.Tests;

/// <summary>
/// Every RTCP vector, truncated at every length and mutated thousands of times, through the compound
/// enumerator and every typed parser: each must answer true or false without throwing, and every span
/// it hands out must lie inside the input.
/// </summary>
public sealed class RtcpFuzzTests
{
    [Theory]
    [MemberData(nameof(RtcpVectors.All), MemberType = typeof(RtcpVectors))]
    public void Fuzzed_datagrams_parse_or_fail_without_throwing(string name)
    {
        int accepted = Fuzz.Run(RtcpVectors.Get(name), Exercise, Fuzz.SeedFor(name));
        Assert.True(accepted > 0, "no mutation parsed: the fuzzing is not reaching the parsers");
    }

    [Fact]
    public void Fuzzed_concatenation_of_every_vector()
    {
        byte[] all = RtcpVectors.Names.SelectMany(RtcpVectors.Get).ToArray();
        Assert.True(RtcpCompoundPacket.TryParse(all, out _));
        Assert.True(Fuzz.Run(all, Exercise, 77, count: 3000) > 0);
    }

    [Fact]
    public void Every_vector_is_seen_by_its_typed_parser()
    {
        foreach (string name in RtcpVectors.Names)
        {
            byte[] datagram = RtcpVectors.Get(name);
            Assert.True(RtcpCompoundPacket.TryParse(datagram, out var compound), name);
            foreach (var packet in compound)
            {
                Assert.True(ExerciseTyped(datagram, packet.Bytes, out var kind), name);
                Assert.Equal(packet.Kind, kind);
            }
        }
    }

    internal static bool Exercise(byte[] input)
    {
        var walk = new RtcpCompoundPacket(input).GetEnumerator();
        int packets = 0;
        while (walk.MoveNext())
        {
            var packet = walk.Current;
            packets++;
            Fuzz.AssertWithin(input, packet.Bytes);
            Fuzz.AssertWithin(input, packet.Body);
            Assert.Equal(packet.Length, 4 + packet.Body.Length + packet.PaddingLength);
            ExerciseTyped(input, packet.Bytes, out _);
        }
        Assert.True(packets <= input.Length / 4);
        bool valid = RtcpCompoundPacket.TryParse(input, out var compound);
        Assert.Equal(valid, !walk.IsMalformed && input.Length > 0);
        if (valid) Assert.Equal(packets, compound.Count);

        // The typed parsers also get the raw input, whatever its first packet is.
        bool typed = ExerciseTyped(input, input, out _);
        return valid || typed;
    }

    /// <summary>Runs every typed parser on <paramref name="data"/>; returns whether the one for its kind accepted it.</summary>
    internal static bool ExerciseTyped(byte[] input, ReadOnlySpan<byte> data, out RtcpPacketKind accepted)
    {
        accepted = RtcpPacketKind.Unknown;
        if (!RtcpPacket.TryParse(data, out var raw)) return false;
        Fuzz.AssertWithin(input, raw.Bytes);
        _ = raw.Header;
        var copy = new byte[raw.Length];
        Assert.True(raw.TryWrite(copy, out _));
        Assert.True(raw.Bytes.SequenceEqual(copy));
        bool any = raw.Kind == RtcpPacketKind.Unknown;
        int parsedAs = 0;

        if (SenderReport.TryParse(data, out var sr))
        {
            parsedAs++;
            accepted = RtcpPacketKind.SenderReport;
            _ = (sr.Ssrc, sr.SenderInfo);
            foreach (var r in sr.Reports) _ = r.Ssrc;
            Assert.Equal(sr.ReportCount, sr.Reports.Count);
            Fuzz.AssertWithin(input, sr.ProfileExtension);
        }
        if (ReceiverReport.TryParse(data, out var rr))
        {
            parsedAs++;
            accepted = RtcpPacketKind.ReceiverReport;
            _ = rr.Ssrc;
            foreach (var r in rr.Reports) _ = r.Ssrc;
            Fuzz.AssertWithin(input, rr.ProfileExtension);
        }
        if (SourceDescription.TryParse(data, out var sdes))
        {
            parsedAs++;
            accepted = RtcpPacketKind.SourceDescription;
            int chunks = 0;
            foreach (var chunk in sdes)
            {
                chunks++;
                Fuzz.AssertWithin(input, chunk.ItemBytes);
                foreach (var item in chunk) Fuzz.AssertWithin(input, item.Text);
            }
            Assert.Equal(sdes.ChunkCount, chunks);
            if (sdes.TryGetCname(out _, out var cname)) Fuzz.AssertWithin(input, cname);
        }
        if (Goodbye.TryParse(data, out var bye))
        {
            parsedAs++;
            accepted = RtcpPacketKind.Goodbye;
            for (int i = 0; i < bye.SsrcCount; i++) _ = bye.GetSsrc(i);
            Fuzz.AssertWithin(input, bye.Reason);
        }
        if (GenericNack.TryParse(data, out var nack))
        {
            parsedAs++;
            accepted = RtcpPacketKind.GenericNack;
            int lost = 0;
            foreach (ushort _ in nack.LostSequenceNumbers) lost++;
            Assert.InRange(lost, nack.PairCount, nack.PairCount * NackPair.MaxLostPerPair);
            if (!raw.HasPadding)
            {
                // The writer reproduces any NACK from its parts.
                var pairs = new NackPair[nack.PairCount];
                for (int i = 0; i < pairs.Length; i++) pairs[i] = nack.GetPair(i);
                var rebuilt = new byte[nack.Length];
                Assert.True(GenericNack.TryWrite(rebuilt, nack.SenderSsrc, nack.MediaSsrc, pairs, out _));
                Assert.True(raw.Bytes.SequenceEqual(rebuilt));
            }
        }
        if (PictureLossIndication.TryParse(data, out var pli))
        {
            parsedAs++;
            accepted = RtcpPacketKind.PictureLossIndication;
            _ = (pli.SenderSsrc, pli.MediaSsrc);
        }
        if (FullIntraRequest.TryParse(data, out var fir))
        {
            parsedAs++;
            accepted = RtcpPacketKind.FullIntraRequest;
            for (int i = 0; i < fir.EntryCount; i++) _ = fir.GetEntry(i);
        }
        if (ReceiverEstimatedMaxBitrate.TryParse(data, out var remb))
        {
            parsedAs++;
            accepted = RtcpPacketKind.ReceiverEstimatedMaxBitrate;
            _ = remb.Bitrate;
            Assert.Equal(remb.Mantissa, remb.Bitrate >> remb.Exponent);
            for (int i = 0; i < remb.SsrcCount; i++) _ = remb.GetSsrc(i);
            Fuzz.AssertWithin(input, remb.Trailer);
        }
        if (TransportCcFeedback.TryParse(data, out var twcc))
        {
            parsedAs++;
            accepted = RtcpPacketKind.TransportCcFeedback;
            Fuzz.AssertWithin(input, twcc.ChunkBytes);
            Fuzz.AssertWithin(input, twcc.DeltaBytes);
            int count = 0, received = 0;
            foreach (var status in twcc)
            {
                Assert.Equal((ushort)(twcc.BaseSequenceNumber + count), status.SequenceNumber);
                count++;
                if (status.IsReceived) received++;
            }
            Assert.Equal(twcc.PacketStatusCount, count);
            Assert.Equal(twcc.ReceivedCount, received);
            _ = (twcc.ReferenceTimeMicroseconds, twcc.FeedbackPacketCount);
        }

        // A packet is read by at most one typed view, and only by the one its kind names.
        Assert.InRange(parsedAs, 0, 1);
        if (parsedAs == 1) Assert.Equal(raw.Kind, accepted);
        return any || parsedAs == 1;
    }
}
