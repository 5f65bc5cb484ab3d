using System.Numerics;
using Huddle.Media.Rtp;

namespace Huddle.Sfu;

/// <summary>
/// The last <see cref="Capacity"/> packets of one RTP stream, kept so that the SFU can answer a
/// Generic NACK (RFC 4585 §6.2.1) itself instead of passing it to the publisher, which saves a
/// round trip on the publisher's link (the design of Galène's packetcache and mediasoup's
/// RtpStreamSend buffer).
/// </summary>
/// <remarks>
/// <para>
/// All slots live in one byte array allocated in the constructor; storing and fetching copy bytes
/// and never allocate. A slot is chosen by the low bits of the sequence number and remembers the
/// extended (wrap-counted) sequence number of what it holds, so a lookup returns a packet only when
/// the slot still holds exactly that packet: not one that happens to share the low bits from
/// <see cref="Capacity"/> packets ago (when the newer one was lost), nor one from 65536 packets ago.
/// </para>
/// <para>
/// Store packets as they should be resent (usually the plaintext RTP after SRTP decryption, before
/// any per-receiver rewriting); encryption happens on the way out. Packets longer than
/// <see cref="SlotSize"/> — larger than an Ethernet MTU, so not sent by browsers — are not stored.
/// </para>
/// <para>Not thread-safe: one thread (the stream's receive loop) uses each instance.</para>
/// </remarks>
public sealed class RtpPacketCache
{
    public const int DefaultCapacity = 512;
    /// <summary>Bytes per slot: an Ethernet MTU, more than any RTP packet WebRTC sends.</summary>
    public const int SlotSize = 1500;
    /// <summary>
    /// The largest capacity. Far below 32768, so that every packet the cache can hold is less than
    /// half the sequence space away from the newest and unwrapping never mistakes its cycle.
    /// </summary>
    public const int MaxCapacity = 8192;

    private readonly byte[] _data;
    private readonly int[] _lengths;   // 0: the slot is empty
    private readonly long[] _sequences; // extended sequence number of the packet in the slot
    private readonly int _mask;
    private long _highest;
    private bool _hasHighest;

    /// <param name="capacity">Packets kept: a power of two from 1 to <see cref="MaxCapacity"/>.</param>
    public RtpPacketCache(int capacity = DefaultCapacity)
    {
        if (capacity < 1 || capacity > MaxCapacity || !BitOperations.IsPow2(capacity))
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"A power of two from 1 to {MaxCapacity}.");
        _data = new byte[capacity * SlotSize];
        _lengths = new int[capacity];
        _sequences = new long[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _lengths.Length;

    /// <summary>
    /// Copies <paramref name="packet"/> into its slot. False, and nothing stored, when it is not a
    /// well-formed RTP packet, is longer than <see cref="SlotSize"/>, or is so much older than the
    /// newest stored packet that its slot already belongs to a newer one.
    /// </summary>
    public bool Store(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > SlotSize || !RtpHeader.TryParse(packet, out RtpHeader header)) return false;
        ushort seq = header.SequenceNumber;

        long extended;
        if (!_hasHighest)
        {
            extended = seq;
            _highest = extended;
            _hasHighest = true;
        }
        else
        {
            extended = RtpSequence.Unwrap(_highest, seq);
            if (extended > _highest) _highest = extended;
            // A late packet whose slot has been reused would evict a newer packet, which is the one
            // more likely to be asked for.
            else if (_highest - extended >= Capacity) return false;
        }

        int slot = (int)(extended & _mask);
        packet.CopyTo(_data.AsSpan(slot * SlotSize, SlotSize));
        _lengths[slot] = packet.Length;
        _sequences[slot] = extended;
        return true;
    }

    /// <summary>
    /// Copies the stored packet with sequence number <paramref name="seq"/> into
    /// <paramref name="destination"/>. False, with <paramref name="length"/> 0, when that packet is
    /// not (or no longer) in the cache — it is <see cref="Capacity"/> or more numbers older than
    /// the newest — or <paramref name="destination"/> is too short for it.
    /// </summary>
    public bool TryGet(ushort seq, Span<byte> destination, out int length)
    {
        length = 0;
        if (!_hasHighest) return false;
        // The NACKed number is taken as the occurrence nearest the newest packet: a NACK asks for
        // recent packets (RFC 4585 §6.2.1 says nothing of cycles; receivers only track recent loss).
        long extended = RtpSequence.Unwrap(_highest, seq);
        // Only the last Capacity numbers count: an older packet may linger in a slot whose newer
        // occupant was lost, but the cache promises a window, not whatever is left over.
        if (_highest - extended >= Capacity) return false;
        int slot = (int)(extended & _mask);
        int stored = _lengths[slot];
        if (stored == 0 || _sequences[slot] != extended || stored > destination.Length) return false;
        _data.AsSpan(slot * SlotSize, stored).CopyTo(destination);
        length = stored;
        return true;
    }

    /// <summary>Forgets every packet, e.g. when the publisher restarts the stream.</summary>
    public void Clear()
    {
        Array.Clear(_lengths);
        _hasHighest = false;
        _highest = 0;
    }
}
