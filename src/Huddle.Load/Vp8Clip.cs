using System.Buffers.Binary;
using Huddle.Media.Rtp;

namespace Huddle.Load;

/// <summary>
/// A short recorded VP8 video that bots can publish instead of synthetic payloads, so a real browser
/// subscribed to them decodes and shows the picture. Stored as IVF, the plain container libvpx and
/// ffmpeg write:
/// <code>
/// file header (32 bytes, little-endian):
///   "DKIF" | version u16 = 0 | header size u16 = 32 | fourcc "VP80" | width u16 | height u16
///   | time base denominator u32 | numerator u32 | frame count u32 | unused u32
/// each frame: size u32 | timestamp u64 (in time base units) | size bytes of VP8 frame
/// </code>
/// The first frame must be a key frame (RFC 6386 §9.1): replaying from it is how a bot answers a PLI.
/// </summary>
public sealed class Vp8Clip
{
    private const int FileHeaderSize = 32;
    private const int FrameHeaderSize = 12;
    private const int MaxFrameBytes = 1 << 20;
    private const int MaxFrames = 100_000;

    private Vp8Clip(int width, int height, int frameRate, byte[][] frames)
    {
        Width = width;
        Height = height;
        FrameRate = frameRate;
        Frames = frames;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Frames per second, from the clip's duration (at least 1).</summary>
    public int FrameRate { get; }

    /// <summary>The VP8 frames in order; the first is a key frame.</summary>
    public IReadOnlyList<byte[]> Frames { get; }

    public static Vp8Clip Load(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Reads an IVF file; throws <see cref="InvalidDataException"/> on anything but a VP8 IVF starting with a key frame.</summary>
    public static Vp8Clip Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < FileHeaderSize || !file[..4].SequenceEqual("DKIF"u8)) throw new InvalidDataException("not an IVF file");
        int headerSize = BinaryPrimitives.ReadUInt16LittleEndian(file[6..]);
        if (!file[8..12].SequenceEqual("VP80"u8)) throw new InvalidDataException("the IVF file is not VP8");
        if (headerSize < FileHeaderSize || headerSize > file.Length) throw new InvalidDataException("bad IVF header size");
        uint rate = BinaryPrimitives.ReadUInt32LittleEndian(file[16..]);
        uint scale = BinaryPrimitives.ReadUInt32LittleEndian(file[20..]);
        if (rate == 0 || scale == 0) throw new InvalidDataException("bad IVF time base");

        var frames = new List<byte[]>();
        var timestamps = new List<ulong>();
        int offset = headerSize;
        while (file.Length - offset >= FrameHeaderSize)
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]);
            ulong timestamp = BinaryPrimitives.ReadUInt64LittleEndian(file[(offset + 4)..]);
            offset += FrameHeaderSize;
            if (size == 0 || size > MaxFrameBytes || size > file.Length - offset) throw new InvalidDataException($"frame {frames.Count}: bad size {size}");
            if (frames.Count == MaxFrames) throw new InvalidDataException($"more than {MaxFrames} frames");
            frames.Add(file.Slice(offset, (int)size).ToArray());
            timestamps.Add(timestamp);
            offset += (int)size;
        }
        if (frames.Count == 0) throw new InvalidDataException("the clip has no frames");
        if (!Vp8Payload.TryReadKeyFrameSize(frames[0], out int width, out int height)) throw new InvalidDataException("the first frame is not a VP8 key frame");

        // Duration of the clip = span of timestamps plus one frame interval (time base units are scale/rate seconds).
        double seconds = frames.Count == 1 ? 1 : (timestamps[^1] - timestamps[0]) * (double)scale / rate * frames.Count / (frames.Count - 1);
        int frameRate = Math.Clamp((int)Math.Round(frames.Count / Math.Max(seconds, 1e-3)), 1, 120);
        return new Vp8Clip(width, height, frameRate, [.. frames]);
    }

    /// <summary>Writes <paramref name="frames"/> as IVF with a 90 kHz time base (RTP's video clock); the first must be a key frame.</summary>
    public static void Write(Stream destination, IReadOnlyList<(uint RtpTimestamp, byte[] Frame)> frames)
    {
        if (frames.Count == 0 || !Vp8Payload.TryReadKeyFrameSize(frames[0].Frame, out int width, out int height))
        {
            throw new ArgumentException("the first frame must be a VP8 key frame", nameof(frames));
        }
        Span<byte> header = stackalloc byte[FileHeaderSize];
        header.Clear();
        "DKIF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], FileHeaderSize);
        "VP80"u8.CopyTo(header[8..]);
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(header[14..], (ushort)height);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 90_000);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)frames.Count);
        destination.Write(header);
        Span<byte> frameHeader = stackalloc byte[FrameHeaderSize];
        uint first = frames[0].RtpTimestamp;
        foreach ((uint timestamp, byte[] frame) in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(frameHeader, (uint)frame.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(frameHeader[4..], timestamp - first); // wraps with the 32-bit RTP clock
            destination.Write(frameHeader);
            destination.Write(frame);
        }
    }

    /// <summary>The clip that ships with the bench (Chromium's fake camera at 160x120), next to the program or in the checkout.</summary>
    public static string? FindDefault()
    {
        const string relative = "bench/clips/chromium-fake-camera-160x120.ivf";
        foreach (string root in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(root); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
