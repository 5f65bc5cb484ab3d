namespace Huddle.Sfu.Tests;

public sealed class KeyFrameDetectorTests
{
    private static byte[] Bytes(params string[] fields) => Convert.FromHexString(string.Concat(fields));

    /// <summary>Seeded random damage to a valid payload: bytes flipped, set, inserted, removed; cut short or lengthened.</summary>
    private static IEnumerable<byte[]> Mutate(byte[] input, int count, int seed = 1)
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

    // ---- VP8 (RFC 7741 §4.2 descriptor, §4.3 payload header) ----

    private static readonly byte[] Vp8KeyFirst = Bytes(
        "90",        // X=1 R=0 N=0 S=1 R=0 PID=0: extensions follow; start of partition 0
        "80",        // I=1 L=0 T=0 K=0
        "8123",      // M=1: 15-bit PictureID 0x0123
        "100200",    // Size0=0 H=1 VER=0 P=0 (key frame); Size1=0x02; Size2=0x00
        "9d012a",    // key frame start code (RFC 6386 §9.1)
        "8002e001",  // width 640, height 480 (little-endian, no scaling)
        "0011");     // compressed data

    private static readonly byte[] Vp8KeyMinimal = Bytes(
        "10",        // X=0 S=1 PID=0: no extensions
        "500300",    // Size0=2 H=1 VER=0 P=0
        "9d012a",    // start code
        "4001f000"); // 320 × 240

    private static readonly byte[] Vp8KeyAllExtensions = Bytes(
        "90",        // X=1 S=1 PID=0
        "f0",        // I=1 L=1 T=1 K=1
        "05",        // M=0: 7-bit PictureID 5
        "07",        // TL0PICIDX 7
        "40",        // TID=1 Y=0 KEYIDX=0
        "100200",    // P=0
        "9d012a", "8002e001");

    private static readonly byte[] Vp8DeltaFirst = Bytes(
        "90",        // X=1 S=1 PID=0
        "80",        // I=1
        "8124",      // PictureID 0x0124
        "110500",    // Size0=0 H=1 VER=0 P=1 (inter frame); Size1=5; Size2=0
        "aabbcc");   // compressed data, no start code

    private static readonly byte[] Vp8KeyMiddle = Bytes(
        "80",        // X=1 S=0 PID=0: a continuation of the key frame
        "80", "8123",
        "9d012a8002e001deadbeef"); // looks like a key frame header but is just data here

    private static readonly byte[] Vp8SecondPartitionStart = Bytes(
        "11",        // X=0 S=1 PID=1: start of partition 1, not of the frame
        "100200", "9d012a", "8002e001");

