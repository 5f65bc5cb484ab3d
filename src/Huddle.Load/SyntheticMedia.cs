using System.Buffers.Binary;
using System.Diagnostics;
using Huddle.Media.Rtp;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>What a bot publishes: which tracks, at what rates.</summary>
public sealed record MediaProfile
{
    public bool Audio { get; init; } = true;

    public bool Video { get; init; } = true;

    /// <summary>Video bitrate in bits per second (delta frames; key frames are <see cref="KeyFrameFactor"/> times larger).</summary>
    public int VideoBitrate { get; init; } = 500_000;

    public int FrameRate { get; init; } = 30;

    public int KeyFrameFactor { get; init; } = 4;

    /// <summary>Largest RTP payload, as browsers packetize video (about 1,200 bytes).</summary>
    public int MaxPayload { get; init; } = 1200;

    /// <summary>Opus bytes per 20-ms packet (100 bytes is 40 kbit/s).</summary>
    public int AudioPayload { get; init; } = 100;

    /// <summary>
    /// Real VP8 to send instead of synthetic payloads (frames at the clip's own rate, replayed from its key
    /// frame on a PLI and at its end), with Opus silence for audio, so a browser decodes what bots
    /// publish. Such packets carry no <see cref="LoadTag"/>.
    /// </summary>
    public Vp8Clip? Clip { get; init; }

    public static MediaProfile AudioOnly { get; } = new() { Video = false };

    public static MediaProfile None { get; } = new() { Audio = false, Video = false };

    public bool Publishes => Audio || Video;

    /// <summary>Payload bytes of one delta frame.</summary>
    public int DeltaFrameBytes => Math.Max(LoadTag.Size + 4, VideoBitrate / 8 / Math.Max(1, FrameRate));

    /// <summary>Packets per second this profile sends (both tracks, delta frames).</summary>
    public double PacketsPerSecond =>
        (Audio ? 50 : 0) + (Video ? FrameRate * Math.Ceiling(DeltaFrameBytes / (double)MaxPayload) : 0);

    /// <summary>Frames per second the video is sent at: the clip's, or <see cref="FrameRate"/>.</summary>
    public int VideoFrameRate => Clip?.FrameRate ?? FrameRate;
}

/// <summary>
/// The 16 bytes every bot packet ends with: a magic word, the sender's index in the run and the send
/// time (<see cref="BatchReceiver.UnixTicks"/>: 100-ns ticks of the system clock, which the kernel's
/// receive timestamps share), so a receiver knows whose packet it is and how long it took, whatever the
/// server rewrote in the header.
/// </summary>
public static class LoadTag
{
    public const int Size = 16;
    private const uint Magic = 0x484C4431; // "HLD1"

    public static void Write(Span<byte> destination, uint sender, long sendTimestamp)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sender);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], sendTimestamp);
    }

    /// <summary>Reads the tag at the end of an RTP payload.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out uint sender, out long sendTimestamp)
    {
        sender = 0;
        sendTimestamp = 0;
        if (payload.Length < Size) return false;
        ReadOnlySpan<byte> tag = payload[^Size..];
        if (BinaryPrimitives.ReadUInt32BigEndian(tag) != Magic) return false;
        sender = BinaryPrimitives.ReadUInt32BigEndian(tag[4..]);
        sendTimestamp = BinaryPrimitives.ReadInt64BigEndian(tag[8..]);
        return true;
    }
}

/// <summary>
/// One synthetic RTP stream (RFC 3550 header, random SSRC and initial sequence number and timestamp).
/// Video payloads start with a VP8 payload descriptor (RFC 7741 §4.2, S bit on a frame's first packet)
/// and, on a frame's first packet, the VP8 frame tag (RFC 6386 §9.1): P=0 and the key frame start code
/// for key frames, P=1 otherwise, so an SFU's key frame detection sees what a browser would send.
/// The last <see cref="LoadTag.Size"/> bytes carry the <see cref="LoadTag"/>. Sent packets are kept
/// (the last <see cref="CacheSize"/>) so NACKed ones can go out again.
/// </summary>
public sealed class SyntheticStream
{
    public const int CacheSize = 512;
    private const int MaxPacket = 1500;
    private static readonly byte[] KeyFrameStart = [0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0xA0, 0x00, 0x78, 0x00];
    private static readonly byte[] DeltaFrameStart = [0x01, 0x00, 0x00];

    private readonly byte[][] _cache;
    private readonly int[] _cacheLength;
    private readonly ushort[] _cacheSeq;
    private ushort _seq;
    private uint _timestamp;

    public SyntheticStream(uint ssrc, byte payloadType, int clockRate, bool video)
    {
        Ssrc = ssrc;
        PayloadType = payloadType;
        ClockRate = clockRate;
        IsVideo = video;
        _seq = (ushort)Random.Shared.Next(0, 65536);
        _timestamp = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
        int slots = video ? CacheSize : 0;
        _cache = new byte[slots][];
        _cacheLength = new int[slots];
        _cacheSeq = new ushort[slots];
        for (int i = 0; i < slots; i++) _cache[i] = new byte[MaxPacket];
    }

    public uint Ssrc { get; }

    public byte PayloadType { get; }

    public int ClockRate { get; }

    public bool IsVideo { get; }

    /// <summary>
    /// Writes one frame (a video frame of <paramref name="bytes"/> payload bytes cut into packets of at most
    /// <paramref name="maxPayload"/>, or one audio packet) and hands each packet to <paramref name="send"/>,
    /// which may protect it in place. Advances the RTP timestamp by <paramref name="duration"/> clock ticks.
    /// </summary>
    public int WriteFrame(Span<byte> scratch, int bytes, int maxPayload, bool keyFrame, uint sender, uint duration, PacketSink send)
    {
        int packets = IsVideo ? Math.Max(1, (bytes + maxPayload - 1) / maxPayload) : 1;
        int per = Math.Max(LoadTag.Size + KeyFrameStart.Length + 1, (bytes + packets - 1) / packets);
        for (int i = 0; i < packets; i++)
        {
            int payload = Math.Min(per, MaxPacket - 12 - 32);
            Span<byte> packet = scratch[..(12 + payload)];
            WriteHeader(packet, marker: i == packets - 1); // marker on a frame's last packet
            Span<byte> body = packet[12..];
            body[..^LoadTag.Size].Clear();
            if (IsVideo)
            {
                body[0] = (byte)(i == 0 ? 0x10 : 0x00); // VP8 descriptor: S=1 on the first packet, PID 0
                if (i == 0) (keyFrame ? KeyFrameStart : DeltaFrameStart).CopyTo(body[1..]);
            }
            LoadTag.Write(body[^LoadTag.Size..], sender, BatchReceiver.UnixTicks());
            Keep(packet);
            send(scratch, packet.Length);
        }
        _timestamp += duration;
        return packets;
    }

    /// <summary>
    /// Sends one real payload: a VP8 <paramref name="frame"/> cut into packets of at most
    /// <paramref name="maxPayload"/> bytes, each behind a payload descriptor (RFC 7741 §4.2), or, on an
    /// audio stream, one packet holding <paramref name="frame"/> as it is. No <see cref="LoadTag"/>.
    /// </summary>
    public int WriteRealFrame(Span<byte> scratch, ReadOnlySpan<byte> frame, int maxPayload, uint duration, PacketSink send)
    {
        int header = IsVideo ? Vp8Payload.MinimalDescriptorSize : 0;
        int room = Math.Min(maxPayload, MaxPacket - 12 - 32) - header;
        int packets = IsVideo ? Math.Max(1, (frame.Length + room - 1) / room) : 1;
        int per = (frame.Length + packets - 1) / packets;
        for (int i = 0; i < packets; i++)
        {
            ReadOnlySpan<byte> part = frame.Slice(i * per, Math.Min(per, frame.Length - i * per));
            Span<byte> packet = scratch[..(12 + header + part.Length)];
            WriteHeader(packet, marker: IsVideo && i == packets - 1); // video: a frame's last packet; audio: no talk spurts
            if (IsVideo) Vp8Payload.WriteDescriptor(packet[12..], frameStart: i == 0);
            part.CopyTo(packet[(12 + header)..]);
            Keep(packet);
            send(scratch, packet.Length);
        }
        _timestamp += duration;
        return packets;
    }

    private void WriteHeader(Span<byte> packet, bool marker)
    {
        packet[0] = 0x80;
        packet[1] = (byte)(PayloadType | (marker ? 0x80 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], ++_seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], _timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], Ssrc);
    }

    // Video packets stay in the cache so a NACK can have them again.
    private void Keep(ReadOnlySpan<byte> packet)
    {
        if (!IsVideo) return;
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        int slot = seq % CacheSize;
        packet.CopyTo(_cache[slot]);
        _cacheLength[slot] = packet.Length;
        _cacheSeq[slot] = seq;
    }

    /// <summary>Copies the sent packet <paramref name="seq"/> into <paramref name="scratch"/>, if still cached.</summary>
    public int CopyCached(ushort seq, Span<byte> scratch)
    {
        if (_cache.Length == 0) return 0;
        int slot = seq % CacheSize;
        if (_cacheSeq[slot] != seq || _cacheLength[slot] == 0) return 0;
        _cache[slot].AsSpan(0, _cacheLength[slot]).CopyTo(scratch);
        return _cacheLength[slot];
    }

    public delegate void PacketSink(Span<byte> buffer, int length);
}