    [Fact]
    public void Vp8_key_frame_is_the_first_packet_with_P_clear()
    {
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8KeyFirst));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8KeyMinimal));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8KeyAllExtensions));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8DeltaFirst));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8KeyMiddle));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, Vp8SecondPartitionStart));

        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, Vp8KeyFirst));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, Vp8DeltaFirst));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, Vp8KeyMiddle));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, Vp8SecondPartitionStart));
    }

    [Fact]
    public void Vp8_key_frame_needs_its_start_code()
    {
        byte[] copy = (byte[])Vp8KeyFirst.Clone();
        copy[7] = 0x9C;
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, copy));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, copy));
    }

    [Fact]
    public void Vp8_picture_id_length_follows_the_M_bit()
    {
        // With M=0 the PictureID is one byte, so "81" would be the payload header of an inter frame...
        byte[] shortId = Bytes("90", "80", "01", "100200", "9d012a", "8002e001");
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, shortId));
        // ...and with M=1 a second PictureID byte is consumed before the payload header.
        byte[] longId = Bytes("90", "80", "8101", "100200", "9d012a", "8002e001");
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, longId));
        byte[] misread = Bytes("90", "80", "01", "01", "100200", "9d012a", "8002e001"); // one byte off: P=1
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, misread));
    }

    // ---- VP9 (RFC 9628 §4.2) ----

    private static readonly byte[] Vp9KeyNonFlexible = Bytes(
        "aa",        // I=1 P=0 L=1 F=0 B=1 E=0 V=1 Z=0
        "8001",      // M=1: 15-bit PICTURE ID 1
        "00",        // TID=0 U=0 SID=0 D=0
        "00",        // TL0PICIDX (non-flexible mode)
        "18",        // SS: N_S=0 (one layer) Y=1 G=1
        "028001e0",  // WIDTH 640, HEIGHT 480
        "01",        // N_G=1
        "00",        // T=0 U=0 R=0: no P_DIFF
        "82498342"); // VP9 frame data (frame marker, profile, key frame...)

    private static readonly byte[] Vp9DeltaNonFlexible = Bytes(
        "ec",        // I=1 P=1 L=1 F=0 B=1 E=1 V=0 Z=0
        "8002",      // PICTURE ID 2
        "20",        // TID=1 U=0 SID=0 D=0
        "00",        // TL0PICIDX
        "8600");

    private static readonly byte[] Vp9KeyMiddle = Bytes(
        "a0",        // I=1 P=0 L=1 F=0 B=0 E=0 V=0 Z=0: not the start of the frame
        "8001", "00", "00",
        "11223344");

    private static readonly byte[] Vp9KeyFlexible = Bytes(
        "b8",        // I=1 P=0 L=1 F=1 B=1 E=0 V=0 Z=0
        "8501",      // PICTURE ID 0x0501
        "00",        // TID=0 U=0 SID=0 D=0 (no TL0PICIDX in flexible mode)
        "8249");

    private static readonly byte[] Vp9DeltaFlexible = Bytes(
        "f8",        // I=1 P=1 L=1 F=1 B=1 E=0 V=0 Z=0
        "8502",      // PICTURE ID 0x0502
        "00",        // TID=0 SID=0
        "03",        // P_DIFF=1 N=1: another reference follows
        "04",        // P_DIFF=2 N=0
        "86");

    private static readonly byte[] Vp9KeySpatialLayer1 = Bytes(
        "b8",        // I=1 P=0 L=1 F=1 B=1: a key picture's layer frame...
        "8501",
        "03",        // ...in SID=1 with D=1: predicted from layer 0, not decodable alone
        "8249");

    private static readonly byte[] Vp9KeyBare = Bytes(
        "08",        // I=0 P=0 L=0 F=0 B=1: no layer information, so layer 0
        "82");

    [Fact]
    public void Vp9_key_frame_is_a_frame_start_with_P_clear_in_spatial_layer_0()
    {
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9KeyNonFlexible));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9KeyFlexible));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9KeyBare));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9DeltaNonFlexible));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9DeltaFlexible));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9KeyMiddle));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Vp9KeySpatialLayer1));

        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Vp9KeyNonFlexible));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Vp9DeltaNonFlexible));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Vp9DeltaFlexible));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Vp9KeyMiddle));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Vp9KeySpatialLayer1));
    }

    [Fact]
    public void Vp9_descriptor_is_walked_to_the_end()
    {
        // Four P_DIFFs: the third still says another follows, which the format does not allow.
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp9, Bytes("d8", "01", "03", "05", "07", "09", "86")));
        // A scalability structure whose resolutions run past the end.
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Bytes("0a", "30", "028001e0", "01400000")));
        // N_S=1 (two layers) with resolutions: 8 bytes, then data.
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Bytes("0a", "30", "028001e0", "014000f0", "82")));
        // A group with R=2 reference diffs.
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Bytes("0a", "08", "01", "08", "0102", "82")));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Bytes("0a", "08", "01", "08", "0102")));
        // Descriptor only, no VP9 data.
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp9, Bytes("b8", "8501", "00")));
    }

    // ---- H.264 (RFC 6184) ----

    private static readonly byte[] H264Idr = Bytes(
        "65",        // F=0 NRI=3 Type=5: IDR slice
        "888400");   // slice header: first_mb_in_slice ue(v) = 0 (leading 1 bit)...

    private static readonly byte[] H264Sps = Bytes(
        "67",        // F=0 NRI=3 Type=7: SPS
        "42c01f");   // profile_idc 66, constraints, level 3.1

    private static readonly byte[] H264PSlice = Bytes(
        "41",        // F=0 NRI=2 Type=1: non-IDR slice
        "9a2f");     // first_mb_in_slice = 0

    private static readonly byte[] H264PSliceSecond = Bytes(
        "41",        // non-IDR slice
        "2512");     // first_mb_in_slice ue(v) starts 0 0 1: not 0, a later slice of the picture

    private static readonly byte[] H264StapKey = Bytes(
        "78",        // F=0 NRI=3 Type=24: STAP-A
        "0004", "6742c01f",  // size 4: SPS
        "0004", "68ce3c80",  // size 4: PPS
        "0003", "658884");   // size 3: IDR slice

    private static readonly byte[] H264StapDelta = Bytes(
        "78",        // STAP-A
        "0002", "0605",      // size 2: SEI
        "0002", "419a");     // size 2: non-IDR slice

    private static readonly byte[] H264FuIdrStart = Bytes(
        "7c",        // FU indicator: F=0 NRI=3 Type=28 (FU-A)
        "85",        // FU header: S=1 E=0 R=0 Type=5 (IDR)
        "888400");

    private static readonly byte[] H264FuIdrMiddle = Bytes(
        "7c",        // FU-A
        "05",        // S=0 E=0 Type=5
        "112233");

    private static readonly byte[] H264FuIdrEnd = Bytes(
        "7c",        // FU-A
        "45",        // S=0 E=1 Type=5
        "4455");

    private static readonly byte[] H264FuPStart = Bytes(
        "5c",        // FU indicator: NRI=2 Type=28
        "81",        // S=1 E=0 Type=1
        "9a2f");

    [Fact]
    public void H264_key_frame_is_an_IDR_or_SPS_alone_aggregated_or_as_first_fragment()
    {
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264Idr));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264Sps));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264StapKey));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264FuIdrStart));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264PSlice));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264StapDelta));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264FuIdrMiddle));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264FuIdrEnd));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, H264FuPStart));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("68", "ce3c80"))); // PPS alone
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78", "0004", "6742c01f", "0004", "68ce3c80"))); // SPS+PPS
    }

    [Fact]
    public void H264_frame_start_is_a_parameter_set_delimiter_or_the_first_slice()
    {
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264Idr));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264Sps));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264PSlice));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264StapKey));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264StapDelta));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264FuIdrStart));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264FuPStart));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.H264, Bytes("09", "f0"))); // access unit delimiter
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264PSliceSecond));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264FuIdrMiddle));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.H264, H264FuIdrEnd));
    }

    [Fact]
    public void H264_malformed_aggregates_and_fragments_are_refused()
    {
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("e5", "8884")));               // F=1
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78", "0005", "6742c01f")));   // unit runs past the end
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78", "0000", "0004", "6742c01f"))); // empty unit
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78", "0004", "6742c01f", "00")));  // stray byte
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78", "0002", "e742")));       // F=1 inside
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("78")));                       // no units
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("7c", "c5", "8884")));         // S and E both set
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("7c", "85")));                 // no fragment data
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("65")));                       // header only
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.H264, Bytes("7a", "0004", "6742c01f"))); // MTAP16: not read
    }

    // ---- AV1 (AV1 RTP payload format §4.4) ----

    private static readonly byte[] Av1KeyFirst = Bytes(
        "68",        // Z=0 Y=1 W=2 N=1: new coded video sequence, two elements, the last continues
        "0a",        // element 1 length 10 (leb128)
        "08",        // OBU header: F=0 type=1 (sequence header) X=0 S=0
        "0000000224ff9f0040",  // sequence header data
        "30",        // element 2 (no length: the last of W): OBU header type=6 (frame)
        "1000abcd"); // frame data, continued in the next packet

    private static readonly byte[] Av1KeyLengthsEverywhere = Bytes(
        "08",        // Z=0 Y=0 W=0 N=1: every element has a length
        "0a", "08", "0000000224ff9f0040",
        "05", "30", "1000abcd");

    private static readonly byte[] Av1KeyMiddle = Bytes(
        "d0",        // Z=1 Y=1 W=1 N=0: one element, a fragment continued from before and after
        "112233");

    private static readonly byte[] Av1DeltaFirst = Bytes(
        "10",        // Z=0 Y=0 W=1 N=0
        "30",        // frame OBU
        "4422");

    private static readonly byte[] Av1DeltaLayer1 = Bytes(
        "10",        // Z=0 W=1 N=0
        "34",        // frame OBU with extension (X=1)
        "08",        // temporal_id=0 spatial_id=1
        "4422");

    private static readonly byte[] Av1DeltaLayer0 = Bytes(
        "10", "34",
        "20",        // temporal_id=1 spatial_id=0
        "4422");

    private static readonly byte[] Av1TileGroup = Bytes(
        "10",        // Z=0 W=1
        "20",        // OBU type=4 (tile group): the middle of a frame
        "4422");

    [Fact]
    public void Av1_key_frame_is_the_first_packet_of_a_coded_video_sequence()
    {
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Av1KeyFirst));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Av1KeyLengthsEverywhere));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Av1KeyMiddle));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Av1DeltaFirst));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Av1TileGroup));
        // N=1 with Z=1 contradicts the format ("if N equals 1 then Z must equal 0").
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("d8", "112233")));

        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1KeyFirst));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1DeltaFirst));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1DeltaLayer0));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1DeltaLayer1));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1KeyMiddle));
        Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Av1, Av1TileGroup));
    }

    [Fact]
    public void Av1_elements_must_add_up()
    {
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("08", "0b", "08", "0000000224ff9f0040"))); // length past the end
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("08", "00", "03", "080000")));             // empty element
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("38", "02", "0800", "02", "3010")));       // W=3, two elements
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("08", "80")));                             // leb128 cut short
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("08", "ffffffffffffffff7f", "08")));       // leb128 too long
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("18", "88", "00")));                       // forbidden bit
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, Bytes("18")));                                   // header only
        // A two-byte leb128 length: 0x82 0x01 is 130.
        byte[] twoByte = Bytes("08", "8201", "08" + new string('0', 258));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Av1, twoByte));
    }

    // ---- all codecs ----

    public static TheoryData<VideoCodec, string, int> KeyFrames => new()
    {
        // codec, payload, the shortest prefix that is still a whole key frame start
        { VideoCodec.Vp8, Convert.ToHexString(Vp8KeyFirst), 14 },
        { VideoCodec.Vp8, Convert.ToHexString(Vp8KeyAllExtensions), 15 },
        { VideoCodec.Vp9, Convert.ToHexString(Vp9KeyNonFlexible), 13 },
        { VideoCodec.Vp9, Convert.ToHexString(Vp9KeyFlexible), 5 },
        { VideoCodec.H264, Convert.ToHexString(H264Idr), 2 },
        { VideoCodec.H264, Convert.ToHexString(H264FuIdrStart), 3 },
        { VideoCodec.Av1, Convert.ToHexString(Av1KeyFirst), 13 },
    };

    [Theory]
    [MemberData(nameof(KeyFrames))]
    public void Key_frames_cut_short_of_their_structure_are_not_key_frames(VideoCodec codec, string hex, int minimum)
    {
        byte[] payload = Convert.FromHexString(hex);
        for (int length = 0; length <= payload.Length; length++)
            Assert.Equal(length >= minimum, KeyFrameDetector.IsKeyFrame(codec, payload.AsSpan(0, length)));
    }

    [Fact]
    public void Aggregates_cut_anywhere_but_a_unit_boundary_are_refused()
    {
        foreach (var (payload, boundaries) in new[] { (H264StapKey, new[] { 7, 13, 18 }), (Av1KeyLengthsEverywhere, new[] { 12, 18 }) })
        {
            var codec = payload == H264StapKey ? VideoCodec.H264 : VideoCodec.Av1;
            for (int length = 0; length <= payload.Length; length++)
                Assert.Equal(boundaries.Contains(length), KeyFrameDetector.IsKeyFrame(codec, payload.AsSpan(0, length)));
        }
    }

    public static TheoryData<VideoCodec, string> AllVectors
    {
        get
        {
            var data = new TheoryData<VideoCodec, string>();
            foreach (var p in new[] { Vp8KeyFirst, Vp8KeyMinimal, Vp8KeyAllExtensions, Vp8DeltaFirst, Vp8KeyMiddle, Vp8SecondPartitionStart })
                data.Add(VideoCodec.Vp8, Convert.ToHexString(p));
            foreach (var p in new[] { Vp9KeyNonFlexible, Vp9DeltaNonFlexible, Vp9KeyMiddle, Vp9KeyFlexible, Vp9DeltaFlexible, Vp9KeySpatialLayer1, Vp9KeyBare })
                data.Add(VideoCodec.Vp9, Convert.ToHexString(p));
            foreach (var p in new[] { H264Idr, H264Sps, H264PSlice, H264StapKey, H264StapDelta, H264FuIdrStart, H264FuIdrMiddle, H264FuPStart })
                data.Add(VideoCodec.H264, Convert.ToHexString(p));
            foreach (var p in new[] { Av1KeyFirst, Av1KeyLengthsEverywhere, Av1KeyMiddle, Av1DeltaFirst, Av1DeltaLayer1, Av1TileGroup })
                data.Add(VideoCodec.Av1, Convert.ToHexString(p));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Mutated_payloads_never_throw_in_any_codec(VideoCodec vectorCodec, string hex)
    {
        byte[] payload = Convert.FromHexString(hex);
        foreach (byte[] mutant in Mutate(payload, 1500, seed: hex.Length))
        {
            foreach (VideoCodec codec in Enum.GetValues<VideoCodec>())
            {
                bool key = KeyFrameDetector.IsKeyFrame(codec, mutant);
                bool start = KeyFrameDetector.IsFrameStart(codec, mutant);
                // Outside H.264 (where a later slice of an IDR picture is still IDR) a key frame start is a frame start.
                if (codec != VideoCodec.H264 && key) Assert.True(start, $"{codec} {Convert.ToHexString(mutant)}");
            }
        }
        _ = vectorCodec;
    }

    [Fact]
    public void Random_bytes_and_unknown_codecs_never_throw()
    {
        var random = new Random(42);
        var buffer = new byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            var span = buffer.AsSpan(0, random.Next(buffer.Length + 1));
            random.NextBytes(span);
            foreach (VideoCodec codec in Enum.GetValues<VideoCodec>())
            {
                KeyFrameDetector.IsKeyFrame(codec, span);
                KeyFrameDetector.IsFrameStart(codec, span);
            }
        }
        Assert.False(KeyFrameDetector.IsKeyFrame((VideoCodec)99, Vp8KeyFirst));
        Assert.False(KeyFrameDetector.IsFrameStart((VideoCodec)99, Vp8KeyFirst));
        foreach (VideoCodec codec in Enum.GetValues<VideoCodec>())
        {
            Assert.False(KeyFrameDetector.IsKeyFrame(codec, ReadOnlySpan<byte>.Empty));
            Assert.False(KeyFrameDetector.IsFrameStart(codec, ReadOnlySpan<byte>.Empty));
        }
    }

    [Theory]
    [InlineData("VP8", VideoCodec.Vp8)]
    [InlineData("vp9", VideoCodec.Vp9)]
    [InlineData("H264", VideoCodec.H264)]
    [InlineData("Av1", VideoCodec.Av1)]
    public void Codec_names_map_from_SDP(string name, VideoCodec expected)
    {
        Assert.True(KeyFrameDetector.TryGetCodec(name, out var codec));
        Assert.Equal(expected, codec);
    }

    [Fact]
    public void Other_codec_names_do_not_map()
    {
        Assert.False(KeyFrameDetector.TryGetCodec("opus", out _));
        Assert.False(KeyFrameDetector.TryGetCodec("H265", out _));
        Assert.False(KeyFrameDetector.TryGetCodec("", out _));
    }

    [Fact]
    public void Inspecting_payloads_allocates_nothing()
    {
        byte[][] payloads = [Vp8KeyFirst, Vp8DeltaFirst, Vp9KeyNonFlexible, Vp9DeltaFlexible, H264StapKey, H264FuIdrStart, Av1KeyFirst, Av1DeltaLayer1];
        VideoCodec[] codecs = [VideoCodec.Vp8, VideoCodec.Vp8, VideoCodec.Vp9, VideoCodec.Vp9, VideoCodec.H264, VideoCodec.H264, VideoCodec.Av1, VideoCodec.Av1];
        int keys = 0;
        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                int k = i % payloads.Length;
                if (KeyFrameDetector.IsKeyFrame(codecs[k], payloads[k])) keys++;
                if (KeyFrameDetector.IsFrameStart(codecs[k], payloads[k])) keys++;
            }
        }
        Run(100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(keys > 0);
    }
}