/// <summary>
/// A publisher's schedule: a 20-ms Opus-sized packet, a video frame at the frame rate (a key frame first
/// and whenever <see cref="RequestKeyFrame"/> was called), each handed to the sink. Driven by one pacing
/// thread through <see cref="SendDue"/>.
/// </summary>
public sealed class MediaSender
{
    private readonly MediaProfile _profile;
    private readonly uint _sender;
    private readonly SyntheticStream.PacketSink _sink;
    // One 20-ms Opus frame of silence (RFC 6716: TOC 0xF8 = CELT fullband 20 ms mono, one frame; then 0xFF 0xFE).
    private static readonly byte[] OpusSilence = [0xF8, 0xFF, 0xFE];
    private readonly byte[] _scratch = new byte[1600];
    private long _nextAudio;
    private long _nextVideo;
    private volatile bool _keyFrameWanted = true;
    private int _clipFrame;
    private long _keyFrames;

    public MediaSender(MediaProfile profile, uint sender, SyntheticStream.PacketSink sink)
    {
        _profile = profile;
        _sender = sender;
        _sink = sink;
        Audio = profile.Audio ? new SyntheticStream(RandomSsrc(), 111, 48000, video: false) : null;
        Video = profile.Video ? new SyntheticStream(RandomSsrc(), 96, 90000, video: true) : null;
        // Publishers are not in step with one another: each starts at a random point of its frame and packet intervals.
        long now = Stopwatch.GetTimestamp();
        _nextAudio = now + Random.Shared.NextInt64(Stopwatch.Frequency / 50);
        _nextVideo = now + Random.Shared.NextInt64(Stopwatch.Frequency / Math.Max(1, profile.VideoFrameRate));
    }

    public SyntheticStream? Audio { get; }

    public SyntheticStream? Video { get; }

    public long KeyFramesSent => Volatile.Read(ref _keyFrames);

    /// <summary>The next video frame is a key frame (a PLI or FIR arrived).</summary>
    public void RequestKeyFrame() => _keyFrameWanted = true;

    /// <summary>Sends what is due by <paramref name="now"/> (Stopwatch ticks) and returns when the next thing is due.</summary>
    public long SendDue(long now)
    {
        long next = long.MaxValue;
        if (Audio is { } audio)
        {
            if (now >= _nextAudio)
            {
                if (_profile.Clip is null) audio.WriteFrame(_scratch, _profile.AudioPayload, _profile.MaxPayload, false, _sender, 960, _sink);
                else audio.WriteRealFrame(_scratch, OpusSilence, _profile.MaxPayload, 960, _sink);
                _nextAudio = Advance(_nextAudio, Stopwatch.Frequency / 50, now);
            }
            next = _nextAudio;
        }
        if (Video is { } video)
        {
            if (now >= _nextVideo)
            {
                bool key = _keyFrameWanted;
                _keyFrameWanted = false;
                int frameRate = _profile.VideoFrameRate;
                if (_profile.Clip is { } clip)
                {
                    // The clip's only sure key frame is its first: a PLI, or the clip's end, starts it again.
                    if (key || _clipFrame >= clip.Frames.Count) _clipFrame = 0;
                    key = _clipFrame == 0;
                    video.WriteRealFrame(_scratch, clip.Frames[_clipFrame++], _profile.MaxPayload, (uint)(90000 / frameRate), _sink);
                }
                else
                {
                    int bytes = _profile.DeltaFrameBytes * (key ? _profile.KeyFrameFactor : 1);
                    video.WriteFrame(_scratch, bytes, _profile.MaxPayload, key, _sender, (uint)(90000 / frameRate), _sink);
                }
                if (key) _keyFrames++;
                _nextVideo = Advance(_nextVideo, Stopwatch.Frequency / frameRate, now);
            }
            next = Math.Min(next, _nextVideo);
        }
        return next;
    }

    // On schedule, except after falling more than a second behind: then restart from now rather than burst.
    private static long Advance(long due, long interval, long now) => now - due > Stopwatch.Frequency ? now + interval : due + interval;

    private static uint RandomSsrc() => (uint)Random.Shared.NextInt64(1, uint.MaxValue);
}
